using System.Security.Cryptography;
using System.Text;

namespace OrleansGuarantee;

[GenerateSerializer]
public enum CycleState
{
    /// <summary>Designed; each stage's member joins (recruiting).</summary>
    Recruiting = 0,
    /// <summary>Stage k of n is running as a covered deal.</summary>
    Running = 1,
    /// <summary>A stage failed (its claim was compensated, or a party cancelled its deal before it was covered); the organizer reassigns it.</summary>
    Broken = 2,
    /// <summary>Every stage done; shares recorded.</summary>
    Completed = 3,
}

[GenerateSerializer, Immutable, Alias("og.StageSpec")]
public sealed record StageSpec(
    [property: Id(0)] string Role,
    [property: Id(1)] string MemberId,
    [property: Id(2)] decimal MarketPrice);

[GenerateSerializer, Immutable, Alias("og.DesignCycle")]
public sealed record DesignCycle(
    [property: Id(0)] string OperationId,
    [property: Id(1)] string OrganizerId,
    [property: Id(2)] string CommunityId,
    [property: Id(3)] string Product,
    [property: Id(4)] decimal ProductValue,
    /// <summary>Null: the community's stage discount.</summary>
    [property: Id(5)] decimal? StageDiscount,
    [property: Id(6)] IReadOnlyList<StageSpec> Stages);

/// <summary>A stage's figures (rules 18-19) and its progress.</summary>
[GenerateSerializer, Immutable, Alias("og.StageView")]
public sealed record StageView(
    [property: Id(0)] int Index,
    [property: Id(1)] string Role,
    [property: Id(2)] string MemberId,
    [property: Id(3)] decimal MarketPrice,
    [property: Id(4)] decimal CyclePrice,
    [property: Id(5)] decimal Saving,
    [property: Id(6)] decimal CumulativeSaving,
    /// <summary>Contribution over the sum of contributions; the shares of a cycle sum to exactly 1.</summary>
    [property: Id(7)] decimal Share,
    /// <summary>Share of the product value in cents; the amounts sum to exactly the product value.</summary>
    [property: Id(8)] decimal ShareOfProduct,
    [property: Id(9)] decimal SynergyGain,
    [property: Id(10)] bool Joined,
    /// <summary>"waiting", "opening" (its deal is being opened and covered, or waits for cover: see Blocked), "running", "done" or "failed".</summary>
    [property: Id(11)] string Status,
    [property: Id(12)] string? DealId,
    [property: Id(13)] DealState? DealState,
    [property: Id(14)] string? Blocked);

[GenerateSerializer, Immutable, Alias("og.StageFailure")]
public sealed record StageFailure(
    [property: Id(0)] int Index,
    [property: Id(1)] string MemberId,
    [property: Id(2)] string DealId,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string Reason);

[GenerateSerializer, Immutable, Alias("og.StageReassignment")]
public sealed record StageReassignment(
    [property: Id(0)] int Index,
    [property: Id(1)] string FromMemberId,
    [property: Id(2)] string ToMemberId,
    [property: Id(3)] DateTimeOffset At);

[GenerateSerializer, Immutable, Alias("og.CycleView")]
public sealed record CycleView(
    [property: Id(0)] string Id,
    [property: Id(1)] string CommunityId,
    [property: Id(2)] string OrganizerId,
    [property: Id(3)] string Product,
    [property: Id(4)] decimal ProductValue,
    [property: Id(5)] decimal StageDiscount,
    [property: Id(6)] CycleState State,
    /// <summary>The running (or broken) stage's index; the number of stages when completed.</summary>
    [property: Id(7)] int CurrentStage,
    [property: Id(8)] IReadOnlyList<StageView> Stages,
    [property: Id(9)] decimal TotalMarketPrice,
    [property: Id(10)] decimal TotalCyclePrice,
    [property: Id(11)] IReadOnlyList<StageFailure> Failures,
    [property: Id(12)] IReadOnlyList<StageReassignment> Reassignments,
    [property: Id(13)] long LastEventSeq,
    [property: Id(14)] DateTimeOffset CreatedAt,
    [property: Id(15)] DateTimeOffset? CompletedAt,
    /// <summary>The deals of every stage run so far, failed ones included, in order.</summary>
    [property: Id(16)] IReadOnlyList<string> DealHistory);

