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
}
