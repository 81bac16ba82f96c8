using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Streams;

namespace OrleansGuarantee.Dashboard.Services;

/// <summary>Where a delivered event came from.</summary>
public enum CycleEventSource
{
    /// <summary>The cycle's stream, as it was published.</summary>
    Stream,
    /// <summary>The cycle's stored history (<see cref="ISynergyCycleGrain.GetEvents"/>): a catch-up or a gap filled.</summary>
    History,
}

/// <summary>Whether a feed is connected.</summary>
public enum CycleFeedStatus
{
    /// <summary>Subscribed, and the last check with the cycle got an answer.</summary>
    Live,
    /// <summary>The cluster did not answer; the feed keeps trying, then subscribes again and reads what it missed.</summary>
    Reconnecting,
    /// <summary>Disposed.</summary>
    Stopped,
}

public sealed record CycleEventFeedOptions
{
    /// <summary>
    /// How often the feed asks the cycle for its last event number. An event the stream has not brought by the next
    /// check (a whole period later) is read from the history, so a lost event costs at most two periods; a check that
    /// gets no answer turns the feed to <see cref="CycleFeedStatus.Reconnecting"/>. <see cref="Timeout.InfiniteTimeSpan"/>
    /// turns the checks off (then only the stream and explicit <see cref="CycleEventFeed.CatchUpAsync"/> deliver).
    /// </summary>
    public TimeSpan CheckEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a check waits for the cycle's answer before the feed counts as reconnecting (the cluster's own
    /// call timeout is longer).</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many events one history read asks for.</summary>
    public int PageSize { get; init; } = 1000;
}

