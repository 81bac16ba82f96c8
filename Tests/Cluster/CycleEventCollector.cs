using Orleans.Streams;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// A client-side reader of one cycle's events that sees each event exactly once and in order, whether it
/// subscribes before the cycle exists, from its start, or from now. It subscribes to the cycle's stream
/// first (buffering), then reads the stored history (<see cref="ISynergyCycleGrain.GetEvents"/>) from the
/// last number it has; every event, from the stream or the history, goes through one gate that drops
/// numbers already seen and holds numbers that arrive ahead of a gap until the gap is filled (from the
/// history when the stream does not fill it).
/// </summary>
public sealed class CycleEventCollector : IAsyncDisposable
{
    private const int Page = 1000;
    private readonly object _gate = new();
    private readonly SortedDictionary<long, CycleEvent> _ahead = [];
    private readonly List<CycleEvent> _events = [];
    private readonly List<CycleEvent> _received = [];
    private readonly IGrainFactory _grains;
    private StreamSubscriptionHandle<CycleEvent>? _handle;
    private long _last;

    private CycleEventCollector(IGrainFactory grains, string cycleId)
    {
        _grains = grains;
        CycleId = cycleId;
    }

    public string CycleId { get; }

    /// <summary>The events in order, each once, without gaps (from the first one read).</summary>
    public IReadOnlyList<CycleEvent> Events { get { lock (_gate) return _events.ToList(); } }

    /// <summary>Everything the stream delivered, as delivered (repeats and order as they came).</summary>
    public IReadOnlyList<CycleEvent> ReceivedFromStream { get { lock (_gate) return _received.ToList(); } }

    /// <summary>The last number delivered in order.</summary>
    public long LastSeq { get { lock (_gate) return _last; } }

    /// <summary>Subscribes and reads every event from the first (none yet if the cycle does not exist).</summary>
    public static Task<CycleEventCollector> FromStartAsync(IClusterClient client, string cycleId) => SubscribeAsync(client, cycleId, fromNow: false);

    /// <summary>Subscribes and delivers only the events after the cycle's last one at the time of subscribing.</summary>
    public static Task<CycleEventCollector> FromNowAsync(IClusterClient client, string cycleId) => SubscribeAsync(client, cycleId, fromNow: true);

    private static async Task<CycleEventCollector> SubscribeAsync(IClusterClient client, string cycleId, bool fromNow)
    {
        var collector = new CycleEventCollector(client, cycleId);
        var stream = client.GetStreamProvider(CycleStreams.Provider).GetStream<CycleEvent>(StreamId.Create(CycleStreams.Namespace, cycleId));
        // Subscribe first, so nothing published after the history read is missed.
        collector._handle = await stream.SubscribeAsync((e, _) => { collector.Offer(e, fromStream: true); return Task.CompletedTask; });
        if (fromNow)
        {
            var last = await collector.TryLastSeqAsync();
            lock (collector._gate)
            {
                collector._last = Math.Max(collector._last, last);
                foreach (var seq in collector._ahead.Keys.Where(s => s <= collector._last).ToList()) collector._ahead.Remove(seq);
                collector.Drain();
            }
        }
        else
        {
            await collector.CatchUpAsync();
        }
        return collector;
    }

    /// <summary>Reads the stored history after the last number delivered, filling any gap.</summary>
    public async Task CatchUpAsync()
    {
        while (true)
        {
            IReadOnlyList<CycleEvent> page;
            try
            {
                page = await _grains.GetGrain<ISynergyCycleGrain>(CycleId).GetEvents(LastSeq, Page);
            }
            catch (GuaranteeException ex) when (ex.Code == "cycle-not-found")
            {
                return; // not designed yet: its events will come on the stream
            }
            foreach (var e in page) Offer(e, fromStream: false);
            if (page.Count < Page) return;
        }
    }

    /// <summary>Waits until an event satisfies <paramref name="until"/>, reading the history when a gap stays open.</summary>
    public async Task<CycleEvent> WaitForAsync(Func<CycleEvent, bool> until, TimeSpan? timeout = null)
    {
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        var polls = 0;
        while (true)
        {
            var found = Events.FirstOrDefault(until);
            if (found is not null) return found;
            if (DateTimeOffset.UtcNow > deadline)
                throw new TimeoutException($"Cycle {CycleId}: no matching event after #{LastSeq} ({string.Join(", ", Events.Select(e => $"{e.Seq}:{e.Kind}"))}).");
            bool gap;
            lock (_gate) gap = _ahead.Count > 0;
            if (gap || ++polls % 25 == 0) await CatchUpAsync();
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the event numbered <paramref name="seq"/> has been delivered in order.</summary>
    public Task WaitForSeqAsync(long seq, TimeSpan? timeout = null) => WaitForAsync(e => e.Seq >= seq, timeout);

    private void Offer(CycleEvent e, bool fromStream)
    {
        if (e.CycleId != CycleId) return;
        lock (_gate)
        {
            if (fromStream) _received.Add(e);
            if (e.Seq <= _last) return; // seen
            _ahead.TryAdd(e.Seq, e);
            Drain();
        }
    }

    private void Drain()
    {
        while (_ahead.Remove(_last + 1, out var next))
        {
            _events.Add(next);
            _last = next.Seq;
        }
    }

    private async Task<long> TryLastSeqAsync()
    {
        try
        {
            return (await _grains.GetGrain<ISynergyCycleGrain>(CycleId).Get()).LastEventSeq;
        }
        catch (GuaranteeException ex) when (ex.Code == "cycle-not-found")
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_handle is not null) await _handle.UnsubscribeAsync();
        _handle = null;
    }
}
