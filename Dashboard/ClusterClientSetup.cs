using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace OrleansGuarantee.Dashboard;

/// <summary>
/// The front door is an Orleans client. It finds the silos through the Azure Table membership the silos
/// write (the default), or through a fixed gateway list (<c>Orleans:Gateways</c>, "host:port,host:port").
/// With <c>Orleans:Clustering</c> = <c>Provided</c> the host supplies the <see cref="IClusterClient"/>
/// (a process that also runs a silo, or the tests' in-process cluster), which then brings its own stream provider.
/// </summary>
public static class ClusterClientSetup
{
    public static void AddGuaranteeClusterClient(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (string.Equals(config["Orleans:Clustering"], "Provided", StringComparison.OrdinalIgnoreCase))
        {
            // The Orleans dashboard's pages call the cluster through the provided client (its IGrainFactory);
            // its own few services still have to be in this container.
            new ServicesOnlyClientBuilder(builder.Services, config).AddDashboard();
            return;
        }
        var connection = config["Storage:ConnectionString"] ?? "UseDevelopmentStorage=true";
        var serviceId = config["Orleans:ServiceId"] ?? "OrleansGuarantee";
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = config["Orleans:ClusterId"] ?? "orleansguarantee";
                o.ServiceId = serviceId;
            });
            if (config["Orleans:Gateways"] is { Length: > 0 } gateways)
                client.UseStaticClustering(gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(ParseEndpoint).ToArray());
            else
                client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connection));
            AddCycleStreams(client, config, connection, serviceId);
            // The Orleans dashboard (served under /orleans to operators) reads the statistics every silo collects.
            client.AddDashboard();
            client.UseConnectionRetryFilter<WaitForSilos>();
            // Trace context flows from the page or API request into grain calls (OpenTelemetry traces).
            client.AddActivityPropagation();
        });
    }

    /// <summary>
    /// The cycle pages subscribe to cycle event streams, so the client has the silos' stream provider: Azure
    /// Storage queues (the same queues as the silos), or memory streams when <c>Streams:Kind</c> is <c>Memory</c>
    /// (the silos must be configured the same way).
    /// </summary>
    private static void AddCycleStreams(IClientBuilder client, IConfiguration config, string connection, string serviceId)
    {
        if (string.Equals(config["Streams:Kind"], "Memory", StringComparison.OrdinalIgnoreCase))
        {
            client.AddMemoryStreams(CycleStreams.Provider);
            return;
        }
        var queues = new QueueServiceClient(connection);
        client.AddAzureQueueStreams(CycleStreams.Provider, b => b.ConfigureAzureQueue(ob => ob.Configure(o =>
        {
            o.QueueServiceClient = queues;
            o.QueueNames = CycleStreams.QueueNames(serviceId).ToList();
        })));
    }

    private static IPEndPoint ParseEndpoint(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new InvalidOperationException($"Orleans:Gateways has '{text}', which is not an address:port.");

    /// <summary>Keeps trying to reach the cluster at start-up (the silo may still be starting), saying so in the log.</summary>
    private sealed class WaitForSilos(ILogger<WaitForSilos> logger) : IClientConnectionRetryFilter
    {
        private int _attempt;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            _attempt++;
            logger.LogWarning("Waiting for the silo cluster (attempt {Attempt}): {Reason}", _attempt, exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, _attempt)), cancellationToken);
            return !cancellationToken.IsCancellationRequested;
        }
    }

    /// <summary>
    /// Lets client-side extensions (the Orleans dashboard's) register their services in this container when
    /// the cluster client itself comes from elsewhere; nothing here builds a second client.
    /// </summary>
    private sealed class ServicesOnlyClientBuilder(IServiceCollection services, IConfiguration configuration) : IClientBuilder
    {
        public IServiceCollection Services { get; } = services;
        public IConfiguration Configuration { get; } = configuration;
    }
}
