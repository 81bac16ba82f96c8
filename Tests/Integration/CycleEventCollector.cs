using System.Diagnostics;
using OrleansGuarantee.Dashboard.Services;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// A subscriber of one cycle's event stream: the front door's <see cref="CycleEventFeed"/>, keeping every event it
/// delivers and where it came from. The feed subscribes to the stream first, then catches up from the cycle's stored
/// history after the last number it has, drops repeats and fills gaps from the history; after losing its client (a
/// silo restart, a new client) it is resumed on a new client from the last number it has (<see cref="ResumeAsync"/>).
/// The feed's periodic checks are off here, so after the catch-ups every event must come from the stream itself.
/// </summary>
public sealed class CycleEventCollector
{
    private readonly Lock _lock = new();
    private readonly List<CycleEvent> _events = [];
    private readonly List<CycleEventSource> _sources = [];
    private CycleEventFeed? _feed;

    private CycleEventCollector(string name, string cycleId)
    {
        Name = name;
        CycleId = cycleId;
    }

    public string Name { get; }

    public string CycleId { get; }

    /// <summary>The events taken, in order: exactly Seq 1..<see cref="LastSeq"/>.</summary>
    public IReadOnlyList<CycleEvent> Events
    {
        get { lock (_lock) return _events.ToList(); }
    }

    /// <summary>Where each of <see cref="Events"/> came from.</summary>
    public IReadOnlyList<CycleEventSource> Sources
    {
        get { lock (_lock) return _sources.ToList(); }
    }

    /// <summary>Stream deliveries dropped because their number was already taken.</summary>
    public int RepeatsDropped => _feed!.RepeatsDropped;

    public long LastSeq => _feed!.LastSeq;

    /// <summary>How many subscriptions (the first and every resume) the feed made.</summary>
    public int Subscriptions => _feed!.Subscriptions;

    /// <summary>
    /// Subscribes to the cycle's stream on <paramref name="client"/> and catches up from its history. The
    /// cycle need not exist yet (a subscriber from the start subscribes before the design).
    /// </summary>
    public static async Task<CycleEventCollector> SubscribeAsync(IClusterClient client, string cycleId, string name)
    {
        var collector = new CycleEventCollector(name, cycleId);
        collector._feed = await CycleEventFeed.StartAsync(client, cycleId, 0, collector.TakeAsync,
            options: new CycleEventFeedOptions { CheckEvery = Timeout.InfiniteTimeSpan });
        Assert.Equal(CycleFeedStatus.Live, collector._feed.Status);
        return collector;
    }

    /// <summary>
    /// Re-establishes the subscription on <paramref name="client"/> (a new client, after the first one went away)
    /// from the last number taken: subscribe first, then take the stored events after it, so nothing published in
    /// between is lost; repeats are dropped.
    /// </summary>
    public async Task ResumeAsync(IClusterClient client)
    {
        await _feed!.ResumeAsync(client);
        Assert.Equal(CycleFeedStatus.Live, _feed.Status);
    }

    /// <summary>Waits until the collector has every event up to <paramref name="seq"/>.</summary>
    public async Task WaitForAsync(long seq, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (LastSeq < seq)
        {
            if (watch.Elapsed > timeout)
                throw new TimeoutException(
                    $"Subscriber {Name} has events up to {LastSeq}, not {seq}, after {timeout.TotalSeconds:0}s. Taken: {Describe()}");
            await Task.Delay(50);
        }
    }

    /// <summary>The events taken, as "seq:kind(source)", for messages.</summary>
    public string Describe()
    {
        lock (_lock)
            return string.Join(", ", _events.Select((e, i) => $"{e.Seq}:{e.Kind}({_sources[i].ToString().ToLowerInvariant()})"));
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
}
