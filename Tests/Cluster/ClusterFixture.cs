using OrleansGuarantee.Journal;
using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>Faults armed by tests for one point and one grain key; each fires a set number of times.</summary>
public sealed class TestFaults : IFaultInjector
{
    private readonly ConcurrentDictionary<(string Point, string Key), int> _armed = new();

    public void Arm(string point, string key, int times = 1) => _armed[(point, key)] = times;

    public void Disarm(string point, string key) => _armed.TryRemove((point, key), out _);

    public void At(string point, string key)
    {
        while (_armed.TryGetValue((point, key), out var left) && left > 0)
        {
            if (!_armed.TryUpdate((point, key), left - 1, left)) continue;
            throw new InjectedFaultException(point, key);
        }
    }
}

/// <summary>One in-process silo with memory storage and in-memory reminders, shared by the cluster tests.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly TestFaults Faults = new();

    /// <summary>The silo's journal store, shared so tests can read and tamper with stored entries.</summary>
    public static readonly MemoryJournalStore Journal = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;

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
            // Short recovery reminders, so a test can watch one finish an interrupted operation.
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
            silo.Configure<RecoveryOptions>(o => o.RetryPeriod = TimeSpan.FromSeconds(2));
            silo.Services.AddSingleton<IFaultInjector>(Faults);
            silo.Services.AddSingleton<IJournalStore>(Journal);
            silo.Services.AddGuaranteeGrainServices();
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(CycleStreams.Provider));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
