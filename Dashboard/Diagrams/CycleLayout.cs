using OrleansGuarantee.Dashboard.Components.Cycles;

namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>
/// The diagram of a synergy cycle: its stages left to right in order, each passing its work (a covered deal at the
/// stage's cycle price) to the next stage's member, the last one to the organizer at the end. The running stage is
/// "current"; done, failed and waiting stages carry their status as kind. A stage that failed and was reassigned
/// keeps its failed attempt as a "failed" node under it, linked to the stage that now has the replacement member.
/// </summary>
public static class CycleLayout
{
    /// <summary>Horizontal distance between stages, px.</summary>
    public const double StepX = 340;
    /// <summary>Vertical distance between a stage and its failed attempts, px.</summary>
    public const double StepY = 210;

    public static string StageId(int index) => $"stage-{index}";
    public const string OrganizerId = "organizer";
    public static string FailureId(int index, int attempt) => $"failure-{index}-{attempt}";

    public static DiagramSpec Build(CycleView cycle)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        // Every node carries the number of the last event the view includes (data-seq), so a browser test can see
        // when a change has arrived.
        long? seq = cycle.LastEventSeq;
        var nodes = new List<DiagramNode>();
        var links = new List<DiagramLink>();
        var stages = cycle.Stages.OrderBy(s => s.Index).ToList();
        for (var i = 0; i < stages.Count; i++)
        {
            var s = stages[i];
            var kind = KindOf(cycle, s);
            var lines = new List<string>
            {
                $"member {s.MemberId}{(s.Joined ? "" : " (not joined)")}",
                $"market {CycleText.Money(s.MarketPrice)}",
                $"cycle price {CycleText.Money(s.CyclePrice)}",
                $"saved so far {CycleText.Money(s.CumulativeSaving)}",
                $"share {CycleText.Percent(s.Share)}, gain {CycleText.Money(s.SynergyGain)}",
                CycleText.StageStatus(s),
            };
            if (s.Status == "failed" && cycle.Failures.LastOrDefault(f => f.Index == s.Index) is { } failure)
                lines.Add($"failed: {failure.Reason}");
            nodes.Add(new DiagramNode(StageId(s.Index), $"{s.Index + 1}. {s.Role}", lines, kind, i * StepX, 0, Seq: seq));
            var to = i + 1 < stages.Count ? StageId(stages[i + 1].Index) : OrganizerId;
            links.Add(new DiagramLink(StageId(s.Index), to, $"deal {CycleText.Money(s.CyclePrice)}", LinkKind(kind)));

            // Failed attempts that were reassigned: the k-th failure of a stage goes with its k-th reassignment.
            var failures = cycle.Failures.Where(f => f.Index == s.Index).ToList();
            var reassignments = cycle.Reassignments.Where(r => r.Index == s.Index).ToList();
            for (var k = 0; k < failures.Count && k < reassignments.Count; k++)
            {
                var f = failures[k];
                var id = FailureId(s.Index, k);
                nodes.Add(new DiagramNode(id, $"{s.Index + 1}. {s.Role}: failed attempt",
                    [$"member {f.MemberId}", $"deal {f.DealId}", f.Reason], "failed", i * StepX, (k + 1) * StepY, Seq: seq));
                links.Add(new DiagramLink(id, StageId(s.Index), $"reassigned to {reassignments[k].ToMemberId}", "failed"));
            }
        }
        nodes.Add(new DiagramNode(OrganizerId, $"Organizer {cycle.OrganizerId}",
            [$"receives {cycle.Product}", $"product value {CycleText.Money(cycle.ProductValue)}",
             $"market total {CycleText.Money(cycle.TotalMarketPrice)}", $"cycle total {CycleText.Money(cycle.TotalCyclePrice)}"],
            cycle.State == CycleState.Completed ? "done" : "organizer", stages.Count * StepX, 0, Seq: seq));
        return new DiagramSpec(nodes, links);
    }

    /// <summary>"current" for the stage the cycle waits on; otherwise the stage's status (waiting, opening, running, done, failed).</summary>
    public static string KindOf(CycleView cycle, StageView stage)
    {
        if (stage.Status == "failed") return "failed";
        // Running, or broken and reassigned: the cycle waits on this stage (its deal, or its new member joining).
        if (cycle.State is CycleState.Running or CycleState.Broken && stage.Index == cycle.CurrentStage) return "current";
        return stage.Status;
    }

    private static string LinkKind(string nodeKind) => nodeKind switch
    {
        "current" or "done" or "failed" => nodeKind,
        _ => "",
    };
}
