namespace OrleansGuarantee;

/// <summary>
/// One fact for the journal (rule 23), as the grain that did it records it: written into that grain's own state in
/// the same write as the change itself (so there is no change without its record, and no record without its change),
/// then delivered to the journal. <see cref="SourceSeq"/> numbers a source's records from 1 without gaps; the journal
/// keeps, per source, the highest it has appended, so a redelivery appends nothing.
/// </summary>
[GenerateSerializer, Immutable, Alias("og.JournalRecord")]
public sealed record JournalRecord(
    [property: Id(0)] string SourceId,
    [property: Id(1)] long SourceSeq,
    [property: Id(2)] string Kind,
    /// <summary>The facts as a compact JSON object (ids, amounts, outcome).</summary>
    [property: Id(3)] string Data,
    [property: Id(4)] DateTimeOffset At);

/// <summary>An appended journal entry. <see cref="Seq"/> is community-wide (see <see cref="JournalPartitions"/>);
/// <see cref="PreviousHash"/> is the hash of the entry before it in its chain.</summary>
[GenerateSerializer, Immutable, Alias("og.JournalEntry")]
public sealed record JournalEntry(
    [property: Id(0)] long Seq,
    [property: Id(1)] int Partition,
    [property: Id(2)] long LocalSeq,
    [property: Id(3)] string SourceId,
    [property: Id(4)] long SourceSeq,
    [property: Id(5)] string Kind,
    [property: Id(6)] string Data,
    [property: Id(7)] DateTimeOffset At,
    [property: Id(8)] string PreviousHash,
    [property: Id(9)] string Hash);

/// <summary>The result of re-hashing a chain (or every chain of a community).</summary>
[GenerateSerializer, Immutable, Alias("og.JournalVerification")]
public sealed record JournalVerification(
    [property: Id(0)] bool Ok,
    [property: Id(1)] long Entries,
    [property: Id(2)] long? FirstBadSeq,
    [property: Id(3)] string? Problem);

/// <summary>
/// One chain of a community's journal, keyed "{community}/{partition}". Sources (members, guarantees, cases, cycles)
/// are spread over the chains by a stable hash of their id, so no single grain sees every change of a community, and
/// each chain writes what arrives while a write is in flight as one batch (group commit).
/// </summary>
[Alias("og.IJournalGrain")]
public interface IJournalGrain : IGrainWithStringKey
{
    /// <summary>Appends the source's records not appended before, in order; returns once they are stored.</summary>
    [Alias("Append")]
    Task Append(string sourceId, IReadOnlyList<JournalRecord> records);

    /// <summary>Stored entries with a local sequence number above <paramref name="afterLocalSeq"/>, in order.</summary>
    [Alias("Read")]
    Task<IReadOnlyList<JournalEntry>> Read(long afterLocalSeq, int limit);

    /// <summary>Re-reads the stored chain and re-hashes every entry.</summary>
    [Alias("Verify")]
    Task<JournalVerification> Verify();
}

/// <summary>How a community's journal is split into chains, and how their entries are numbered community-wide.</summary>
public static class JournalPartitions
{
    /// <summary>Chains per community. Fixed: changing it would move sources between chains.</summary>
    public const int Count = 16;

    /// <summary>Most records one <see cref="IJournalGrain.Append"/> takes (a source sends more in several calls).</summary>
    public const int MaxRecordsPerAppend = 40;

    public static string KeyOf(string communityId, int partition) => $"{communityId}/{partition}";

    public static int PartitionOf(string sourceId) => MemberDirectory.PartitionOf(sourceId) % Count;

    /// <summary>Entry n of chain p is entry n·Count + p of the community: every number names one entry of one chain,
    /// and reading "after N" needs only arithmetic per chain.</summary>
    public static long GlobalSeq(int partition, long localSeq) => localSeq * Count + partition;

    public static (int Partition, long LocalSeq) Split(long seq) => ((int)(seq % Count), seq / Count);

    /// <summary>The highest local number of chain <paramref name="partition"/> whose global number is at most <paramref name="seq"/>.</summary>
    public static long LocalAtOrBelow(int partition, long seq) => seq < partition ? -1 : (seq - partition) / Count;
}
