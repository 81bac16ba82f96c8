namespace OrleansGuarantee.Domain;

/// <summary>What the organizer asks for when turning a proposed loop into a draft cycle (rule 22).</summary>
/// <param name="Hops">The loop as proposed: each member passes a skill to the next, the last to the first.</param>
/// <param name="MarketPrices">One market price for every stage, or one per hop in the order of <paramref name="Hops"/>.</param>
public sealed record DraftRequest(IReadOnlyList<CycleHop?>? Hops, string OrganizerId, IReadOnlyList<decimal>? MarketPrices,
    string? Product, decimal? ProductValue);

/// <summary>The cycle design a loop becomes: stages in the order the work flows, ending at the organizer.</summary>
public sealed record DraftPlan(string Product, decimal ProductValue, IReadOnlyList<StageSpec> Stages);

/// <summary>
/// Rule 22's last step: a proposed loop A→B→…→A becomes a draft synergy cycle in one action.
/// <para>A cycle's last stage delivers to its organizer (rule 20), so the loop is turned to start at the organizer:
/// stage 1 is the organizer's own hop (what the organizer offers the next member), and the last stage is the member
/// who gives the organizer what the organizer needs — the loop's deals are then exactly its hops. The organizer must
/// therefore be one of the loop's members. Each stage's role is the skill passed on; its market price comes from the
/// request (cycles need prices, proposals have none); the product value defaults to the sum of the market prices
/// (what the whole loop's work costs outside the cycle).</para>
/// <para>The loop itself is checked against the members' current offers and needs (<see cref="CheckAgainst"/>): a
/// proposal may be stale by the time the organizer acts on it.</para>
/// </summary>
public static class LoopToCycle
{
    public static DraftPlan Plan(DraftRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hops = CheckShape(request.Hops);
        var start = -1;
        for (var i = 0; i < hops.Count; i++)
            if (hops[i].MemberId == request.OrganizerId) start = i;
        if (start < 0)
            throw GuaranteeException.Forbidden("not-in-loop",
                "Only a member of the loop can make it a cycle: a cycle's last stage delivers to its organizer, so the organizer must be the member the loop closes on.");

        var prices = request.MarketPrices;
        if (prices is null || prices.Count == 0)
            throw GuaranteeException.Invalid("missing-field", "Give the stages' market price: one for every stage, or one per hop.");
        if (prices.Count != 1 && prices.Count != hops.Count)
            throw GuaranteeException.Invalid("invalid-market-prices",
                $"Give one market price for every stage or exactly one per hop ({hops.Count}); got {prices.Count}.");
        for (var i = 0; i < prices.Count; i++) Money.Validate(prices[i], prices.Count == 1 ? "market price" : $"market price of hop {i + 1}");

        var stages = new List<StageSpec>(hops.Count);
        for (var k = 0; k < hops.Count; k++)
        {
            var i = (start + k) % hops.Count;
            stages.Add(new StageSpec(hops[i].Offers, hops[i].MemberId, prices.Count == 1 ? prices[0] : prices[i]));
        }
        var value = request.ProductValue ?? stages.Sum(s => s.MarketPrice);
        Money.Validate(value, "productValue");
        var product = string.IsNullOrWhiteSpace(request.Product)
            ? "Loop: " + string.Join(" → ", stages.Select(s => s.Role))
            : request.Product.Trim();
        return new DraftPlan(product, value, stages);
    }

    /// <summary>Refuses a loop that is not one: missing hops, a hop that does not lead to the next, a member twice.</summary>
    public static IReadOnlyList<CycleHop> CheckShape(IReadOnlyList<CycleHop?>? hops)
    {
        if (hops is null || hops.Count < 2)
            throw GuaranteeException.Invalid("invalid-loop", "A loop has at least 2 hops.");
        if (hops.Count > CycleProposals.MaxLength)
            throw GuaranteeException.Invalid("invalid-loop", $"A loop has at most {CycleProposals.MaxLength} hops (got {hops.Count}).");
        var checkedHops = new List<CycleHop>(hops.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < hops.Count; i++)
        {
            var hop = hops[i];
            if (hop is null || string.IsNullOrWhiteSpace(hop.MemberId) || string.IsNullOrWhiteSpace(hop.ToMemberId) || string.IsNullOrWhiteSpace(hop.Offers))
                throw GuaranteeException.Invalid("invalid-loop", $"Hop {i + 1} needs a memberId, what it offers and a toMemberId.");
            var next = hops[(i + 1) % hops.Count];
            if (next is null || hop.ToMemberId != next.MemberId)
                throw GuaranteeException.Invalid("invalid-loop",
                    $"Hop {i + 1} goes to {hop.ToMemberId}, but the next hop starts at {next?.MemberId}: the hops must close a loop.");
            if (!seen.Add(hop.MemberId))
                throw GuaranteeException.Invalid("invalid-loop", $"{hop.MemberId} appears twice in the loop.");
            checkedHops.Add(hop with { Offers = hop.Offers.Trim() });
        }
        return checkedHops;
    }

    /// <summary>Refuses a loop the members' current offers and needs no longer support: each member must still offer
    /// its skill and the next must still need it (skills compare case-insensitively, as the navigator does).</summary>
    public static void CheckAgainst(IReadOnlyList<CycleHop> hops, IReadOnlyDictionary<string, MemberOffer> members)
    {
        foreach (var hop in hops)
        {
            if (!members.TryGetValue(hop.MemberId, out var giver))
                throw GuaranteeException.NotFound("member-not-found", $"There is no member '{hop.MemberId}' in this community.");
            if (!members.TryGetValue(hop.ToMemberId, out var taker))
                throw GuaranteeException.NotFound("member-not-found", $"There is no member '{hop.ToMemberId}' in this community.");
            if (!giver.Offers.Contains(hop.Offers, StringComparer.OrdinalIgnoreCase))
                throw GuaranteeException.Conflict("loop-out-of-date", $"{hop.MemberId} no longer offers {hop.Offers}. Search for proposals again.");
            if (!taker.Needs.Contains(hop.Offers, StringComparer.OrdinalIgnoreCase))
                throw GuaranteeException.Conflict("loop-out-of-date", $"{hop.ToMemberId} no longer needs {hop.Offers}. Search for proposals again.");
        }
    }
}
