using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Navigation;

/// <summary>
/// The contact graph of one community read from its partitioned member directory (rule 21). A batch of members is
/// grouped by partition and the partitions are asked in parallel (one call per partition per batch); neighbours who
/// are expelled are then dropped after asking their own partitions, so no expelled member ever appears (the
/// <see cref="IContactGraph"/> contract). Nothing here caches: each query reads only the partitions it touches.
/// </summary>
public sealed class DirectoryContactGraph(IGrainFactory grains, string communityId) : IContactGraph
{
    private IMemberDirectoryGrain Partition(int partition) =>
        grains.GetGrain<IMemberDirectoryGrain>(MemberDirectory.KeyOf(communityId, partition));

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<ContactEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        var answers = await Task.WhenAll(ByPartition(memberIds).Select(g => Partition(g.Key).GetNeighbors(g.Value)));

        var others = new HashSet<string>(StringComparer.Ordinal);
        foreach (var answer in answers)
        foreach (var edges in answer.Values)
        foreach (var edge in edges)
            others.Add(edge.MemberId);
        var expelled = await ExpelledAsync(others);

        var result = new Dictionary<string, IReadOnlyList<ContactEdge>>(StringComparer.Ordinal);
        foreach (var answer in answers)
        foreach (var (id, edges) in answer)
        {
            var kept = edges.Where(e => !expelled.Contains(e.MemberId)).Select(e => new ContactEdge(e.MemberId, e.Strength)).ToList();
            if (kept.Count > 0) result[id] = kept;
        }
        return result;
    }

    public async Task<IReadOnlyCollection<string>> MembersOfferingAsync(string skill)
    {
        var answers = await Task.WhenAll(Enumerable.Range(0, MemberDirectory.Partitions).Select(p => Partition(p).GetOffering(skill)));
        return answers.SelectMany(a => a).ToHashSet(StringComparer.Ordinal);
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

    private async Task<HashSet<string>> ExpelledAsync(IReadOnlyCollection<string> memberIds)
    {
        if (memberIds.Count == 0) return new HashSet<string>(StringComparer.Ordinal);
        var statuses = await StatusesAsync(memberIds);
        return statuses.Where(s => s.Value == MemberStatus.Expelled).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
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
