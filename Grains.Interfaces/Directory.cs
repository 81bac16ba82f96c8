namespace OrleansGuarantee;

/// <summary>What a member reports to its directory partition after every stored change.</summary>
[GenerateSerializer, Immutable, Alias("og.MemberSummary")]
public sealed record MemberSummary(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string CommunityId,
    [property: Id(2)] MemberStatus Status,
    [property: Id(3)] AccountView Account,
    /// <summary>Grows with every stored change of the member; a partition keeps the highest it has seen.</summary>
    [property: Id(4)] long Revision,
    /// <summary>The member's contacts for the navigator (rule 21): established contacts (strength 0) and accepted
    /// guarantees either way (strength = the limit), one edge per other member, the strongest.</summary>
    [property: Id(5)] IReadOnlyList<DirectoryEdge>? Contacts = null,
    [property: Id(6)] IReadOnlyList<string>? Offers = null,
    [property: Id(7)] IReadOnlyList<string>? Needs = null,
    /// <summary>The sum of the limits of the member's accepted guarantors (rule 22 ranks loops by it).</summary>
    [property: Id(8)] decimal Backing = 0m);

/// <summary>One contact of a member as the directory indexes it; <see cref="Strength"/> is 0 for a plain contact
/// and the guarantee limit for a guarantee.</summary>
[GenerateSerializer, Immutable, Alias("og.DirectoryEdge")]
public sealed record DirectoryEdge(
    [property: Id(0)] string MemberId,
    [property: Id(1)] decimal Strength);

/// <summary>The contact lists a directory partition answers, by member id. Immutable: within one silo Orleans hands
/// it over by reference instead of copying every list of every level of a search (a partition never changes a list
/// once handed out: a member's new report brings new lists).</summary>
[GenerateSerializer, Immutable, Alias("og.ContactLists")]
public sealed record ContactLists(
    [property: Id(0)] IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>> Lists);

/// <summary>A non-expelled member's offers, needs and backing, for cycle proposals (rule 22).</summary>
[GenerateSerializer, Immutable, Alias("og.DirectoryOffer")]
public sealed record DirectoryOffer(
    [property: Id(0)] string MemberId,
    [property: Id(1)] IReadOnlyList<string> Offers,
    [property: Id(2)] IReadOnlyList<string> Needs,
    [property: Id(3)] decimal Backing);

/// <summary>Member counts and ledger sums of one directory partition, or of a whole community.</summary>
[GenerateSerializer, Immutable, Alias("og.DirectoryTotals")]
public sealed record DirectoryTotals(
    [property: Id(0)] IReadOnlyDictionary<MemberStatus, int> MembersByStatus,
    [property: Id(1)] decimal Deposited,
    [property: Id(2)] decimal Withdrawn,
    [property: Id(3)] decimal SumOfBalances,
    [property: Id(4)] decimal SumOfHeld,
    [property: Id(5)] decimal TransferredIn,
    [property: Id(6)] decimal TransferredOut)
{
    public static DirectoryTotals Empty { get; } = new(new Dictionary<MemberStatus, int>(), 0, 0, 0, 0, 0, 0);

    public int Members => MembersByStatus.Values.Sum();

    public DirectoryTotals Add(DirectoryTotals other)
    {
        var counts = new Dictionary<MemberStatus, int>(MembersByStatus);
        foreach (var (status, n) in other.MembersByStatus) counts[status] = counts.GetValueOrDefault(status) + n;
        return new DirectoryTotals(counts, Deposited + other.Deposited, Withdrawn + other.Withdrawn,
            SumOfBalances + other.SumOfBalances, SumOfHeld + other.SumOfHeld,
            TransferredIn + other.TransferredIn, TransferredOut + other.TransferredOut);
    }
}

/// <summary>
/// One partition of a community's member directory: which members it has, their status and their
/// account totals. Members report to it after each change; nothing else writes it, so no single grain
/// sees every message of a community. Keyed by <see cref="MemberDirectory.KeyOf"/>.
/// </summary>
[Alias("og.IMemberDirectoryGrain")]
public interface IMemberDirectoryGrain : IGrainWithStringKey
{
    [Alias("Report")]
    Task Report(MemberSummary summary);

    /// <summary>Forgets a member whose creation was undone (a founder of a community that could not be created).</summary>
    [Alias("Remove")]
    Task Remove(string memberId);

