using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Benchmarks.Navigator;

/// <summary>
/// Wraps the graph a search reads and counts what one search costs: breadth-first levels read (round trips),
/// directory partitions asked, members whose contacts were asked and edges returned. The benchmark runs
/// <see cref="PathSearch"/> on it directly (as the navigator grain does) to explain the latencies it measured, and
/// to ground the estimates for larger communities.
/// </summary>
public sealed class CountingGraph(IContactGraph inner) : IContactGraph
{
    public int Levels { get; private set; }
    public int PartitionCalls { get; private set; }
    public int MembersAsked { get; private set; }
    public int LargestLevel { get; private set; }
    public long EdgesRead { get; private set; }

    /// <summary>Edges that came in the lists of members with at least <see cref="HubDegree"/> contacts.</summary>
    public long EdgesFromHubs { get; private set; }

    public const int HubDegree = 100;
    public int Providers { get; private set; }

    /// <summary>Time spent waiting for the directory; the rest of a search's time is the search's own work.</summary>
    public TimeSpan Reading { get; private set; }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds)
    {
        Levels++;
        MembersAsked += memberIds.Count;
        LargestLevel = Math.Max(LargestLevel, memberIds.Count);
        PartitionCalls += memberIds.Select(MemberDirectory.PartitionOf).Distinct().Count();
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var answer = await inner.NeighborsAsync(memberIds);
        Reading += System.Diagnostics.Stopwatch.GetElapsedTime(start);
        EdgesRead += answer.Values.Sum(e => (long)e.Count);
        EdgesFromHubs += answer.Values.Where(e => e.Count >= HubDegree).Sum(e => (long)e.Count);
        return answer;
    }

    public async Task<IReadOnlyCollection<string>> MembersOfferingAsync(string skill)
    {
        PartitionCalls += MemberDirectory.Partitions;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var providers = await inner.MembersOfferingAsync(skill);
        Reading += System.Diagnostics.Stopwatch.GetElapsedTime(start);
        Providers = providers.Count;
        return providers;
    }
}
