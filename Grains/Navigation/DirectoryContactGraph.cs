using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Navigation;

/// <summary>
/// The contact graph of one community read from its partitioned member directory (rule 21). A batch of members is
/// grouped by partition and the partitions are asked in parallel (one call per partition per batch). The partitions
/// leave expelled members out of their answers, as neighbours too (each partition is told of every expulsion in the
/// community), so no expelled member ever appears (the <see cref="IContactGraph"/> contract) without a second round
/// trip. Contact lists are never cached: each level reads the partitions it touches. The providers of a skill come
/// from the silo's <see cref="NavigatorCache"/> when one is given (a stale provider set cannot lead to an expelled
/// member: nobody's contact list names one).
/// </summary>
public sealed class DirectoryContactGraph(IGrainFactory grains, string communityId, NavigatorCache? cache = null) : IContactGraph
{
    private IMemberDirectoryGrain Partition(int partition) =>
        grains.GetGrain<IMemberDirectoryGrain>(MemberDirectory.KeyOf(communityId, partition));

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        var answers = await Task.WhenAll(ByPartition(memberIds).Select(g => Partition(g.Key).GetNeighbors(g.Value)));
        if (answers.Length == 1) return answers[0].Lists;
        var result = new Dictionary<string, IReadOnlyList<DirectoryEdge>>(memberIds.Count, StringComparer.Ordinal);
        foreach (var answer in answers)
        foreach (var (id, edges) in answer.Lists)
            result[id] = edges;
        return result;
    }

    public async Task<IReadOnlyCollection<string>> MembersOfferingAsync(string skill) =>
        cache is null ? await ReadProvidersAsync(skill) : await cache.GetProvidersAsync(communityId, skill, () => ReadProvidersAsync(skill));

    private async Task<IReadOnlySet<string>> ReadProvidersAsync(string skill)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, MemberDirectory.Partitions).Select(p => Partition(p).GetOffering(skill)));
        var set = new HashSet<string>(answers.Sum(a => a.Count), StringComparer.Ordinal);
        foreach (var answer in answers) set.UnionWith(answer);
        return set;
    }

    /// <summary>The status of each of <paramref name="memberIds"/> the directory knows.</summary>
    public async Task<IReadOnlyDictionary<string, MemberStatus>> StatusesAsync(IReadOnlyCollection<string> memberIds)
    {
        var answers = await Task.WhenAll(ByPartition(memberIds).Select(g => Partition(g.Key).GetStatuses(g.Value)));
        var result = new Dictionary<string, MemberStatus>(StringComparer.Ordinal);
        foreach (var answer in answers)
        foreach (var (id, status) in answer)
            result[id] = status;
        return result;
    }

    /// <summary>Every non-expelled member's offers, needs and backing, from all partitions in parallel.</summary>
    public async Task<IReadOnlyList<DirectoryOffer>> OffersAsync()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, MemberDirectory.Partitions).Select(p => Partition(p).GetOffers()));
        return answers.SelectMany(a => a).ToList();
    }

    /// <summary>The community's expelled members, from all partitions in parallel (each answers its own).</summary>
    public async Task<IReadOnlySet<string>> ExpelledAsync()
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, MemberDirectory.Partitions).Select(p => Partition(p).GetExpelled()));
        return answers.SelectMany(a => a).ToHashSet(StringComparer.Ordinal);
    }

    private static Dictionary<int, List<string>> ByPartition(IEnumerable<string> memberIds)
    {
        var groups = new Dictionary<int, List<string>>();
        foreach (var id in memberIds.Distinct(StringComparer.Ordinal))
        {
            var p = MemberDirectory.PartitionOf(id);
            if (!groups.TryGetValue(p, out var list)) groups[p] = list = [];
            list.Add(id);
        }
        return groups;
    }
}
