using OrleansGuarantee.Dashboard.Services;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// A test's reader of one cycle's events: the front door's <see cref="CycleEventFeed"/> (stream first, then the stored
/// history, repeats dropped, gaps filled), keeping what it delivers and where each event came from. It subscribes
/// before the cycle exists, from its start, or from now.
/// </summary>
public sealed class CycleEventCollector : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<CycleEvent> _events = [];
    private readonly List<CycleEventSource> _sources = [];
    private CycleEventFeed? _feed;

    private CycleEventCollector(string cycleId) => CycleId = cycleId;

    public string CycleId { get; }

    /// <summary>The events delivered, in order, each once.</summary>
    public IReadOnlyList<CycleEvent> Events { get { lock (_lock) return _events.ToList(); } }

    /// <summary>Where each of <see cref="Events"/> came from.</summary>
    public IReadOnlyList<CycleEventSource> Sources { get { lock (_lock) return _sources.ToList(); } }

    /// <summary>Stream deliveries the feed dropped because it had delivered their number already.</summary>
    public int RepeatsDropped => _feed!.RepeatsDropped;

    /// <summary>The last number delivered (the starting number before any).</summary>
    public long LastSeq => _feed!.LastSeq;

    /// <summary>
    /// Subscribes and delivers every event from the first (none yet if the cycle does not exist). With
    /// <paramref name="streamOnly"/> the feed makes no periodic check, so every event after the stored ones comes from
    /// the stream itself (what a test of the stream asserts).
    /// </summary>
    public static Task<CycleEventCollector> FromStartAsync(IClusterClient client, string cycleId, bool streamOnly = false) =>
        StartAsync(client, cycleId, 0, streamOnly);

    /// <summary>Subscribes and delivers only the events after the cycle's last one at the time of subscribing.</summary>
    public static async Task<CycleEventCollector> FromNowAsync(IClusterClient client, string cycleId)
    {
        long last;
        try
        {
            last = (await client.GetGrain<ISynergyCycleGrain>(cycleId).Get()).LastEventSeq;
        }
        catch (GuaranteeException ex) when (ex.Code == "cycle-not-found")
        {
            last = 0;
        }
        return await StartAsync(client, cycleId, last, streamOnly: false);
    }

    private static async Task<CycleEventCollector> StartAsync(IClusterClient client, string cycleId, long afterSeq, bool streamOnly)
    {
        var collector = new CycleEventCollector(cycleId);
        var options = new CycleEventFeedOptions { CheckEvery = streamOnly ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(1) };
        collector._feed = await CycleEventFeed.StartAsync(client, cycleId, afterSeq, collector.TakeAsync, options: options);
        return collector;
    }

    /// <summary>Waits until the event numbered <paramref name="seq"/> has been delivered in order.</summary>
    public async Task WaitForSeqAsync(long seq, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (LastSeq < seq)
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"Cycle {CycleId}: events up to #{LastSeq}, not #{seq} ({string.Join(", ", Events.Select(e => $"{e.Seq}:{e.Kind}"))}).");
            await Task.Delay(20);
        }
    }

    private Task TakeAsync(CycleEvent e, CycleEventSource source)
    {
        lock (_lock)
        {
            _events.Add(e);
            _sources.Add(source);
        }
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null) await _feed.DisposeAsync();
    }
}
