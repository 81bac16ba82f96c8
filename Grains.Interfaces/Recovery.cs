namespace OrleansGuarantee;

/// <summary>A grain with multi-grain steps that a <see cref="IRecoveryBookGrain"/> wakes when nobody calls it.</summary>
[Alias("og.IRecoverableGrain")]
public interface IRecoverableGrain : IAddressable
{
    /// <summary>Finishes or rolls back stored pending steps, if any (idempotent). True while steps are still pending.</summary>
    [Alias("ResumePendingSteps")]
    Task<bool> ResumePendingSteps();
}

/// <summary>One stored entry of a recovery book: the grain to wake and the ticket it was added with.</summary>
[GenerateSerializer, Immutable, Alias("og.RecoveryBookEntry")]
public sealed record RecoveryBookEntry([property: Id(0)] string GrainId, [property: Id(1)] long Ticket);

/// <summary>
/// A durable wake-up for the pending steps of many grains (one partition of the books, <see cref="RecoveryBooks"/>):
/// a grain adds itself before it stores pending steps; concurrent additions share one state write; one long-lived
/// reminder per partition pokes every entry on its tick and drops the entries whose grain has nothing pending.
/// A grain that finished its steps says so one way (<see cref="Done"/>); the removal is stored with the next write,
/// and a stale entry only causes a harmless poke.
/// </summary>
[Alias("og.IRecoveryBookGrain")]
public interface IRecoveryBookGrain : IGrainWithStringKey
{
    /// <summary>Stores an entry for the grain (or raises its ticket); returns once the entry is durable.</summary>
    [Alias("Add")]
    Task Add(GrainId grain, long ticket);

    /// <summary>The grain finished the steps of <paramref name="ticket"/>: its entry goes unless a later ticket replaced it.</summary>
    [Alias("Done"), OneWay]
    Task Done(GrainId grain, long ticket);

    /// <summary>The entries held in memory (stored, or to be stored with the next write), for tests and operators.</summary>
    [Alias("Entries"), AlwaysInterleave]
    Task<IReadOnlyList<RecoveryBookEntry>> Entries();
}

/// <summary>How grains are spread over the recovery books.</summary>
public static class RecoveryBooks
{
    /// <summary>Partitions. A grain's entries always go to the same one; changing the number leaves older entries in
    /// their partitions, whose reminders still poke them.</summary>
    public const int Count = 8;

    public static string KeyOf(GrainId grain) => $"{PartitionOf(grain)}";

    public static int PartitionOf(GrainId grain) => MemberDirectory.PartitionOf(grain.ToString()) % Count;
}