    /// <summary>The partition's totals; with <paramref name="refresh"/> every member is asked again first.</summary>
    [Alias("GetTotals")]
    Task<DirectoryTotals> GetTotals(bool refresh);

    [Alias("ListMembers"), AlwaysInterleave]
    Task<IReadOnlyList<string>> ListMembers();

    /// <summary>The contacts of those of <paramref name="memberIds"/> this partition holds and that are not expelled
    /// (members with no contacts may be left out). Expelled neighbours are left out too: every partition learns the
    /// community's expulsions (<see cref="NoteExpelled"/>), so the navigator needs no second round trip to check them.</summary>
    [Alias("GetNeighbors")]
    Task<ContactLists> GetNeighbors(IReadOnlyList<string> memberIds);

    /// <summary>The partition's non-expelled members who offer <paramref name="skill"/> (case-insensitive), in ordinal
    /// order; answered from a per-skill index, not a scan.</summary>
    [Alias("GetOffering")]
    Task<IReadOnlyList<string>> GetOffering(string skill);

    /// <summary>
    /// Another partition of the community tells this one that some of its members are expelled, so that this one
    /// drops them from the contact lists it answers. Interleaved: partitions call each other only with this and
    /// <see cref="GetExpelled"/>, which never call back, so two partitions telling each other cannot deadlock.
    /// </summary>
    [Alias("NoteExpelled"), AlwaysInterleave]
    Task NoteExpelled(IReadOnlyList<string> memberIds);

    /// <summary>This partition's own expelled members (a partition that activates asks the others once).</summary>
    [Alias("GetExpelled"), AlwaysInterleave]
    Task<IReadOnlyList<string>> GetExpelled();

    /// <summary>The status of those of <paramref name="memberIds"/> this partition knows.</summary>
    [Alias("GetStatuses")]
    Task<IReadOnlyDictionary<string, MemberStatus>> GetStatuses(IReadOnlyList<string> memberIds);

    /// <summary>Every non-expelled member's offers, needs and backing (kept built between changes of them).</summary>
    [Alias("GetOffers")]
    Task<IReadOnlyList<DirectoryOffer>> GetOffers();
}

/// <summary>
/// The stored list of members of one page of a directory partition (<see cref="MemberDirectory.PageKeyOf"/>). A
/// partition's member ids are split over <see cref="MemberDirectory.PagesPerPartition"/> pages so that no stored
/// list outgrows one Azure Table entity: one entity held about 14,900 of the longest ids, about 900,000 members per
/// community; the pages hold 16 times that. Pages never call anyone, so a partition may wait on them.
/// </summary>
[Alias("og.IMemberDirectoryPageGrain")]
public interface IMemberDirectoryPageGrain : IGrainWithStringKey
{
    /// <summary>Stores the members not yet on the page (idempotent); returns once they are stored.</summary>
    [Alias("Add")]
    Task Add(IReadOnlyList<string> memberIds);

    /// <summary>Drops the members from the page (idempotent); returns once that is stored.</summary>
    [Alias("Remove")]
    Task Remove(IReadOnlyList<string> memberIds);

    [Alias("List")]
    Task<IReadOnlyList<string>> List();
}

public static class MemberDirectory
{
    /// <summary>Partitions per community. Fixed: changing it would move members between partitions.</summary>
    public const int Partitions = 64;

    /// <summary>Stored pages per partition. Fixed: changing it would move members between pages.</summary>
    public const int PagesPerPartition = 16;

    public static string KeyOf(string communityId, string memberId) => $"{communityId}/{PartitionOf(memberId)}";

    public static string KeyOf(string communityId, int partition) => $"{communityId}/{partition}";

    /// <summary>A page of a partition (<paramref name="partitionKey"/> from <see cref="KeyOf(string, string)"/>).</summary>
    public static string PageKeyOf(string partitionKey, int page) => $"{partitionKey}/{page}";

    /// <summary>A stable hash (FNV-1a over UTF-16 code units), the same on every silo and every run.</summary>
    public static int PartitionOf(string memberId) => (int)(Hash(memberId) % Partitions);

    /// <summary>The page within the partition: the hash's next bits, so a partition's members spread over its pages.</summary>
    public static int PageOf(string memberId) => (int)(Hash(memberId) / Partitions % PagesPerPartition);

    private static uint Hash(string memberId)
    {
        var hash = 2166136261u;
        foreach (var c in memberId)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return hash;
    }
}
