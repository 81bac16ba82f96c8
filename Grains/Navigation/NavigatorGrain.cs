using OrleansGuarantee.Domain;
using Orleans.Concurrency;

namespace OrleansGuarantee.Navigation;

/// <summary>
/// The navigator of one community (rules 21-22). A stateless worker: any silo runs as many as it needs, each query
/// reads the community's directory partitions through <see cref="DirectoryContactGraph"/> and keeps nothing itself
/// (the silo's <see cref="NavigatorCache"/> keeps skill providers and offers for a few seconds).
/// Reentrant: a query spends its time waiting on partitions, so one activation interleaves many queries instead of
/// queueing them behind one another (a stateless worker would otherwise run one query per activation at a time).
/// </summary>
[StatelessWorker, Reentrant]
public sealed class NavigatorGrain(NavigatorCache cache) : Grain, INavigatorGrain
{
    private string CommunityId => this.GetPrimaryKeyString();

    public async Task<IReadOnlyList<PathView>> FindPaths(string from, string? toMember, string? skill, int maxHops, int limit)
    {
        var graph = new DirectoryContactGraph(GrainFactory, CommunityId, cache);
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

    /// <summary>
    /// The offers and needs come from the silo's <see cref="NavigatorCache"/> (read from every partition at most once
    /// per period), with the proposals computed from them kept alongside; a snapshot read earlier is checked against
    /// the partitions' expelled members first, so a proposal never names an expelled member.
    /// </summary>
    public async Task<IReadOnlyList<CycleProposalView>> ProposeCycles(int maxLength, int limit)
    {
        // Refuse bad parameters before reading the directory.
        CycleProposals.Find([], maxLength, limit);
        var graph = new DirectoryContactGraph(GrainFactory, CommunityId, cache);
        var readNow = false;
        var snapshot = await cache.GetOffersAsync(CommunityId, async () =>
        {
            readNow = true;
            var offers = await graph.OffersAsync();
            return new OffersSnapshot(offers.Select(o => new MemberOffer(o.MemberId, o.Offers, o.Needs, o.Backing)).ToList());
        });
        IReadOnlyList<CycleProposal> proposals;
        var expelled = readNow ? null : (await graph.ExpelledAsync()).Where(snapshot.Contains).ToHashSet(StringComparer.Ordinal);
        if (expelled is { Count: > 0 })
            proposals = CycleProposals.Find(snapshot.Members.Where(m => !expelled.Contains(m.MemberId)).ToList(), maxLength, limit);
        else
            proposals = snapshot.Proposals.GetOrAdd((maxLength, limit), key => CycleProposals.Find(snapshot.Members, key.MaxLength, key.Limit));
        return proposals
            .Select(p => new CycleProposalView(
                p.Hops.Select(h => new CycleHopView(h.MemberId, h.Offers, h.ToMemberId)).ToList(),
                p.WeakestBacking, p.WeakestMemberId))
            .ToList();
    }

    public async Task<CycleView> DraftCycle(DraftCycleFromLoop command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Ids.ValidateOperationId(command.OperationId);
        var request = new DraftRequest(
            command.Hops?.Select(h => h is null ? null : new CycleHop(h.MemberId, h.Offers, h.ToMemberId)).ToList(),
            command.OrganizerId, command.MarketPrices, command.Product, command.ProductValue);
        var plan = LoopToCycle.Plan(request);

        // The proposal may be stale: read the loop's members as they are now (each from its own grain, in parallel).
        var hops = LoopToCycle.CheckShape(request.Hops);
        var views = await Task.WhenAll(hops.Select(h => GrainFactory.GetGrain<IMemberGrain>(h.MemberId).Get()));
        var members = new Dictionary<string, MemberOffer>(StringComparer.Ordinal);
        foreach (var view in views)
        {
            if (view.CommunityId != CommunityId || view.Status == MemberStatus.Expelled) continue;
            members[view.Id] = new MemberOffer(view.Id, view.Profile.Offers, view.Profile.Needs);
        }
        LoopToCycle.CheckAgainst(hops, members);

        var design = new DesignCycle(command.OperationId, command.OrganizerId, CommunityId, plan.Product, plan.ProductValue,
            command.StageDiscount, plan.Stages);
        return await GrainFactory.GetGrain<ISynergyCycleGrain>(CycleIds.For(command.OrganizerId, command.OperationId)).Design(design);
    }

    /// <summary>A graph with no members: lets <see cref="PathSearch"/> validate parameters without any read.</summary>
    private sealed class EmptyGraph : IContactGraph
    {
        public static readonly EmptyGraph Instance = new();

        public Task<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds) =>
            Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>>(new Dictionary<string, IReadOnlyList<DirectoryEdge>>());

        public Task<IReadOnlyCollection<string>> MembersOfferingAsync(string skill) =>
            Task.FromResult<IReadOnlyCollection<string>>([]);
    }
}
