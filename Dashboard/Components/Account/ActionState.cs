namespace OrleansGuarantee.Dashboard.Components.Account;

/// <summary>How the last run of an action ended.</summary>
public enum ActionOutcome
{
    None,
    /// <summary>It took effect.</summary>
    Succeeded,
    /// <summary>A rule refused it; nothing changed.</summary>
    Refused,
    /// <summary>No answer in time, or interrupted: it may or may not have taken effect.</summary>
    Uncertain,
    /// <summary>An unexpected error.</summary>
    Failed,
}

/// <summary>
/// One form's or one row's action on the account page: whether it is running (its button is disabled
/// meanwhile) and what the last run said, shown next to the form.
/// </summary>
public sealed class ActionState
{
    public bool Busy { get; private set; }
    public ActionOutcome Outcome { get; private set; }
    public string? Message { get; private set; }

    /// <summary>For an insufficient-cover refusal: which party misses how much.</summary>
    public IReadOnlyList<CoverShortfall> Shortfalls { get; private set; } = [];

    public void Clear()
    {
        Outcome = ActionOutcome.None;
        Message = null;
        Shortfalls = [];
    }

    /// <summary>
    /// Runs <paramref name="action"/> (which returns the success message). A refusal shows its message; a
    /// timeout-like failure keeps <paramref name="operation"/>'s id so that submitting the same again
    /// cannot take effect twice; anything unexpected is logged and shown as a generic message.
    /// </summary>
    /// <returns>False when the action was already running (the click is ignored).</returns>
    public async Task<bool> RunAsync(Func<Task<string>> action, ILogger logger, PendingOperation? operation = null)
    {
        if (Busy) return false;
        Busy = true;
        Clear();
        try
        {
            Message = await action();
            Outcome = ActionOutcome.Succeeded;
            operation?.Settle();
        }
        catch (GuaranteeException ex) when (ex.Kind != ErrorKind.Interrupted)
        {
            Outcome = ActionOutcome.Refused;
            Message = ex.Message;
            Shortfalls = ex.Shortfalls;
            operation?.Settle();
        }
        catch (GuaranteeException ex)
        {
            logger.LogWarning(ex, "Account page action interrupted: {Code}", ex.Code);
            Outcome = ActionOutcome.Uncertain;
            Message = ex.Message + RetryHint(operation);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            logger.LogWarning(ex, "Account page action got no answer from the cluster");
            Outcome = ActionOutcome.Uncertain;
            Message = "The cluster did not answer in time, so this may or may not have taken effect." + RetryHint(operation);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Account page action failed unexpectedly");
            Outcome = ActionOutcome.Failed;
            Message = "Something went wrong on our side." + RetryHint(operation);
        }
        finally
        {
            Busy = false;
        }
        return true;
    }

    private static string RetryHint(PendingOperation? operation) => operation?.IsPending == true
        ? " Check the figures below; submitting the same again is safe, it will not take effect twice."
        : " Check the figures below before trying again.";
}

/// <summary>
/// The operation id of one form's submission. A new submission gets a fresh id; the same submission
/// (same fields) retried after a timeout-like failure keeps its id, so the server applies it at most once.
/// The id is dropped on success or on a definite refusal.
/// </summary>
public sealed class PendingOperation
{
    private string? _fingerprint;

    public string? Id { get; private set; }

    public bool IsPending => Id is not null;

    /// <summary>The id for a submission of these fields: the pending one if it is the same submission, else a new one.</summary>
    public string IdFor(string fingerprint)
    {
        if (Id is null || !string.Equals(_fingerprint, fingerprint, StringComparison.Ordinal))
        {
            Id = Guid.NewGuid().ToString("N");
            _fingerprint = fingerprint;
        }
        return Id;
    }

    public void Settle()
    {
        Id = null;
        _fingerprint = null;
    }
}
