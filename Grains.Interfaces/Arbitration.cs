namespace OrleansGuarantee;

/// <summary>Who a judge holds at fault for the claimed defect (rule 13).</summary>
[GenerateSerializer]
public enum Fault
{
    Provider = 0,
    Consumer = 1,
    /// <summary>Both, with the provider's part given by <see cref="Verdict.ProviderShare"/>.</summary>
    Both = 2,
    Neither = 3,
}

/// <summary>A claim on a deal (rule 12): the injured party and the damage it claims.</summary>
[GenerateSerializer, Immutable, Alias("og.ClaimView")]
public sealed record ClaimView(
    [property: Id(0)] string OperationId,
    [property: Id(1)] string ClaimantId,
    [property: Id(2)] string RespondentId,
    [property: Id(3)] decimal Damage,
    [property: Id(4)] string Reason,
    [property: Id(5)] DateTimeOffset FiledAt,
    /// <summary>"open", "admitted", "disputed" or "decided".</summary>
    [property: Id(6)] string Outcome);

[GenerateSerializer, Immutable, Alias("og.Verdict")]
public sealed record Verdict(
    [property: Id(0)] Fault Fault,
    /// <summary>The provider's part of the fault, 0..1 (1 when the provider alone is at fault).</summary>
    [property: Id(1)] decimal ProviderShare,
    /// <summary>The damage recognised (never above the claim); who pays what of it follows from the fault.</summary>
    [property: Id(2)] decimal Compensation);

[GenerateSerializer, Immutable, Alias("og.VoteRecord")]
public sealed record VoteRecord(
    [property: Id(0)] string JudgeId,
    [property: Id(1)] Fault Fault,
    [property: Id(2)] decimal ProviderShare,
    [property: Id(3)] decimal Compensation,
    [property: Id(4)] DateTimeOffset At);

/// <summary>One paid part of a compensation: from a hold of the deal's cover to the injured party.</summary>
[GenerateSerializer, Immutable, Alias("og.CompensationPayment")]
public sealed record CompensationPayment(
    [property: Id(0)] string TransferId,
    [property: Id(1)] string FromMemberId,
    [property: Id(2)] string? FromHoldId,
    [property: Id(3)] string ToMemberId,
    [property: Id(4)] decimal Amount,
    /// <summary>0: the at-fault party's own hold; 1: its guarantors; 2: theirs; ...</summary>
    [property: Id(5)] int Level);

/// <summary>How a claim was settled: what was paid, by whom, and the debts it left (rules 15-16).</summary>
[GenerateSerializer, Immutable, Alias("og.Settlement")]
public sealed record Settlement(
    [property: Id(0)] Verdict Verdict,
    [property: Id(1)] string? PayerPartyId,
    [property: Id(2)] decimal Awarded,
    [property: Id(3)] IReadOnlyList<CompensationPayment> Payments,
    /// <summary>What the cover could not pay; owed by the at-fault party to the injured party.</summary>
    [property: Id(4)] decimal Unpaid,
    [property: Id(5)] DateTimeOffset At);

[GenerateSerializer]
public enum CaseLevelOutcome
{
    Voting = 0,
    /// <summary>A verdict stands; the parties may accept or appeal within the appeal window.</summary>
    Decided = 1,
    /// <summary>A tie or no majority by the deadline: the next panel sits.</summary>
    Escalated = 2,
    /// <summary>A party appealed the verdict: the next panel sits.</summary>
    Appealed = 3,
    /// <summary>The verdict became final (both accepted, the window passed, or the council decided).</summary>
    Final = 4,
}

[GenerateSerializer, Immutable, Alias("og.CaseLevelView")]
public sealed record CaseLevelView(
    [property: Id(0)] int Level,
    [property: Id(1)] bool IsCouncil,
    [property: Id(2)] IReadOnlyList<string> Panel,
    [property: Id(3)] IReadOnlyList<VoteRecord> Votes,
    [property: Id(4)] DateTimeOffset VerdictDeadline,
    [property: Id(5)] CaseLevelOutcome Outcome,
    [property: Id(6)] Verdict? Verdict,
    [property: Id(7)] DateTimeOffset? AppealDeadline,
    [property: Id(8)] IReadOnlyList<string> AcceptedBy,
    [property: Id(9)] string? AppealedBy,
    [property: Id(10)] string? Note);

[GenerateSerializer]
public enum CaseState
{
    Voting = 0,
    AwaitingParties = 1,
    /// <summary>The final verdict is being executed on the deal.</summary>
    Executing = 2,
    Closed = 3,
}

[GenerateSerializer, Immutable, Alias("og.CaseView")]
public sealed record CaseView(
    [property: Id(0)] string Id,
    [property: Id(1)] string DealId,
    [property: Id(2)] string CommunityId,
    [property: Id(3)] string ProviderId,
    [property: Id(4)] string ConsumerId,
    [property: Id(5)] string ClaimantId,
    [property: Id(6)] decimal Damage,
    [property: Id(7)] string Reason,
    [property: Id(8)] CaseState State,
    [property: Id(9)] int CurrentLevel,
    [property: Id(10)] IReadOnlyList<CaseLevelView> Levels,
    [property: Id(11)] Verdict? FinalVerdict,
    [property: Id(12)] Settlement? Settlement,
    [property: Id(13)] DateTimeOffset OpenedAt);

/// <summary>
/// An arbitration case on a disputed claim (rules 13-15): panels level by level up the guarantee
/// hierarchy, votes, verdicts, appeals, deadlines (durable reminders) and the execution of the final
/// verdict on the deal. Keyed by <see cref="CaseIds.For"/> of the deal. Calls go case → deal → members.
/// </summary>
[Alias("og.IArbitrationCaseGrain")]
public interface IArbitrationCaseGrain : IGrainWithStringKey
{
    /// <summary>The respondent disputes the deal's claim: the case opens with its first panel. Idempotent.</summary>
    [Alias("Open")]
    Task<CaseView> Open(string dealId, string disputedBy);

    [Alias("Vote")]
    Task<CaseView> Vote(string judgeId, Fault fault, decimal? providerShare, decimal compensation);

    [Alias("Accept")]
    Task<CaseView> Accept(string partyId);

    [Alias("Appeal")]
    Task<CaseView> Appeal(string partyId);

    /// <summary>Acts on every deadline that has passed (called by the case's reminder; harmless at any time).</summary>
    [Alias("CheckDeadlines")]
    Task<CaseView> CheckDeadlines();

    [Alias("Get"), AlwaysInterleave]
    Task<CaseView> Get();
}

public static class CaseIds
{
    /// <summary>A deal has at most one case.</summary>
    public static string For(string dealId) => "case-" + dealId;
}
