using OrleansGuarantee.Dashboard.Components.Arbitration;

namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>
/// Draws how an arbitration case went up the guarantee hierarchy (rules 13-14): one column per level, left to
/// right, its box on top with the level's outcome, its judges below with their votes; an arrow from each level to
/// the next says why the case went on (a tie, a missed deadline, an appeal), and a last box holds the final verdict.
/// </summary>
public static class CaseEscalationLayout
{
    /// <summary>A panel taller than this (a large founders' council) wraps into a second column.</summary>
    public const int MaxPerColumn = 8;

    public const string FinalNodeId = "final:";

    public static string LevelNodeId(int level) => $"level:{level}";

    /// <summary>A judge's box in a level (the council may seat a founder who sat before, so ids are per level).</summary>
    public static string JudgeNodeId(int level, string judgeId) => $"level:{level}:{judgeId}";

    /// <param name="meId">The signed-in member, marked "you".</param>
    public static DiagramSpec Build(CaseView c, string? meId = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        var columns = c.Levels.Select(l => (LevelNodeId(l.Level), (IReadOnlyList<string>)l.Panel.Select(j => JudgeNodeId(l.Level, j)).ToList())).ToList();
        if (c.FinalVerdict is not null) columns.Add((FinalNodeId, []));
        var positions = DiagramGrid.Columns(columns, MaxPerColumn);

        var nodes = new List<DiagramNode>();
        var links = new List<DiagramLink>();
        for (var i = 0; i < c.Levels.Count; i++)
        {
            var level = c.Levels[i];
            var id = LevelNodeId(level.Level);
            var (x, y) = positions[id];
            nodes.Add(new DiagramNode(id, $"Level {level.Level}" + (level.IsCouncil ? " · council" : ""),
                [CaseText.PanelName(level), OutcomeLine(c, level, meId), level.Verdict is { } v ? VerdictLine(v) : $"{level.Votes.Count} of {level.Panel.Count} voted"],
                KindOf(level.Outcome), x, y));
            foreach (var judge in level.Panel)
            {
                var vote = level.Votes.FirstOrDefault(v => v.JudgeId == judge);
                var judgeId = JudgeNodeId(level.Level, judge);
                var (jx, jy) = positions[judgeId];
                var voteLine = vote is not null ? "voted: " + CaseText.Vote(vote)
                    : level.Outcome == CaseLevelOutcome.Voting ? "not voted yet" : "did not vote";
                var kind = judge == meId ? "self" : vote is not null ? "done" : level.Outcome == CaseLevelOutcome.Voting ? "waiting" : "failed";
                nodes.Add(new DiagramNode(judgeId, judge, [judge == meId ? "judge · you" : "judge", voteLine], kind, jx, jy,
                    DiagramGrid.MemberHref(judge)));
            }
            if (i + 1 < c.Levels.Count)
                links.Add(new DiagramLink(id, LevelNodeId(c.Levels[i + 1].Level), WhyNext(level, meId), "failed"));
        }

        if (c.FinalVerdict is { } final)
        {
            var (x, y) = positions[FinalNodeId];
            nodes.Add(new DiagramNode(FinalNodeId, "Final verdict",
                [VerdictLine(final), c.State == CaseState.Closed ? "executed on the deal" : "being executed on the deal"], "done", x, y));
            if (c.Levels.Count > 0)
                links.Add(new DiagramLink(LevelNodeId(c.Levels[^1].Level), FinalNodeId, WhyFinal(c, c.Levels[^1]), "done"));
        }
        return new DiagramSpec(nodes, links);
    }

    /// <summary>Why the case left this level for the next: an appeal, or the reason the panel gave no verdict.</summary>
    public static string WhyNext(CaseLevelView level, string? meId = null)
    {
        if (level.Outcome == CaseLevelOutcome.Appealed || level.AppealedBy is not null)
            return level.AppealedBy is { } by ? $"appealed by {CaseText.Who(by, meId)}" : "appealed";
        if (level.Panel.Count == 0) return "no judge to sit";
        var counted = level.Votes.Where(v => level.Panel.Contains(v.JudgeId)).ToList();
        if (counted.Count < level.Panel.Count) return $"missed deadline: {counted.Count} of {level.Panel.Count} voted";
        var groups = counted.GroupBy(v => v.Fault).Select(g => g.Count()).OrderDescending().ToList();
        return groups.Count > 1 && groups[0] == groups[1] ? "tie" : "no majority";
    }

    /// <summary>How the last level's verdict became final.</summary>
    public static string WhyFinal(CaseView c, CaseLevelView last) =>
        last.AcceptedBy.Contains(c.ProviderId) && last.AcceptedBy.Contains(c.ConsumerId) ? "accepted by both parties"
        : last.IsCouncil ? "the council's word is final"
        : "appeal window passed";

    private static string OutcomeLine(CaseView c, CaseLevelView level, string? meId) => level.Outcome switch
    {
        CaseLevelOutcome.Voting => "voting",
        CaseLevelOutcome.Decided when level.AcceptedBy.Count > 0 =>
            $"verdict; accepted by {string.Join(", ", level.AcceptedBy.Select(p => CaseText.Who(p, meId)))}",
        CaseLevelOutcome.Decided => "verdict; the parties answer",
        CaseLevelOutcome.Escalated => "escalated: " + WhyNext(level),
        CaseLevelOutcome.Appealed => "verdict appealed",
        _ => "final: " + WhyFinal(c, level),
    };

    private static string VerdictLine(Verdict v) => v.Fault == Fault.Neither
        ? "verdict: neither at fault"
        : $"verdict: {CaseText.Fault(v.Fault, v.ProviderShare)}, {DiagramGrid.Money(v.Compensation)}";

    private static string KindOf(CaseLevelOutcome outcome) => outcome switch
    {
        CaseLevelOutcome.Voting => "current",
        CaseLevelOutcome.Decided => "waiting",
        CaseLevelOutcome.Escalated => "failed",
        CaseLevelOutcome.Appealed => "appealed",
        _ => "done",
    };
}
