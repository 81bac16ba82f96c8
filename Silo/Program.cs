using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Configuration;
using Orleans.Dashboard;
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
// OpenTelemetry: the domain's meter, Orleans' meter and traces, the runtime. A Prometheus scrape endpoint when
// Telemetry:PrometheusPort is set; OTLP export when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set.
var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
var prometheusPort = builder.Configuration.GetValue<int?>("Telemetry:PrometheusPort");
builder.Services.AddOpenTelemetry()
    .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "orleansguarantee-silo"))
    .WithMetrics(metrics =>
    {
        metrics.AddMeter(GuaranteeMetrics.MeterName, "Microsoft.Orleans").AddRuntimeInstrumentation();
        if (prometheusPort is > 0) metrics.AddPrometheusHttpListener(o => { o.Host = builder.Configuration["Telemetry:PrometheusHost"] ?? "localhost"; o.Port = prometheusPort.Value; });
        if (otlp) metrics.AddOtlpExporter();
    })
    .WithTracing(tracing =>
    {
        tracing.AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application");
        if (otlp) tracing.AddOtlpExporter();
    });
builder.UseOrleans(silo =>
{
    var tables = new TableServiceClient(settings.StorageConnectionString);
    if (settings.Kubernetes)
    {
        // In a Kubernetes pod: cluster and service ids, the pod's address and name come from the pod's environment
        // (ORLEANS_CLUSTER_ID, ORLEANS_SERVICE_ID, POD_IP, POD_NAME, POD_NAMESPACE; see deploy/k8s), and silos whose
        // pods are gone are removed from the membership table at once.
        silo.UseKubernetesHosting();
    }
    else
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        silo.ConfigureEndpoints(settings.AdvertisedAddress, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: settings.ListenOnAnyAddress);
    }
    silo.UseAzureStorageClustering(o => o.TableServiceClient = tables);
    silo.AddActivityPropagation();
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
        silo.AddAzureQueueStreams(CycleStreams.Provider, b =>
        {
            b.ConfigureAzureQueue(ob => ob.Configure(o =>
            {
                o.QueueServiceClient = queues;
                o.QueueNames = CycleStreams.QueueNames(settings.ServiceId).ToList();
            }));
            // How often an idle queue is read: the delay a live cycle page adds on top of the event itself.
            // Orleans' default is 100 ms; every queue read is one storage request, so this trades cost for latency.
            b.ConfigurePullingAgent(ob => ob.Configure(o => o.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(
                builder.Configuration.GetValue("Streams:PollMilliseconds", 50))));
        });
        // Orleans 10.4.2's simple queue cache can stall a subscriber for good after a purge (see the class).
        OrleansGuarantee.Silo.Streams.PurgeAwareAzureQueueAdapterFactory.Register(silo.Services, CycleStreams.Provider);
        silo.AddAzureTableGrainStorage("PubSubStore", options => options.Configure<Serializer>((o, serializer) =>
        {
            o.TableServiceClient = tables;
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
    }
    // The Orleans dashboard's grains and statistics; the front door (an Orleans client) serves its pages
    // under /orleans to operators, and it needs every silo to have it.
    silo.AddDashboard();
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
    IPAddress AdvertisedAddress, int SiloPort, int GatewayPort, bool ListenOnAnyAddress, string StreamsKind, bool Kubernetes)
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
            config["Streams:Kind"] ?? "AzureQueue",
            config.GetValue("Orleans:Kubernetes", Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is { Length: > 0 }));
    }
}
