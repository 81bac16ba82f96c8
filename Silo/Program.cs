using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansGuarantee;
using OrleansGuarantee.Infrastructure;

// One silo of the OrleansGuarantee cluster: members, guarantees, deals and transfers as grains, with
// cluster membership, grain state and reminders in Azure Table storage (Azurite on one machine).
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
var settings = SiloSettings.From(builder.Configuration);

// The journal's chains live in their own Azure table, next to the grain state (rule 23).
builder.Services.AddSingleton<OrleansGuarantee.Journal.IJournalStore>(
    new OrleansGuarantee.Journal.AzureTableJournalStore(new TableServiceClient(settings.StorageConnectionString)));
builder.Services.AddGuaranteeGrainServices();
builder.UseOrleans(silo =>
{
    var tables = new TableServiceClient(settings.StorageConnectionString);
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = settings.ClusterId;
        o.ServiceId = settings.ServiceId;
    });
    silo.ConfigureEndpoints(settings.AdvertisedAddress, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: settings.ListenOnAnyAddress);
    silo.UseAzureStorageClustering(o => o.TableServiceClient = tables);
    // Grain state is written with the Orleans serializer, so the [Id] numbers of state types (never
    // renumbered) keep old rows readable as the types grow.
    silo.AddAzureTableGrainStorage(StorageNames.Store, options => options.Configure<Serializer>((o, serializer) =>
    {
        o.TableServiceClient = tables;
        o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
    }));
    silo.UseAzureTableReminderService(o => o.TableServiceClient = tables);
    // Cycle events: a durable stream on Azure Storage queues (Azurite's queue service locally), with its
    // subscriptions in table storage ("PubSubStore"). Streams:Kind = Memory keeps them in memory instead.
    if (string.Equals(settings.StreamsKind, "Memory", StringComparison.OrdinalIgnoreCase))
    {
        silo.AddMemoryStreams(CycleStreams.Provider);
        silo.AddMemoryGrainStorage("PubSubStore");
    }
    else
    {
        var queues = new QueueServiceClient(settings.StorageConnectionString);
        var prefix = System.Text.RegularExpressions.Regex.Replace(settings.ServiceId.ToLowerInvariant(), "[^a-z0-9]", "");
        silo.AddAzureQueueStreams(CycleStreams.Provider, b => b.ConfigureAzureQueue(ob => ob.Configure(o =>
        {
            o.QueueServiceClient = queues;
            o.QueueNames = Enumerable.Range(0, 4).Select(n => $"{prefix}-cycles-{n}").ToList();
        })));
        silo.AddAzureTableGrainStorage("PubSubStore", options => options.Configure<Serializer>((o, serializer) =>
        {
            o.TableServiceClient = tables;
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
    }
    // Reminders drive arbitration deadlines, cycle progress and the recovery of interrupted multi-grain steps; a
    // shorter minimum period (tests, demos) acts on them sooner. The recovery reminder has its own period
    // (RecoveryOptions, 1 minute by default), so it is shortened with the others.
    if (builder.Configuration.GetValue<int?>("Orleans:MinimumReminderPeriodSeconds") is { } seconds and > 0)
    {
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(seconds));
        silo.Configure<RecoveryOptions>(o => o.RetryPeriod = TimeSpan.FromSeconds(seconds));
    }
});

var host = builder.Build();
await host.RunAsync();

internal sealed record SiloSettings(
    string StorageConnectionString, string ClusterId, string ServiceId,
    IPAddress AdvertisedAddress, int SiloPort, int GatewayPort, bool ListenOnAnyAddress, string StreamsKind)
{
    public static SiloSettings From(IConfiguration config)
    {
        var connection = config["Storage:ConnectionString"] ?? "UseDevelopmentStorage=true";
        var address = config["Orleans:AdvertisedAddress"] is { Length: > 0 } a ? IPAddress.Parse(a) : IPAddress.Loopback;
        return new SiloSettings(
            connection,
            config["Orleans:ClusterId"] ?? "orleansguarantee",
            config["Orleans:ServiceId"] ?? "OrleansGuarantee",
            address,
            config.GetValue("Orleans:SiloPort", EndpointOptions.DEFAULT_SILO_PORT),
            config.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT),
            config.GetValue("Orleans:ListenOnAnyAddress", false),
            config["Streams:Kind"] ?? "AzureQueue");
    }
}
