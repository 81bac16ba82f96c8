namespace OrleansGuarantee.Domain;

/// <summary>The result of counting a panel's votes.</summary>
public enum TallyStatus
{
    /// <summary>No majority yet, and votes may still come before the deadline.</summary>
    Open,
    /// <summary>A verdict stands.</summary>
    Decided,
    /// <summary>A tie, or no majority once everyone voted or the deadline passed: the next panel sits.</summary>
    Deadlocked,
}

public sealed record TallyResult(TallyStatus Status, Verdict? Verdict, string Explanation);

/// <summary>Rule 13: a majority of the whole panel agreeing on the fault; the compensation is the median of that majority's amounts.</summary>
public static class VerdictTally
{
    public static TallyResult Tally(IReadOnlyCollection<string> panel, IReadOnlyCollection<VoteRecord> votes, decimal claim, bool deadlinePassed, bool isCouncil)
    {
        var counted = votes.Where(v => panel.Contains(v.JudgeId)).ToList();
        var groups = counted.GroupBy(v => v.Fault).OrderByDescending(g => g.Count()).ToList();
        var majority = groups.FirstOrDefault(g => g.Count() * 2 > panel.Count);
        if (majority is not null)
            return new(TallyStatus.Decided, VerdictOf(majority.Key, majority.ToList(), claim),
                $"{majority.Count()} of {panel.Count} judges agreed: {Describe(majority.Key)}.");

        var everyoneVoted = counted.Count >= panel.Count;
        if (!everyoneVoted && !deadlinePassed)
            return new(TallyStatus.Open, null, $"{counted.Count} of {panel.Count} votes; no majority yet.");

        if (isCouncil)
        {
            // The council's word is final: the largest group of the votes cast decides; a tie (or no vote) finds no fault.
            if (groups.Count > 0 && (groups.Count == 1 || groups[0].Count() > groups[1].Count()))
                return new(TallyStatus.Decided, VerdictOf(groups[0].Key, groups[0].ToList(), claim),
                    $"The founders' council decided by the largest group of the votes cast ({groups[0].Count()} of {counted.Count}).");
            return new(TallyStatus.Decided, new Verdict(Fault.Neither, 0, 0),
                counted.Count == 0 ? "No councillor voted by the deadline: no fault is found." : "The council was split evenly: no fault is found.");
        }
        var why = counted.Count == 0 ? "no judge voted" : groups.Count > 1 && groups[0].Count() == groups[1].Count() ? "a tie" : "no majority";
        return new(TallyStatus.Deadlocked, null, deadlinePassed && !everyoneVoted
            ? $"The verdict deadline passed with {counted.Count} of {panel.Count} votes and {why}."
            : $"All {panel.Count} judges voted and there was {why}.");
    }

    private static Verdict VerdictOf(Fault fault, IReadOnlyList<VoteRecord> group, decimal claim)
    {
        var compensation = Math.Min(claim, Money.Cents(Median(group.Select(v => v.Compensation))));
        var share = fault switch
        {
            Fault.Provider => 1m,
            Fault.Consumer => 0m,
            Fault.Both => decimal.Round(Median(group.Select(v => v.ProviderShare)), 4),
            _ => 0m,
        };
        return new Verdict(fault, share, fault == Fault.Neither ? 0 : compensation);
    }

    public static decimal Median(IEnumerable<decimal> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0) return 0;
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static string Describe(Fault fault) => fault switch
    {
        Fault.Provider => "the provider is at fault",
        Fault.Consumer => "the consumer is at fault",
        Fault.Both => "both are at fault",
        _ => "neither is at fault",
    };
}

/// <summary>Rule 15: who pays the injured party how much under a verdict.</summary>
public static class CompensationRule
{
    /// <summary>The paying party and the amount; null when nothing is owed (no fault, or the claimant's own fault).</summary>
    public static (string PayerId, decimal Amount)? Payment(Verdict verdict, string claimantId, string providerId, string consumerId)
    {
        var respondent = claimantId == providerId ? consumerId : providerId;
        var respondentShare = verdict.Fault switch
        {
            Fault.Provider => respondent == providerId ? 1m : 0m,
            Fault.Consumer => respondent == consumerId ? 1m : 0m,
            Fault.Both => respondent == providerId ? verdict.ProviderShare : 1m - verdict.ProviderShare,
            _ => 0m,
        };
        var amount = Money.Cents(verdict.Compensation * respondentShare);
        return amount > 0 ? (respondent, amount) : null;
    }
}

/// <summary>One hold of the at-fault party's cover, with its level (0 own, 1 its guarantors, 2 theirs...).</summary>
public sealed record WaterfallHold(string HoldId, string MemberId, decimal Amount, int Level);

public sealed record WaterfallPart(string HoldId, string MemberId, decimal Amount, int Level);

/// <summary>
/// Rule 15: compensation is taken from the at-fault party's own hold first, then its guarantors' holds
/// pro rata, then one level further up only where the level below is exhausted.
/// </summary>
public static class CompensationWaterfall
{
    public static (IReadOnlyList<WaterfallPart> Parts, decimal Unpaid) Plan(IEnumerable<WaterfallHold> holds, decimal amount)
    {
        var parts = new List<WaterfallPart>();
        var remaining = amount;
        foreach (var level in holds.Where(h => h.Amount > 0).GroupBy(h => h.Level).OrderBy(g => g.Key))
        {
            if (remaining <= 0) break;
            var levelHolds = level.OrderBy(h => h.HoldId, StringComparer.Ordinal).ToList();
            var available = levelHolds.Sum(h => h.Amount);
            var take = Math.Min(remaining, available);
            var split = take == available
                ? levelHolds.Select(h => h.Amount).ToArray()
                : Apportion.ByWeights(take, levelHolds.Select(h => h.Amount).ToList(), capByWeight: true);
            for (var i = 0; i < levelHolds.Count; i++)
                if (split[i] > 0) parts.Add(new WaterfallPart(levelHolds[i].HoldId, levelHolds[i].MemberId, split[i], level.Key));
            remaining -= take;
        }
        return (parts, remaining);
    }
}

/// <summary>Rules 13-14: who sits on each panel.</summary>
public static class PanelSelector
{
    /// <summary>
    /// The panel of <paramref name="level"/> from the candidates (level 1: the parties' guarantors; later:
    /// the guarantors of the previous panel's judges), never a party or an earlier judge. The founders'
    /// council (every founder who is not a party) sits at the last level, or when the panel would be empty
    /// or hold only founders (from level 2 on).
    /// </summary>
    public static (IReadOnlyList<string> Panel, bool IsCouncil) Select(
        int level, int maxLevels, IEnumerable<string> candidates, IReadOnlySet<string> parties,
        IReadOnlySet<string> alreadySat, IReadOnlySet<string> founders)
    {
        var panel = candidates.Where(c => !parties.Contains(c) && !alreadySat.Contains(c))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var council = level >= maxLevels || panel.Count == 0 || (level > 1 && panel.All(founders.Contains));
        if (!council) return (panel, false);
        return (founders.Where(f => !parties.Contains(f)).Order(StringComparer.Ordinal).ToList(), true);
    }
}
