namespace OrleansGuarantee;

/// <summary>A chain of contacts from the searching member to a target (rule 21); <see cref="Strengths"/>[i] is the
/// hop between <see cref="MemberIds"/>[i] and [i + 1] (0 for a plain contact, the guarantee limit otherwise).</summary>
[GenerateSerializer, Immutable, Alias("og.PathView")]
public sealed record PathView(
    [property: Id(0)] IReadOnlyList<string> MemberIds,
    [property: Id(1)] IReadOnlyList<decimal> Strengths)
{
    public int Hops => Strengths.Count;
}

/// <summary>One hop of a proposed loop: <see cref="MemberId"/> offers <see cref="Offers"/> to <see cref="ToMemberId"/>.</summary>
[GenerateSerializer, Immutable, Alias("og.CycleHopView")]
public sealed record CycleHopView(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string Offers,
    [property: Id(2)] string ToMemberId);

/// <summary>A proposed closed loop of offers and needs (rule 22), written from its ordinal-smallest member.</summary>
[GenerateSerializer, Immutable, Alias("og.CycleProposalView")]
public sealed record CycleProposalView(
    [property: Id(0)] IReadOnlyList<CycleHopView> Hops,
    [property: Id(1)] decimal WeakestBacking,
    [property: Id(2)] string WeakestMemberId);

/// <summary>The organizer turns a proposed loop into a draft synergy cycle (rule 22). <see cref="MarketPrices"/> holds
/// one price for every stage or one per hop; <see cref="ProductValue"/> null means the sum of the market prices.</summary>
[GenerateSerializer, Immutable, Alias("og.DraftCycleFromLoop")]
public sealed record DraftCycleFromLoop(
    [property: Id(0)] string OperationId,
    [property: Id(1)] string OrganizerId,
    [property: Id(2)] IReadOnlyList<CycleHopView?>? Hops,
    [property: Id(3)] IReadOnlyList<decimal>? MarketPrices,
    [property: Id(4)] string? Product,
    [property: Id(5)] decimal? ProductValue,
    [property: Id(6)] decimal? StageDiscount);

/// <summary>
/// The navigator of one community (keyed by community id): a stateless worker that searches the partitioned
/// contact index of the member directory. It holds no graph; every query reads only the partitions it needs.
/// </summary>
[Alias("og.INavigatorGrain")]
public interface INavigatorGrain : IGrainWithStringKey
{
    /// <summary>The shortest chains of contacts from <paramref name="from"/> to <paramref name="toMember"/> or to
    /// members offering <paramref name="skill"/> (exactly one of them).</summary>
    [Alias("FindPaths")]
    Task<IReadOnlyList<PathView>> FindPaths(string from, string? toMember, string? skill, int maxHops, int limit);

    /// <summary>Closed offer/need loops of 2..<paramref name="maxLength"/> members, best first.</summary>
    [Alias("ProposeCycles")]
    Task<IReadOnlyList<CycleProposalView>> ProposeCycles(int maxLength, int limit);

    /// <summary>Checks the loop against its members' current offers and needs and designs it as a draft cycle
    /// organised by <see cref="DraftCycleFromLoop.OrganizerId"/> (a member of the loop). Idempotent by operation id.</summary>
    [Alias("DraftCycle")]
    Task<CycleView> DraftCycle(DraftCycleFromLoop command);
}
