namespace OrleansGuarantee.Domain;

/// <summary>A party of a deal whose performance must be covered, and by how much.</summary>
public sealed record CoverParty(string MemberId, string Role, decimal Required);

/// <summary>A hold the plan asks for: <paramref name="Amount"/> of <paramref name="MemberId"/>'s free deposit.</summary>
public sealed record PlannedHold(string MemberId, decimal Amount, string ForPartyId, string? ViaWardId, int Level);

public sealed record CoverPlan(IReadOnlyList<PlannedHold> Holds, IReadOnlyList<CoverShortfall> Shortfalls)
{
    public bool IsComplete => Shortfalls.Count == 0;
}

/// <summary>Where the planner reads members from (the deal grain reads member grains; tests use a dictionary).</summary>
public interface ICoverSource
{
    /// <summary>The member's free deposit and active guarantors, and its remaining limit for each of <paramref name="wards"/>.</summary>
    Task<MemberCoverInfo> GetAsync(string memberId, IReadOnlyList<string> wards);
}

/// <summary>
/// Rule 10: each party's performance is covered up to value × coverage ratio, first by the party's own
/// free deposit, then by its guarantors in proportion to their capacity (the smaller of the remaining
/// limit for that ward and the free deposit), then the guarantors' guarantors the same way, level by
/// level. The deal's parties never cover each other. The planner only reads; it holds nothing.
/// </summary>
public static class CoverPlanner
{
    public static async Task<CoverPlan> PlanAsync(IReadOnlyList<CoverParty> parties, ICoverSource source, int maxLevels)
    {
        var free = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var remainingLimit = new Dictionary<(string Guarantor, string Ward), decimal>();
        var excluded = parties.Select(p => p.MemberId).ToHashSet(StringComparer.Ordinal);
        var holds = new List<PlannedHold>();
        var shortfalls = new List<CoverShortfall>();

        foreach (var party in parties)
        {
            var need = party.Required;
            var own = await source.GetAsync(party.MemberId, []);
            free.TryAdd(own.MemberId, Math.Max(0, own.Free));
            var fromOwn = Math.Min(free[own.MemberId], need);
            if (fromOwn > 0)
            {
                holds.Add(new PlannedHold(own.MemberId, fromOwn, party.MemberId, null, 0));
                free[own.MemberId] -= fromOwn;
                need -= fromOwn;
            }

            var frontier = new List<MemberCoverInfo> { own };
            var visited = new HashSet<string>(StringComparer.Ordinal) { own.MemberId };
            for (var level = 1; need > 0 && frontier.Count > 0 && level <= maxLevels; level++)
            {
                // Who stands behind the members of this frontier, and for which of them.
                var wardsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                var order = new List<string>();
                foreach (var ward in frontier)
                    foreach (var guarantor in ward.Guarantors)
                    {
                        if (excluded.Contains(guarantor)) continue;
                        if (!wardsOf.TryGetValue(guarantor, out var list))
                        {
                            wardsOf[guarantor] = list = [];
                            order.Add(guarantor);
                        }
                        if (!list.Contains(ward.MemberId)) list.Add(ward.MemberId);
                    }

                var next = new List<MemberCoverInfo>();
                var capacities = new List<decimal>();
                foreach (var guarantorId in order)
                {
                    var info = await source.GetAsync(guarantorId, wardsOf[guarantorId]);
                    if (visited.Add(guarantorId)) next.Add(info);
                    if (!MemberStatusRules.CanCoverAsGuarantor(info.Status) || info.CommunityId != own.CommunityId)
                    {
                        capacities.Add(0);
                        continue;
                    }
                    free.TryAdd(guarantorId, Math.Max(0, info.Free));
                    var limits = 0m;
                    foreach (var ward in wardsOf[guarantorId])
                    {
                        var key = (guarantorId, ward);
                        if (!remainingLimit.ContainsKey(key))
                            remainingLimit[key] = Math.Max(0, info.RemainingLimits.GetValueOrDefault(ward));
                        limits += remainingLimit[key];
                    }
                    capacities.Add(Math.Min(free[guarantorId], limits));
                }

                var total = capacities.Sum();
                if (total > 0)
                {
                    var take = Math.Min(need, total);
                    var shares = Apportion.ByWeights(take, capacities, capByWeight: true);
                    for (var i = 0; i < order.Count; i++)
                    {
                        var guarantorId = order[i];
                        var share = shares[i];
                        if (share == 0) continue;
                        free[guarantorId] -= share;
                        // Within one guarantor, use its limits for the wards in frontier order.
                        foreach (var ward in wardsOf[guarantorId])
                        {
                            if (share == 0) break;
                            var key = (guarantorId, ward);
                            var part = Math.Min(share, remainingLimit[key]);
                            if (part <= 0) continue;
                            remainingLimit[key] -= part;
                            share -= part;
                            holds.Add(new PlannedHold(guarantorId, part, party.MemberId, ward, level));
                        }
                    }
                    need -= take;
                }
                frontier = next;
            }

            if (need > 0)
                shortfalls.Add(new CoverShortfall(party.MemberId, party.Role, party.Required, need));
        }

        return new CoverPlan(holds, shortfalls);
    }

    /// <summary>The message a person reads when cover is short.</summary>
    public static string Describe(IReadOnlyList<CoverShortfall> shortfalls) =>
        "Cover is short: " + string.Join("; ", shortfalls.Select(s =>
            $"the {s.Party} {s.MemberId} needs {s.Missing:0.00} more of {s.Required:0.00} " +
            "(from its own free deposit or its guarantors' limits and deposits)")) + ". No hold was placed.";
}
