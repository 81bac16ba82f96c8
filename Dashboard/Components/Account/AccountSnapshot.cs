namespace OrleansGuarantee.Dashboard.Components.Account;

/// <summary>
/// What the account page shows, read in one go. It is carried from the prerendered page to the
/// interactive one (persisted component state), so the page does not flash empty while it connects.
/// </summary>
public sealed record AccountSnapshot(
    MemberView Me,
    IReadOnlyList<DealView> Deals,
    IReadOnlyList<GuaranteeRequester> GuaranteeRequests,
    DateTimeOffset ReadAt);

/// <summary>A member waiting for my answer to their guarantee request: what I need to decide.</summary>
public sealed record GuaranteeRequester(
    string Id,
    string Name,
    MemberStatus Status,
    IReadOnlyList<string> Offers,
    string? Location,
    int Guarantors)
{
    public static GuaranteeRequester From(MemberView m) =>
        new(m.Id, m.Profile.Name, m.Status, m.Profile.Offers, m.Profile.Location, m.Guarantors.Count(g => !g.Withdrawn));
}
