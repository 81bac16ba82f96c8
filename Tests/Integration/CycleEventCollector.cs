using System.Diagnostics;
using Orleans.Streams;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// A subscriber of one cycle's event stream that keeps every event exactly once and in order, by the
/// resume contract of cycle events: events are numbered 1, 2, 3… without gaps; the stream may repeat an
/// event (a publish repeated after a crash) and a subscriber misses what was published while it was not
/// subscribed. So the collector
/// <list type="bullet">
/// <item>subscribes to the stream first, then catches up from the cycle's stored history
/// (<see cref="ISynergyCycleGrain.GetEvents"/>) after the last number it has;</item>
/// <item>drops every number it already has (a repeat);</item>
/// <item>fills a gap (an event ahead of the next number) from the history before taking the event;</item>
/// <item>after losing its client (a silo restart, a new client) is resumed on a new client from the last
/// number it has (<see cref="ResumeAsync"/>).</item>
/// </list>
/// Stream deliveries and catch-ups are serialized, so <see cref="Events"/> is always 1..<see cref="LastSeq"/>.
/// </summary>
public sealed class CycleEventCollector
{
    private const int PageSize = 1000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _lock = new();
    private readonly List<CycleEvent> _events = [];
    private readonly List<string> _sources = [];
    private readonly List<CycleEvent> _repeats = [];
    private IClusterClient? _client;
    private StreamSubscriptionHandle<CycleEvent>? _subscription;

    private CycleEventCollector(string name, string cycleId)
    {
        Name = name;
        CycleId = cycleId;
    }

    public string Name { get; }

    public string CycleId { get; }

    /// <summary>The events taken, in order: always exactly Seq 1..<see cref="LastSeq"/>.</summary>
    public IReadOnlyList<CycleEvent> Events
    {
        get { lock (_lock) return _events.ToList(); }
    }

    /// <summary>Where each of <see cref="Events"/> came from: "stream" or "history".</summary>
    public IReadOnlyList<string> Sources
    {
        get { lock (_lock) return _sources.ToList(); }
    }

    /// <summary>Stream deliveries dropped because their number was already taken.</summary>
    public IReadOnlyList<CycleEvent> Repeats
    {
        get { lock (_lock) return _repeats.ToList(); }
    }

    public long LastSeq
    {
        get { lock (_lock) return _events.Count; }
    }

    /// <summary>How many subscriptions (the first and every resume) this collector made.</summary>
    public int Subscriptions { get; private set; }

    /// <summary>
    /// Subscribes to the cycle's stream on <paramref name="client"/> and catches up from its history. The
    /// cycle need not exist yet (a subscriber from the start subscribes before the design).
    /// </summary>
    public static async Task<CycleEventCollector> SubscribeAsync(IClusterClient client, string cycleId, string name)
    {
        var collector = new CycleEventCollector(name, cycleId);
        await collector.ResumeAsync(client);
        return collector;
    }

    /// <summary>
    /// Re-establishes the subscription on <paramref name="client"/> (a new client, or the same one after a
    /// restart) from the last number taken: subscribe first, then take the stored events after it, so
    /// nothing published in between is lost; repeats are dropped.
    /// </summary>
    public async Task ResumeAsync(IClusterClient client)
    {
        await _gate.WaitAsync();
        try
        {
            _client = client;
            var stream = client.GetStreamProvider(CycleStreams.Provider)
                .GetStream<CycleEvent>(StreamId.Create(CycleStreams.Namespace, CycleId));
            _subscription = await stream.SubscribeAsync((e, _) => OnStreamEventAsync(client, e));
            Subscriptions++;
            await CatchUpAsync(client, untilSeq: long.MaxValue);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unsubscribes (only while the client is connected; a lost client's subscription is simply dropped).</summary>
    public async Task UnsubscribeAsync()
    {
        var subscription = _subscription;
        _subscription = null;
        if (subscription is not null) await subscription.UnsubscribeAsync();
    }

    /// <summary>Forgets the subscription of a client that is gone, without calling it.</summary>
    public void Detach()
    {
        _subscription = null;
        _client = null;
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
            return string.Join(", ", _events.Select((e, i) => $"{e.Seq}:{e.Kind}({_sources[i]})"));
    }

    private async Task OnStreamEventAsync(IClusterClient client, CycleEvent e)
    {
        await _gate.WaitAsync();
        try
        {
            if (!ReferenceEquals(client, _client)) return; // a subscription of an earlier client
            if (e.CycleId != CycleId)
                throw new InvalidOperationException($"Subscriber {Name} of {CycleId} got an event of {e.CycleId}.");
            if (e.Seq <= LastSeq)
            {
                lock (_lock) _repeats.Add(e);
                return;
            }
            // Ahead of the next number: the ones before it are stored in the cycle (stored before published).
            if (e.Seq > LastSeq + 1) await CatchUpAsync(client, untilSeq: e.Seq - 1);
            if (e.Seq == LastSeq + 1) Take(e, "stream");
            else lock (_lock) _repeats.Add(e); // the catch-up brought it already
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes the stored events after <see cref="LastSeq"/> up to <paramref name="untilSeq"/>.</summary>
    private async Task CatchUpAsync(IClusterClient client, long untilSeq)
    {
        var cycle = client.GetGrain<ISynergyCycleGrain>(CycleId);
        while (LastSeq < untilSeq)
        {
            IReadOnlyList<CycleEvent> page;
            try
            {
                page = await cycle.GetEvents(LastSeq, PageSize);
            }
            catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound)
            {
                return; // not designed yet: everything will come on the stream
            }
            var taken = 0;
            foreach (var e in page.Where(e => e.Seq <= untilSeq))
            {
                if (e.Seq != LastSeq + 1)
                    throw new InvalidOperationException($"Cycle {CycleId}'s history jumps from {LastSeq} to {e.Seq}.");
                Take(e, "history");
                taken++;
            }
            if (taken == 0 || page.Count < PageSize) return;
        }
    }

    private void Take(CycleEvent e, string source)
    {
        lock (_lock)
        {
            _events.Add(e);
            _sources.Add(source);
        }
    }
}
