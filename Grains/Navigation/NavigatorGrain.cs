using OrleansGuarantee.Domain;
using Orleans.Concurrency;

namespace OrleansGuarantee.Navigation;

/// <summary>
/// The navigator of one community (rules 21-22). A stateless worker: any silo runs as many as it needs, each query
/// reads the community's directory partitions through <see cref="DirectoryContactGraph"/> and keeps nothing.
/// </summary>
[StatelessWorker]
public sealed class NavigatorGrain : Grain, INavigatorGrain
{
    private string CommunityId => this.GetPrimaryKeyString();

    public async Task<IReadOnlyList<PathView>> FindPaths(string from, string? toMember, string? skill, int maxHops, int limit)
    {
        var graph = new DirectoryContactGraph(GrainFactory, CommunityId);
        // Parameters first (PathSearch refuses bad ones before any read), then the members must exist here.
        await PathSearch.FindAsync(EmptyGraph.Instance, string.IsNullOrWhiteSpace(from) ? "" : from,
            toMember, skill, maxHops, limit);
        var named = new List<string> { from };
        if (!string.IsNullOrWhiteSpace(toMember)) named.Add(toMember);
        var statuses = await graph.StatusesAsync(named);
        foreach (var id in named)
            if (!statuses.TryGetValue(id, out var status) || status == MemberStatus.Expelled)
                throw GuaranteeException.NotFound("member-not-found", $"There is no member '{id}' in community {CommunityId}.");

        var chains = await PathSearch.FindAsync(graph, from, toMember, skill, maxHops, limit);
        return chains.Select(c => new PathView(c.MemberIds.ToList(), c.Strengths.ToList())).ToList();
    }

    public async Task<IReadOnlyList<CycleProposalView>> ProposeCycles(int maxLength, int limit)
    {
        // Refuse bad parameters before reading the directory.
        CycleProposals.Find([], maxLength, limit);
        var graph = new DirectoryContactGraph(GrainFactory, CommunityId);
        var offers = await graph.OffersAsync();
        var members = offers.Select(o => new MemberOffer(o.MemberId, o.Offers, o.Needs, o.Backing)).ToList();
        return CycleProposals.Find(members, maxLength, limit)
            .Select(p => new CycleProposalView(
                p.Hops.Select(h => new CycleHopView(h.MemberId, h.Offers, h.ToMemberId)).ToList(),
                p.WeakestBacking, p.WeakestMemberId))
            .ToList();
    }

    /// <summary>A graph with no members: lets <see cref="PathSearch"/> validate parameters without any read.</summary>
    private sealed class EmptyGraph : IContactGraph
    {
        public static readonly EmptyGraph Instance = new();

        public Task<IReadOnlyDictionary<string, IReadOnlyList<ContactEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds) =>
            Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<ContactEdge>>>(new Dictionary<string, IReadOnlyList<ContactEdge>>());

        public Task<IReadOnlyCollection<string>> MembersOfferingAsync(string skill) =>
            Task.FromResult<IReadOnlyCollection<string>>([]);
    }
}