/// <summary>
/// One cycle's events, each exactly once and in order, to a callback: the live cycle page's feed (and the tests').
/// Cycle events are numbered 1, 2, 3… without gaps and stored before they are published, but the stream may repeat
/// one (a publish repeated after a crash) and a subscriber misses whatever was published while it was not subscribed.
/// So the feed subscribes to the cycle's stream first, then reads the stored history after the number it starts from;
/// a repeat is dropped; an event ahead of the next number first has the gap filled from the history; and a periodic
/// check reads what the stream has not brought within a period (a lost event) and notices when the cluster stops
/// answering, after which it subscribes again and catches up. Deliveries, catch-ups and checks run one at a time, so
/// the callback sees numbers after the starting one in order, without gaps or repeats. Disposing unsubscribes.
/// </summary>
public sealed class CycleEventFeed : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Func<CycleEvent, CycleEventSource, Task> _onEvent;
    private readonly Func<CycleFeedStatus, Task>? _onStatus;
    private readonly CycleEventFeedOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private IClusterClient _client;
    private StreamSubscriptionHandle<CycleEvent>? _subscription;
    private int _generation;
    private long _lastSeq;
    /// <summary>The cycle's last number at the previous check: anything up to it had a whole period to come on the stream.</summary>
    private long _checkTarget;
    private int _repeats;
    private Task? _checks;

    private CycleEventFeed(IClusterClient client, string cycleId, long afterSeq, Func<CycleEvent, CycleEventSource, Task> onEvent,
        Func<CycleFeedStatus, Task>? onStatus, CycleEventFeedOptions options, ILogger logger)
    {
        _client = client;
        CycleId = cycleId;
        _lastSeq = afterSeq;
        _onEvent = onEvent;
        _onStatus = onStatus;
        _options = options;
        _logger = logger;
    }

    public string CycleId { get; }

    /// <summary>The number of the last event delivered (or the starting number, before any).</summary>
    public long LastSeq => Volatile.Read(ref _lastSeq);

    public CycleFeedStatus Status { get; private set; } = CycleFeedStatus.Live;

    /// <summary>Stream deliveries dropped because their number had been delivered already.</summary>
    public int RepeatsDropped => Volatile.Read(ref _repeats);

    /// <summary>How many times the feed subscribed to the stream (the first time, and again after each loss).</summary>
    public int Subscriptions { get; private set; }

    /// <summary>
    /// Subscribes to the cycle's stream on <paramref name="client"/> and delivers the stored events after
    /// <paramref name="afterSeq"/> (0: from the first), then every later one. The cycle need not exist yet (its
    /// events then all come on the stream). If the cluster does not answer, the feed starts as
    /// <see cref="CycleFeedStatus.Reconnecting"/> and keeps trying.
    /// </summary>
    public static async Task<CycleEventFeed> StartAsync(IClusterClient client, string cycleId, long afterSeq,
        Func<CycleEvent, CycleEventSource, Task> onEvent, Func<CycleFeedStatus, Task>? onStatus = null,
        CycleEventFeedOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(onEvent);
        Ids.Validate(cycleId, "cycle");
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        options ??= new CycleEventFeedOptions();
        if (options.PageSize is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(options), "PageSize must be 1 to 1000.");
        var feed = new CycleEventFeed(client, cycleId, afterSeq, onEvent, onStatus, options, logger ?? NullLogger.Instance);
        await feed._gate.WaitAsync();
        try
        {
            await feed.ConnectAsync();
        }
        finally
        {
            feed._gate.Release();
        }
        if (options.CheckEvery != Timeout.InfiniteTimeSpan)
            feed._checks = feed.CheckPeriodicallyAsync(feed._stopping.Token);
        return feed;
    }

    /// <summary>
    /// Subscribes again, on <paramref name="client"/> (another client, when the first one is gone), and delivers the
    /// stored events after the last one delivered, so nothing published meanwhile is lost.
    /// </summary>
    public async Task ResumeAsync(IClusterClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        await _gate.WaitAsync();
        try
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            _client = client;
            await ConnectAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Delivers the stored events after the last one delivered (what the stream may not have brought yet).</summary>
    public async Task CatchUpAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await CatchUpToAsync(long.MaxValue);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Subscribes (dropping an earlier subscription) and catches up; on failure the feed is reconnecting.</summary>
    private async Task ConnectAsync()
    {
        try
        {
            await DropSubscriptionAsync();
            var generation = ++_generation;
            var stream = _client.GetStreamProvider(CycleStreams.Provider)
                .GetStream<CycleEvent>(StreamId.Create(CycleStreams.Namespace, CycleId));
            // Subscribe first, then read the history: whatever is published in between comes one way or the other.
            _subscription = await stream.SubscribeAsync(
                (e, _) => OnStreamEventAsync(generation, e),
                ex => OnStreamErrorAsync(generation, ex));
            Subscriptions++;
            await CatchUpToAsync(long.MaxValue);
            await SetStatusAsync(CycleFeedStatus.Live);
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Cycle {Cycle}: could not subscribe to its events; trying again", CycleId);
            await SetStatusAsync(CycleFeedStatus.Reconnecting);
        }
    }

    private async Task OnStreamEventAsync(int generation, CycleEvent e)
    {
        await _gate.WaitAsync();
        try
        {
            if (generation != _generation || _stopping.IsCancellationRequested) return; // an earlier subscription's delivery
            if (e.CycleId != CycleId)
            {
                _logger.LogWarning("Cycle {Cycle}'s stream carried an event of cycle {Other}; ignored", CycleId, e.CycleId);
                return;
            }
            if (e.Seq <= _lastSeq)
            {
                Interlocked.Increment(ref _repeats);
                return;
            }
            if (e.Seq > _lastSeq + 1)
            {
                // Ahead of the next number: the ones before it are stored (stored before published).
                try
                {
                    await CatchUpToAsync(e.Seq - 1);
                }
                catch (Exception ex)
                {
                    // The gap stays open; the next check reads it (and this event) from the history.
                    _logger.LogWarning(ex, "Cycle {Cycle}: could not read events {From}-{To} to fill a gap", CycleId, _lastSeq + 1, e.Seq - 1);
                    await SetStatusAsync(CycleFeedStatus.Reconnecting);
                    return;
                }
            }
            if (e.Seq == _lastSeq + 1) await DeliverAsync(e, CycleEventSource.Stream);
            else Interlocked.Increment(ref _repeats); // the catch-up brought it already
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task OnStreamErrorAsync(int generation, Exception ex)
    {
        if (generation != Volatile.Read(ref _generation) || _stopping.IsCancellationRequested) return;
        _logger.LogWarning(ex, "Cycle {Cycle}: its stream subscription failed; subscribing again", CycleId);
        await _gate.WaitAsync();
        try
        {
            if (generation == _generation) await SetStatusAsync(CycleFeedStatus.Reconnecting);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Delivers the stored events after the last one delivered, up to <paramref name="untilSeq"/>. Call inside the gate.</summary>
    private async Task CatchUpToAsync(long untilSeq)
    {
        var cycle = _client.GetGrain<ISynergyCycleGrain>(CycleId);
        while (_lastSeq < untilSeq)
        {
            IReadOnlyList<CycleEvent> page;
            try
            {
                page = await cycle.GetEvents(_lastSeq, _options.PageSize);
            }
            catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound)
            {
                return; // not designed yet: its events will come on the stream
            }
            var taken = 0;
            foreach (var e in page)
            {
                if (e.Seq > untilSeq) break;
                if (e.Seq != _lastSeq + 1)
                    throw new InvalidOperationException($"Cycle {CycleId}'s history jumps from {_lastSeq} to {e.Seq}.");
                await DeliverAsync(e, CycleEventSource.History);
                taken++;
            }
            if (taken == 0 || page.Count < _options.PageSize) return;
        }
    }

    private async Task DeliverAsync(CycleEvent e, CycleEventSource source)
    {
        Volatile.Write(ref _lastSeq, e.Seq);
        try
        {
            await _onEvent(e, source);
        }
        catch (Exception ex)
        {
            // The subscriber's own failure: the event counts as delivered, the feed goes on.
            _logger.LogError(ex, "Cycle {Cycle}: the subscriber failed on event {Seq}", CycleId, e.Seq);
        }
    }

    private async Task CheckPeriodicallyAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(_options.CheckEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await _gate.WaitAsync(stopping);
                try
                {
                    await CheckAsync();
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>One check (inside the gate): reconnect if needed, read what the stream has not brought within a period.</summary>
    private async Task CheckAsync()
    {
        if (Status == CycleFeedStatus.Reconnecting)
        {
            await ConnectAsync();
            if (Status != CycleFeedStatus.Live) return;
        }
        try
        {
            long latest;
            try
            {
                latest = (await _client.GetGrain<ISynergyCycleGrain>(CycleId).Get().WaitAsync(_options.CheckTimeout)).LastEventSeq;
            }
            catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound)
            {
                latest = 0;
            }
            if (_checkTarget > _lastSeq)
            {
                _logger.LogInformation("Cycle {Cycle}: events {From}-{To} did not come on the stream within a period; reading them",
                    CycleId, _lastSeq + 1, _checkTarget);
                await CatchUpToAsync(_checkTarget);
            }
            _checkTarget = latest;
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Cycle {Cycle}: the cluster did not answer the feed's check", CycleId);
            await SetStatusAsync(CycleFeedStatus.Reconnecting);
        }
    }

    private async Task SetStatusAsync(CycleFeedStatus status)
    {
        if (Status == status) return;
        Status = status;
        if (_onStatus is null) return;
        try
        {
            await _onStatus(status);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Cycle {Cycle}: the subscriber failed on the status {Status}", CycleId, status);
        }
    }

    /// <summary>Unsubscribes the current subscription, if any; a client that is gone is not waited for.</summary>
    private async Task DropSubscriptionAsync()
    {
        var subscription = _subscription;
        _subscription = null;
        if (subscription is null) return;
        try
        {
            await subscription.UnsubscribeAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Cycle {Cycle}: an earlier subscription could not be removed (its client may be gone)", CycleId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        if (_checks is not null)
        {
            try { await _checks; }
            catch (Exception ex) { _logger.LogDebug(ex, "Cycle {Cycle}: the feed's checks ended with an error", CycleId); }
        }
        await _gate.WaitAsync();
        try
        {
            _generation++;
            await DropSubscriptionAsync();
            Status = CycleFeedStatus.Stopped;
        }
        finally
        {
            _gate.Release();
        }
        _stopping.Dispose();
    }
}