/// <summary>One change of a cycle, numbered from 1 without gaps; a subscriber drops numbers it has seen.</summary>
[GenerateSerializer, Immutable, Alias("og.CycleEvent")]
public sealed record CycleEvent(
    [property: Id(0)] string CycleId,
    [property: Id(1)] long Seq,
    [property: Id(2)] string Kind,
    [property: Id(3)] int? StageIndex,
    [property: Id(4)] string Description,
    [property: Id(5)] CycleState State,
    [property: Id(6)] DateTimeOffset At);

/// <summary>
/// A synergy cycle (rules 17-20). Calls go cycle → deal → members; a deal tells its cycle that it
/// changed by a one-way message, and the cycle's reminder checks its running deal as well.
/// </summary>
[Alias("og.ISynergyCycleGrain")]
public interface ISynergyCycleGrain : IGrainWithStringKey
{
    /// <summary>The organizer designs the cycle. Idempotent for the same organizer and operation id (see <see cref="CycleIds.For"/>).</summary>
    [Alias("Design")]
    Task<CycleView> Design(DesignCycle command);

    /// <summary>The stage's member agrees to its stage (and its deal). Idempotent.</summary>
    [Alias("Join")]
    Task<CycleView> Join(int stageIndex, string memberId);

    /// <summary>The organizer starts the cycle once every stage has joined: stage 1's deal is opened and covered.</summary>
    [Alias("Start")]
    Task<CycleView> Start(string organizerId);

    /// <summary>After a failed stage, the organizer gives it to another member, who then joins; the cycle continues from it.</summary>
    [Alias("Reassign")]
    Task<CycleView> Reassign(string organizerId, int stageIndex, string memberId);

    /// <summary>A stage's deal changed (sent by the deal, one way).</summary>
    [Alias("StageDealChanged"), OneWay]
    Task StageDealChanged(string dealId);

    /// <summary>Reads the running stage's deal and moves on if it completed or failed (also done by the reminder).</summary>
    [Alias("CheckProgress")]
    Task<CycleView> CheckProgress();

    [Alias("Get"), AlwaysInterleave]
    Task<CycleView> Get();

    /// <summary>The cycle's events after <paramref name="afterSeq"/>, in order (for subscribers that start from the beginning).</summary>
    [Alias("GetEvents"), AlwaysInterleave]
    Task<IReadOnlyList<CycleEvent>> GetEvents(long afterSeq, int limit);
}

public static class CycleIds
{
    public static string For(string organizerId, string operationId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"cycle\n{organizerId}\n{operationId}"));
        return "cy-" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }
}

/// <summary>
/// The stream every cycle publishes its events on: one stream per cycle, in namespace <see cref="Namespace"/>
/// keyed by the cycle id, on the stream provider <see cref="Provider"/>.
/// </summary>
public static class CycleStreams
{
    public const string Provider = "cycles";
    public const string Namespace = "cycle-events";
    /// <summary>How many Azure Storage queues carry the cycle streams.</summary>
    public const int QueueCount = 4;

    /// <summary>
    /// The Azure Storage queues of the durable cycle streams: "{service id, lower-case letters and digits only}-cycles-0..3".
    /// The silos and every client that subscribes (the front door, the tests) must use the same names.
    /// </summary>
    public static IReadOnlyList<string> QueueNames(string serviceId)
    {
        var prefix = new string(serviceId.ToLowerInvariant().Where(c => c is >= 'a' and <= 'z' or >= '0' and <= '9').ToArray());
        return Enumerable.Range(0, QueueCount).Select(n => $"{prefix}-cycles-{n}").ToList();
    }
}
