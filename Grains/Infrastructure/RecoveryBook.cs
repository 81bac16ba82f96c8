using Orleans.Concurrency;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansGuarantee.Infrastructure;

[GenerateSerializer, Alias("og.RecoveryBookState")]
public sealed class RecoveryBookState
{
    /// <summary>Grains to wake (grain id as text) with the ticket of their latest pending steps.</summary>
    [Id(0)] public Dictionary<string, long> Entries { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One partition of the recovery books (<see cref="IRecoveryBookGrain"/>). Reentrant: additions that arrive while a
/// write is under way wait for the next write, which stores them all at once (group commit); every caller returns
/// only after a write that holds its entry succeeded. The reminder is registered once per partition and kept.
/// </summary>
[Reentrant]
public sealed class RecoveryBookGrain(
    [PersistentState("recovery-book", StorageNames.Store)] IPersistentState<RecoveryBookState> state,
    IOptions<RecoveryOptions> options,
    ILogger<RecoveryBookGrain> logger) : Grain, IRecoveryBookGrain, IRemindable
{
    private const string ReminderName = "recovery-book";
    /// <summary>How many grains one tick pokes at once.</summary>
    private const int PokeBatch = 100;

    private Dictionary<string, long> _entries = new(StringComparer.Ordinal);
    private bool _dirty;
    private Task? _reminder;
    /// <summary>The write that changes made now go into (not started yet), and the write under way.</summary>
    private Task? _queued;
    private Task _running = Task.CompletedTask;
    private bool _ticking;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _entries = new Dictionary<string, long>(state.State.Entries, StringComparer.Ordinal);
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task Add(GrainId grain, long ticket)
    {
        await EnsureReminderAsync();
        var key = grain.ToString();
        if (!_entries.TryGetValue(key, out var known) || known < ticket) _entries[key] = ticket;
        _dirty = true;
        await CommitAsync();
    }

    public Task Done(GrainId grain, long ticket)
    {
        var key = grain.ToString();
        if (_entries.TryGetValue(key, out var known) && known <= ticket)
        {
            _entries.Remove(key);
            _dirty = true; // stored with the next write: until then the entry only causes a harmless poke
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RecoveryBookEntry>> Entries() =>
        Task.FromResult<IReadOnlyList<RecoveryBookEntry>>(_entries.Select(e => new RecoveryBookEntry(e.Key, e.Value)).ToList());

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName || _ticking) return;
        _ticking = true;
        try
        {
            var snapshot = _entries.ToList();
            for (var i = 0; i < snapshot.Count; i += PokeBatch)
            {
                var batch = snapshot.Skip(i).Take(PokeBatch).ToList();
                var pending = await Task.WhenAll(batch.Select(PokeAsync));
                for (var j = 0; j < batch.Count; j++)
                {
                    // An entry replaced meanwhile (a later ticket) belongs to newer steps: it stays.
                    if (pending[j] || !_entries.TryGetValue(batch[j].Key, out var now) || now != batch[j].Value) continue;
                    _entries.Remove(batch[j].Key);
                    _dirty = true;
                }
            }
            if (_dirty) await CommitAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Recovery book {Book} could not store its entries; the next tick tries again", this.GetPrimaryKeyString());
        }
        finally
        {
            _ticking = false;
        }
    }

    /// <summary>True when the grain still has (or may have) pending steps.</summary>
    private async Task<bool> PokeAsync(KeyValuePair<string, long> entry)
    {
        try
        {
            return await GrainFactory.GetGrain<IRecoverableGrain>(GrainId.Parse(entry.Key)).ResumePendingSteps();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Recovery book {Book} could not wake {Grain}; the next tick tries again", this.GetPrimaryKeyString(), entry.Key);
            return true;
        }
    }

    private Task EnsureReminderAsync()
    {
        if (_reminder is { IsFaulted: true } or { IsCanceled: true }) _reminder = null;
        return _reminder ??= RegisterReminderAsync();
    }

    private async Task RegisterReminderAsync()
    {
        // Kept for good: an empty book's tick costs one activation and no write.
        if (await this.GetReminder(ReminderName) is not null) return;
        var period = options.Value.RetryPeriod;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
    }

    /// <summary>Returns when a write that holds every change made so far has succeeded.</summary>
    private Task CommitAsync() => _queued ??= WriteAfterAsync(_running);

    private async Task WriteAfterAsync(Task previous)
    {
        await Task.Yield(); // _queued is set before this continues, and additions arriving meanwhile join this write
        try { await previous; } catch { /* its callers saw the failure; this write stores everything again */ }
        _queued = null;
        var write = WriteAsync();
        _running = write;
        await write;
    }

    private async Task WriteAsync()
    {
        state.State = new RecoveryBookState { Entries = new Dictionary<string, long>(_entries, StringComparer.Ordinal) };
        _dirty = false;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            _dirty = true;
            // The outcome is unknown: read the stored state for its version (ETag) so the next write can go ahead. The
            // entries in memory stay (the callers of this write were told it failed; an entry stored anyway only pokes).
            try { await state.ReadStateAsync(); }
            catch { DeactivateOnIdle(); }
            throw;
        }
    }
}
