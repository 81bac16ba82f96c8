namespace OrleansGuarantee.Domain;

/// <summary>Rules 1, 2, 5: a member's status and the reason a person reads for it.</summary>
public static class MemberStatusRules
{
    public static (MemberStatus Status, string Reason) Evaluate(
        bool isFounder, bool wasEverActive, bool expelled, int activeGuarantors, int requiredGuarantors, decimal unpaidDebt)
    {
        if (isFounder) return (MemberStatus.Founder, "Founder of the community: needs no guarantors.");
        if (expelled) return (MemberStatus.Expelled, "Expelled: left without a guarantor while owing a debt.");
        if (activeGuarantors == 0 && unpaidDebt > 0 && wasEverActive)
            return (MemberStatus.Expelled, $"Expelled: no guarantor is left and a debt of {unpaidDebt:0.00} is unpaid.");
        var missing = Math.Max(0, requiredGuarantors - activeGuarantors);
        if (missing == 0)
            return (MemberStatus.Active, $"Active: guaranteed by {activeGuarantors} member{Plural(activeGuarantors)} ({requiredGuarantors} required).");
        if (!wasEverActive)
            return (MemberStatus.Candidate, $"Candidate: needs {missing} more guarantor{Plural(missing)} to become active.");
        return (MemberStatus.Suspended,
            $"Suspended: has {activeGuarantors} of the {requiredGuarantors} guarantors required; needs {missing} more to open new deals (open deals can be finished).");
    }

    /// <summary>May this member open (propose or accept) a new deal?</summary>
    public static bool CanOpenDeals(MemberStatus status) => status is MemberStatus.Active or MemberStatus.Founder;

    /// <summary>May this member vouch for another (accept a guarantee request)?</summary>
    public static bool CanGuarantee(MemberStatus status) => status is MemberStatus.Active or MemberStatus.Founder;

    /// <summary>May this member's deposit be held as a guarantor's cover for a new deal?</summary>
    public static bool CanCoverAsGuarantor(MemberStatus status) =>
        status is MemberStatus.Active or MemberStatus.Founder or MemberStatus.Suspended;

    private static string Plural(int n) => n == 1 ? "" : "s";
}
