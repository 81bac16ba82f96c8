using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Dashboard;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee.Tests.Api;

/// <summary>
/// A test cluster (one in-process silo, memory storage) and the real front door connected to it as an
/// Orleans client through the silo's gateway; tests call the front door over HTTP.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string OperatorKey = "test-operator-key-0123456789";

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public WebApplicationFactory<Program> Web { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            // Grain state is stored as the real silo stores it (Silo/Program.cs): with the Orleans serializer, which
            // gives back exactly what was written (memory storage's default, Newtonsoft JSON, reads a stored 300m
            // back as 300.0m, so an answer repeated by a reactivated grain would print differently).
            silo.AddMemoryGrainStorage(StorageNames.Store, options => options.Configure<Serializer>((o, serializer) =>
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer)));
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.AddMemoryStreams(CycleStreams.Provider);
            silo.UseInMemoryReminderService();
            // The front door serves the Orleans dashboard under /orleans, which needs it on every silo.
            silo.AddDashboard();
            silo.Services.AddGuaranteeGrainServices();
        });
        // The front door is given this client: its cycle pages subscribe to cycle streams through it.
        builder.ConfigureClient(client => client.AddMemoryStreams(CycleStreams.Provider));
        Cluster = builder.Build();
        await Cluster.DeployAsync();

        // The in-process cluster talks over an in-memory transport, so the front door is given its client.
        Web = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Orleans:Clustering", "Provided");
            web.UseSetting("Operator:Key", OperatorKey);
            web.ConfigureServices(services =>
            {
                services.AddSingleton(Cluster.Client);
                services.AddSingleton<IGrainFactory>(Cluster.Client);
            });
        });
        using var client = Web.CreateClient();
        (await client.GetAsync("/health")).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await Web.DisposeAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>A client without a token.</summary>
    public HttpClient Anonymous() => Web.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    public async Task<HttpClient> OperatorAsync() => WithToken(await TokenAsync(new { operatorKey = OperatorKey }));

    public async Task<HttpClient> MemberAsync(string memberId, string password) => WithToken(await TokenAsync(new { memberId, password }));

    private async Task<string> TokenAsync(object body)
    {
        using var client = Anonymous();
        var response = await client.PostAsJsonAsync("/api/auth/token", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = await response.Content.ReadFromJsonAsync<TokenAnswer>();
        return token!.AccessToken;
    }

    private HttpClient WithToken(string token)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private sealed record TokenAnswer(string AccessToken, long ExpiresIn);
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
