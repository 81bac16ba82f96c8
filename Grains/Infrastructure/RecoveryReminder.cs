using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrleansGuarantee.Infrastructure;

/// <summary>How often an interrupted operation is retried when nobody calls its grain.</summary>
public sealed class RecoveryOptions
{
    /// <summary>Due time and period of the recovery reminder (Orleans' minimum reminder period applies).</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// For grains that run multi-grain steps: the persisted progress is resumed when the grain activates,
/// and a durable wake-up resumes it if nobody calls the grain. The wake-up is armed before the first step is
/// stored and cleared when the work is done. It is either the grain's own reminder (durable in the reminder table:
/// a register and an unregister per operation) or, for grains that override <see cref="UsesRecoveryBook"/>, an entry
/// in a partitioned recovery book (<see cref="RecoveryBookGrain"/>): many grains' entries share one state write and
/// one long-lived reminder per partition, and clearing is a one-way message stored with the book's next write.
/// </summary>
public abstract class RecoverableGrain(ILogger logger) : Grain, IRemindable, IRecoverableGrain
{
    private const string ReminderName = "recover-pending-steps";
    private IGrainReminder? _reminder;

    protected ILogger Logger { get; } = logger;

    /// <summary>Does this grain use a recovery book entry instead of its own reminder?</summary>
    protected virtual bool UsesRecoveryBook => false;

    /// <summary>
    /// The ticket of the grain's latest recovery book entry; part of the grain's stored state, raised when the wake-up
    /// is armed and stored with the pending steps, so a late "done" of earlier steps never drops a newer entry.
    /// </summary>
    protected virtual long RecoveryTicket { get => 0; set { } }

    /// <summary>Is there stored progress of an interrupted operation?</summary>
    protected abstract bool HasPendingSteps { get; }

    /// <summary>Completes or rolls back the interrupted operation. Must be idempotent.</summary>
    protected abstract Task ResumePendingStepsAsync();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (HasPendingSteps) await TryResumeAsync("activation");
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName) return;
        if (HasPendingSteps) await TryResumeAsync("reminder");
        if (!HasPendingSteps)
        {
            // A grain that now uses the book may still have a reminder armed before it did: that one is cleared too.
            if (UsesRecoveryBook) await UnregisterOwnReminderAsync();
            await DisarmRecoveryAsync();
        }
    }

    /// <summary>The recovery book's poke: resumes pending steps; true while some are still pending.</summary>
    async Task<bool> IRecoverableGrain.ResumePendingSteps()
    {
        if (HasPendingSteps) await TryResumeAsync("recovery book");
        return HasPendingSteps;
    }

    /// <summary>
    /// Registers the recovery reminder. Callers change their state in memory, arm, then store it; when the reminder
    /// cannot be stored (the reminder table does not answer), the change is not stored either, so the activation is
    /// dropped, as after a failed state write: the next call reads the stored state instead of acting on the change
    /// (a deal left "accepting" in memory with nothing to finish it was seen while Azurite was down).
    /// </summary>
    protected async Task ArmRecoveryAsync()
    {
        var period = ServiceProvider.GetService<Microsoft.Extensions.Options.IOptions<RecoveryOptions>>()?.Value.RetryPeriod
            ?? new RecoveryOptions().RetryPeriod;
        try
        {
            ServiceProvider.GetService<IFaultInjector>()?.At(FaultPoints.ReminderArming, this.GetGrainId().Key.ToString()!);
            if (UsesRecoveryBook)
            {
                RecoveryTicket++;
                var grain = this.GetGrainId();
                await GrainFactory.GetGrain<IRecoveryBookGrain>(RecoveryBooks.KeyOf(grain)).Add(grain, RecoveryTicket);
            }
            else
            {
                _reminder = await this.RegisterOrUpdateReminder(ReminderName, period, period);
            }
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    protected async Task DisarmRecoveryAsync()
    {
        if (UsesRecoveryBook)
        {
            // One way and not stored by the book at once: if it is lost, the book's next tick finds nothing pending.
            var grain = this.GetGrainId();
            _ = GrainFactory.GetGrain<IRecoveryBookGrain>(RecoveryBooks.KeyOf(grain)).Done(grain, RecoveryTicket);
            return;
        }
        await UnregisterOwnReminderAsync();
    }

    private async Task UnregisterOwnReminderAsync()
    {
        try
        {
            _reminder ??= await this.GetReminder(ReminderName);
            if (_reminder is not null) await this.UnregisterReminder(_reminder);
            _reminder = null;
        }
        catch (Exception ex)
        {
            // A reminder left behind only wakes the grain, which finds nothing pending and tries again.
            Logger.LogWarning(ex, "Could not clear the recovery reminder of {Grain}", this.GetGrainId());
        }
    }

    private async Task TryResumeAsync(string trigger)
    {
        try
        {
            await ResumePendingStepsAsync();
        }
        catch (Exception ex)
        {
            Logger.LogWarning(ex, "Resuming the pending steps of {Grain} on {Trigger} failed; the reminder will try again",
                this.GetGrainId(), trigger);
        }
    }
}
