using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee.Benchmarks;

/// <summary>
/// One silo in this process with localhost clustering and memory storage under the storage names the real silo
/// gives the grains (<see cref="StorageNames.Store"/>, "PubSubStore"), memory reminders and memory cycle streams.
/// The benchmark calls grains through the silo's own <see cref="IGrainFactory"/>: no gateway or network between
/// the caller and the grains, so the figures are the grains' cost, not a client's.
/// </summary>
public sealed class BenchmarkSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private BenchmarkSilo(IHost host) => _host = host;

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public IServiceProvider Services => _host.Services;

    /// <param name="settings">Configuration keys for the grains, as the real silo reads them (e.g. Navigator:CacheSeconds).</param>
    /// <param name="orleansStorageSerializer">Stores grain states in memory as the real silo stores them in Azure Table
    /// storage, with the Orleans serializer (<c>Silo/Program.cs</c>); otherwise with memory storage's default
    /// (Newtonsoft JSON with type names), as the benchmarks did at first.</param>
    public static async Task<BenchmarkSilo> StartAsync(IReadOnlyDictionary<string, string?>? settings = null,
        bool orleansStorageSerializer = false)
    {
        var builder = Host.CreateApplicationBuilder();
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Orleans warns of slow turns and long deactivations while 100,000 grains are created or shut down; the
        // benchmark measures those phases itself.
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Services.AddGuaranteeGrainServices();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering();
            // More storage grains than the default 10, so 100,000 members signing up at once do not queue on a few.
            if (orleansStorageSerializer)
                silo.AddMemoryGrainStorage(StorageNames.Store, options => options.Configure<Serializer>((o, serializer) =>
                {
                    o.NumStorageGrains = 64;
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
            else
                silo.AddMemoryGrainStorage(StorageNames.Store, o => o.NumStorageGrains = 64);
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.AddMemoryStreams(CycleStreams.Provider);
            silo.UseInMemoryReminderService();
            // Nothing is deactivated while the benchmark runs: a directory partition that reactivated would ask its
            // members again, which is not what is measured here (and would drop contacts seeded in bulk).
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromHours(2));
        });
        var host = builder.Build();
        await host.StartAsync();
        return new BenchmarkSilo(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
