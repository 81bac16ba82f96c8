using System.Security.Cryptography;
using System.Text;

namespace OrleansGuarantee;

[GenerateSerializer]
public enum DealState
{
    Proposed = 0,
    /// <summary>Cover is being held; ends in <see cref="Accepted"/> or back in <see cref="Proposed"/>.</summary>
    Accepting = 1,
    /// <summary>Accepted and covered.</summary>
    Accepted = 2,
    /// <summary>The provider has confirmed delivery; the consumer has not confirmed yet.</summary>
    Delivered = 3,
    /// <summary>Both confirmed; the holds are being released.</summary>
    Completing = 4,
    Completed = 5,
    Cancelled = 6,
    /// <summary>The injured party reported a defect; the other party has not answered.</summary>
    Claimed = 7,
    /// <summary>The claim is disputed: an arbitration case decides it.</summary>
    Disputed = 8,
    /// <summary>Compensation is being paid from the cover and the holds released.</summary>
    Settling = 9,
    /// <summary>The claim was settled (admitted or decided) and every hold released.</summary>
    Settled = 10,
}

[GenerateSerializer, Immutable, Alias("og.ProposeDeal")]
public sealed record ProposeDeal(
    [property: Id(0)] string OperationId,
    [property: Id(1)] string ProposedBy,
    [property: Id(2)] string ProviderId,
    [property: Id(3)] string ConsumerId,
    [property: Id(4)] decimal Value,
    [property: Id(5)] string Description,
    [property: Id(6)] DateTimeOffset DueAt,
    /// <summary>The synergy cycle whose stage this deal is; the deal tells it when it completes or is settled.</summary>
    [property: Id(7)] string? CycleId = null)
{
    public const int MaxDescriptionLength = 2000;
}

/// <summary>One hold of a deal's cover: who holds how much for which party.</summary>
[GenerateSerializer, Immutable, Alias("og.CoverHold")]
public sealed record CoverHold(
    [property: Id(0)] string HoldId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] string ForParty,
    [property: Id(4)] string? ViaWardId,
    /// <summary>0: the party's own deposit; 1: its guarantors; 2: their guarantors; ...</summary>
    [property: Id(5)] int Level = 0);

[GenerateSerializer, Immutable, Alias("og.DealView")]
public sealed record DealView(
    [property: Id(0)] string Id,
    [property: Id(1)] string CommunityId,
    [property: Id(2)] string ProviderId,
    [property: Id(3)] string ConsumerId,
    [property: Id(4)] string ProposedBy,
    [property: Id(5)] decimal Value,
    [property: Id(6)] string Description,
    [property: Id(7)] DateTimeOffset DueAt,
    [property: Id(8)] DealState State,
    [property: Id(9)] IReadOnlyList<string> ConfirmedBy,
    [property: Id(10)] IReadOnlyList<CoverHold> Cover,
    [property: Id(11)] DateTimeOffset CreatedAt,
    [property: Id(12)] DateTimeOffset? AcceptedAt,
    [property: Id(13)] DateTimeOffset? ClosedAt,
    [property: Id(14)] string? LastAcceptFailure,
    [property: Id(15)] ClaimView? Claim = null,
    [property: Id(16)] string? CaseId = null,
    [property: Id(17)] Settlement? Settlement = null,
    [property: Id(18)] string? CycleId = null);

/// <summary>A deal between a provider and a consumer, covered by holds on deposits (rules 9-11).</summary>
[Alias("og.IDealGrain")]
public interface IDealGrain : IGrainWithStringKey
{
    /// <summary>Proposes the deal. Idempotent for the same proposer and operation id (see <see cref="DealIds.For"/>).</summary>
    [Alias("Propose")]
    Task<DealView> Propose(ProposeDeal command);

    /// <summary>The party that did not propose accepts: both parties' cover is held, all or nothing.</summary>
    [Alias("Accept")]
    Task<DealView> Accept(string memberId);

    /// <summary>A party confirms; when both have, the deal completes and every hold is released.</summary>
    [Alias("Confirm")]
    Task<DealView> Confirm(string memberId);

    /// <summary>Either party cancels, before acceptance only.</summary>
    [Alias("Cancel")]
    Task<DealView> Cancel(string memberId);

    [Alias("Get"), AlwaysInterleave]
    Task<DealView> Get();

    /// <summary>The injured party reports a defect (rule 12), on a covered deal. Idempotent by operation id.</summary>
    [Alias("FileClaim")]
    Task<DealView> FileClaim(string memberId, string operationId, decimal damage, string reason);

    /// <summary>The other party admits the claim: compensation is paid from the cover at once, then every hold is released.</summary>
    [Alias("AdmitClaim")]
    Task<DealView> AdmitClaim(string memberId);

    /// <summary>Called by the arbitration case when the other party disputes the claim. Idempotent.</summary>
    [Alias("BeginDispute")]
    Task<DealView> BeginDispute(string memberId, string caseId);

    /// <summary>Called by the arbitration case with its final verdict: executes it (rule 15). Idempotent.</summary>
    [Alias("Settle")]
    Task<DealView> Settle(string caseId, Verdict verdict);
}

public static class DealIds
{
    /// <summary>
    /// The server-chosen deal id for a proposal: derived from the proposer and its operation id, so a
    /// repeated proposal reaches the same deal grain and has one effect.
    /// </summary>
    public static string For(string proposedBy, string operationId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{proposedBy}\n{operationId}"));
        return "d-" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }
}
