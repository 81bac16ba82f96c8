namespace OrleansGuarantee.Infrastructure;

/// <summary>
/// Named points between the steps of multi-grain operations where a failure can be injected, so tests
/// can prove that an interrupted operation is completed or rolled back by recovery. In production the
/// registered implementation is <see cref="NoFaults"/>.
/// </summary>
public interface IFaultInjector
{
    /// <summary>Throws when a fault is armed for <paramref name="point"/> and <paramref name="key"/>.</summary>
    void At(string point, string key);
}

public sealed class NoFaults : IFaultInjector
{
    public void At(string point, string key) { }
}

/// <summary>The exception an injected fault throws: stands for a crash or a lost reply at that point.</summary>
public sealed class InjectedFaultException(string point, string key)
    : Exception($"Injected fault at {point} for {key}.");

public static class FaultPoints
{
    /// <summary>Before a new deal's proposal reads its parties (nothing stored yet): the proposal never reached the deal.</summary>
    public const string DealProposing = "deal.propose.before-store";
    public const string DealAcceptPlanned = "deal.accept.planned";
    /// <summary>Before one of the holds of an acceptance is asked for (the others go ahead): a partial placement.</summary>
    public const string DealHoldPlacing = "deal.accept.before-hold";
    /// <summary>Before one of the releases of a completion is asked for (the others go ahead).</summary>
    public const string DealReleasing = "deal.release.before-release";
    public const string MemberAfterWrite = "member.after-write";
    public const string TransferDebited = "transfer.debited";
    /// <summary>After a repayment took its amount off the debt and before its money moves.</summary>
    public const string RepaymentDebtReduced = "repayment.debt-reduced";
    public const string GuaranteeStored = "guarantee.stored";
    public const string CommunityStored = "community.stored";
    /// <summary>Before a grain registers its reminder (recovery, cycle progress): the reminder table does not answer.</summary>
    public const string ReminderArming = "reminder.arming";
}
