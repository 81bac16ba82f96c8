namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>A member taking part in a deal's cover, with what the deal page shows of it.</summary>
/// <param name="Status">Null when the member could not be read.</param>
public sealed record DealParticipant(string Id, string Name, MemberStatus? Status);

/// <summary>
/// Draws who covers a deal (rule 10): the deal at the bottom, its provider and consumer above it, each party's
/// guarantors holding cover above the party, and their guarantors (level 2) above those. An arrow goes from each
/// holder to the member it holds for (its ward), labelled with the amount held; a party's hold on its own deposit
/// is a line of its box. Provider-side holders are drawn left of consumer-side ones.
/// </summary>
public static class DealCoverLayout
{
    /// <summary>The id of the deal's own box (member ids never contain ':').</summary>
    public const string DealNodeId = "deal:";

    public const int MaxPerRow = 8;

    /// <param name="members">Names and statuses by member id; a member missing here is shown by its id.</param>
    /// <param name="meId">The signed-in member, marked "you".</param>
    public static DiagramSpec Build(DealView deal, IReadOnlyDictionary<string, DealParticipant> members, string? meId = null)
    {
        ArgumentNullException.ThrowIfNull(deal);
        ArgumentNullException.ThrowIfNull(members);
        var released = IsReleased(deal.State);
        var verb = released ? "held" : "holds";

        // Each guarantor in the cover (holding, or passed through to reach the level above it) in the band of its
        // nearest level, on the side of the party it first stands for.
        var places = deal.Cover.Where(h => h.Level > 0).SelectMany(h => h.ViaWardId is { } ward && h.Level > 1
                ? new[] { (Id: h.MemberId, h.Level, h.ForParty, Via: ward), (Id: ward, Level: h.Level - 1, h.ForParty, Via: "") }
                : [(Id: h.MemberId, h.Level, h.ForParty, Via: h.ViaWardId ?? "")])
            .Where(p => p.Id != deal.ProviderId && p.Id != deal.ConsumerId);
        var holders = places.GroupBy(p => p.Id, StringComparer.Ordinal)
            .Select(g =>
            {
                var nearest = g.OrderBy(p => p.Level).ThenBy(p => p.ForParty == deal.ProviderId ? 0 : 1).First();
                return (Id: g.Key, nearest.Level, Side: nearest.ForParty == deal.ProviderId ? 0 : 1, nearest.Via);
            }).ToList();
        var bands = holders.GroupBy(h => h.Level).OrderByDescending(g => g.Key)
            .Select(g => (IReadOnlyList<string>)g.OrderBy(h => h.Side).ThenBy(h => h.Via, StringComparer.Ordinal)
                .ThenBy(h => h.Id, StringComparer.Ordinal).Select(h => h.Id).ToList())
            .ToList();
        bands.Add([deal.ProviderId, deal.ConsumerId]);
        bands.Add([DealNodeId]);
        var positions = DiagramGrid.Bands(bands, MaxPerRow);

        var nodes = new List<DiagramNode>();
        foreach (var band in bands)
            foreach (var id in band)
            {
                var (x, y) = positions[id];
                nodes.Add(id == DealNodeId ? DealNode(deal, x, y) : MemberNode(id, x, y));
            }

        var arrows = new List<DiagramLink>
        {
            new(deal.ProviderId, DealNodeId, "provider"),
            new(deal.ConsumerId, DealNodeId, "consumer"),
        };
        // One arrow per holder and ward, with the sum it holds through that ward (for either party).
        foreach (var via in deal.Cover.Where(h => h.Level > 0 && h.ViaWardId is not null)
                     .GroupBy(h => (h.MemberId, Ward: h.ViaWardId!)).OrderBy(g => g.Key.MemberId, StringComparer.Ordinal)
                     .ThenBy(g => g.Key.Ward, StringComparer.Ordinal))
        {
            var parties = via.Select(h => Role(h.ForParty)).Distinct().ToList();
            arrows.Add(new DiagramLink(via.Key.MemberId, via.Key.Ward,
                $"{verb} {DiagramGrid.Money(via.Sum(h => h.Amount))} for the {string.Join(" and ", parties)}", released ? "weak" : ""));
        }
        return new DiagramSpec(nodes, arrows);

        DiagramNode MemberNode(string id, double x, double y)
        {
            var member = members.GetValueOrDefault(id);
            var lines = new List<string> { id };
            var own = deal.Cover.Where(h => h.MemberId == id && h.Level == 0).Sum(h => h.Amount);
            var forOthers = deal.Cover.Where(h => h.MemberId == id && h.Level > 0).Sum(h => h.Amount);
            if (id == deal.ProviderId || id == deal.ConsumerId)
            {
                lines.Add(Role(id) + (id == meId ? " · you" : ""));
                lines.Add(own > 0 ? $"own deposit {verb} {DiagramGrid.Money(own)}" : "no hold on own deposit");
                if (forOthers > 0) lines.Add($"also {verb} {DiagramGrid.Money(forOthers)} as a guarantor");
            }
            else
            {
                var level = holders.First(h => h.Id == id).Level;
                lines.Add((level == 1 ? "guarantor" : $"guarantor, level {level}") + (id == meId ? " · you" : ""));
                lines.Add(forOthers > 0 ? $"{verb} {DiagramGrid.Money(forOthers)} in all" : "holds nothing; its guarantors do");
            }
            var kind = id == meId ? "self" : member?.Status?.ToString() ?? "";
            return new DiagramNode(id, member?.Name ?? id, lines, kind, x, y, DiagramGrid.MemberHref(id));
        }

        string Role(string partyId) => partyId == deal.ProviderId ? "provider" : "consumer";
    }

    private static DiagramNode DealNode(DealView deal, double x, double y)
    {
        var total = deal.Cover.Sum(h => h.Amount);
        var cover = deal.Cover.Count == 0 ? "no cover held"
            : IsReleased(deal.State) ? $"cover {DiagramGrid.Money(total)} released"
            : $"cover {DiagramGrid.Money(total)} in {deal.Cover.Count} hold{(deal.Cover.Count == 1 ? "" : "s")}";
        return new DiagramNode(DealNodeId, $"Deal worth {DiagramGrid.Money(deal.Value)}",
            [deal.Id, StateWord(deal.State), cover], KindOf(deal.State), x, y);
    }

    /// <summary>Once a deal is closed (or closing), its holds are released: the cover shows what was held.</summary>
    public static bool IsReleased(DealState state) =>
        state is DealState.Completing or DealState.Completed or DealState.Cancelled or DealState.Settling or DealState.Settled;

    public static string StateWord(DealState state) => state switch
    {
        DealState.Proposed => "proposed, not covered yet",
        DealState.Accepting => "cover being held",
        DealState.Accepted => "accepted and covered",
        DealState.Delivered => "delivered, waiting for the consumer",
        DealState.Completing => "completing",
        DealState.Completed => "completed",
        DealState.Cancelled => "cancelled",
        DealState.Claimed => "defect claimed",
        DealState.Disputed => "claim in arbitration",
        DealState.Settling => "claim being paid",
        _ => "claim settled",
    };

    private static string KindOf(DealState state) => state switch
    {
        DealState.Proposed or DealState.Accepting => "waiting",
        DealState.Accepted or DealState.Delivered or DealState.Completing => "current",
        DealState.Completed => "done",
        DealState.Cancelled => "",
        _ => "failed",
    };
}
