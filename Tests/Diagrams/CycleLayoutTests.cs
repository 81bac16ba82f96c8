using OrleansGuarantee.Dashboard.Components.Cycles;
using OrleansGuarantee.Dashboard.Diagrams;
using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Diagrams;

/// <summary>The cycle diagram's layout (no browser, no cluster): stages in order with the organizer at the end, the
/// stage the cycle waits on highlighted, failed attempts and their replacements shown, figures as SynergyMath gives them.</summary>
public sealed class CycleLayoutTests
{
    private static readonly string[] Roles = ["supplier", "mason", "carpenter", "engineer"];
    private static readonly string[] Members = ["sam", "mia", "carl", "eve"];
    private static readonly decimal[] Prices = [10_000m, 8_000m, 6_000m, 4_000m];

    /// <summary>A cycle view as the grain makes it: figures from SynergyMath, statuses as given.</summary>
    private static CycleView Cycle(CycleState state, int current, string[] statuses, long lastSeq = 7,
        IReadOnlyList<StageFailure>? failures = null, IReadOnlyList<StageReassignment>? reassignments = null, string[]? members = null)
    {
        members ??= Members;
        var f = SynergyMath.Compute(Prices, 0.20m, 30_000m);
        var stages = Roles.Select((r, i) => new StageView(i, r, members[i], Prices[i], f[i].CyclePrice, f[i].Saving, f[i].CumulativeSaving,
            f[i].Share, f[i].ShareOfProduct, f[i].SynergyGain, statuses[i] != "waiting" || state != CycleState.Recruiting, statuses[i],
            statuses[i] == "waiting" ? null : $"deal-{i}", null, null)).ToList();
        return new CycleView("cy-1", "c", "olga", "A house", 30_000m, 0.20m, state, current, stages, Prices.Sum(), f.Sum(x => x.CyclePrice),
            failures ?? [], reassignments ?? [], lastSeq, DateTimeOffset.UnixEpoch, null, []);
    }

    [Fact]
    public void Stages_are_laid_out_in_order_left_to_right_and_the_organizer_receives_from_the_last()
    {
        var spec = CycleLayout.Build(Cycle(CycleState.Recruiting, 0, ["waiting", "waiting", "waiting", "waiting"]));

        var ids = spec.Nodes.Select(n => n.Id).ToList();
        Assert.Equal(["stage-0", "stage-1", "stage-2", "stage-3", "organizer"], ids);
        var xs = spec.Nodes.Select(n => n.X).ToList();
        Assert.Equal(xs.Order(), xs);
        Assert.Equal(xs.Count, xs.Distinct().Count());
        Assert.All(spec.Nodes, n => Assert.Equal(0, n.Y));
        Assert.Equal("1. supplier", spec.Nodes[0].Title);
        Assert.Equal("Organizer olga", spec.Nodes[^1].Title);
        Assert.Equal("organizer", spec.Nodes[^1].Kind);

        // Each stage passes its work on at its cycle price; the last one to the organizer.
        Assert.Equal(
            [("stage-0", "stage-1", "deal 8,000.00"), ("stage-1", "stage-2", "deal 6,400.00"), ("stage-2", "stage-3", "deal 4,800.00"), ("stage-3", "organizer", "deal 3,200.00")],
            spec.Links.Select(l => (l.FromId, l.ToId, l.Label)));
        // Recruiting: nothing is current; every stage waits.
        Assert.All(spec.Nodes.Take(4), n => Assert.Equal("waiting", n.Kind));
        Assert.Contains("member sam (not joined)", spec.Nodes[0].Lines);
    }

    [Fact]
    public void The_running_stage_is_current_and_the_stages_before_it_are_done()
    {
        var spec = CycleLayout.Build(Cycle(CycleState.Running, 2, ["done", "done", "running", "waiting"], lastSeq: 12));

        Assert.Equal(["done", "done", "current", "waiting", "organizer"], spec.Nodes.Select(n => n.Kind));
        Assert.Equal(["done", "done", "current", ""], spec.Links.Select(l => l.Kind));
        // Every node carries the number of the last event the view includes.
        Assert.All(spec.Nodes, n => Assert.Equal(12, n.Seq));

        var completed = CycleLayout.Build(Cycle(CycleState.Completed, 4, ["done", "done", "done", "done"]));
        Assert.Equal(["done", "done", "done", "done", "done"], completed.Nodes.Select(n => n.Kind));
        Assert.DoesNotContain(completed.Nodes, n => n.Kind == "current");
    }

    [Fact]
    public void Figures_on_each_stage_are_those_of_SynergyMath()
    {
        var f = SynergyMath.Compute(Prices, 0.20m, 30_000m);
        var spec = CycleLayout.Build(Cycle(CycleState.Running, 0, ["running", "waiting", "waiting", "waiting"]));
        for (var i = 0; i < Prices.Length; i++)
        {
            var lines = spec.Nodes[i].Lines;
            Assert.Contains($"member {Members[i]}", lines);
            Assert.Contains($"market {CycleText.Money(f[i].MarketPrice)}", lines);
            Assert.Contains($"cycle price {CycleText.Money(f[i].CyclePrice)}", lines);
            Assert.Contains($"saved so far {CycleText.Money(f[i].CumulativeSaving)}", lines);
            Assert.Contains($"share {CycleText.Percent(f[i].Share)}, gain {CycleText.Money(f[i].SynergyGain)}", lines);
        }
        // The same numbers in plain figures: 20% off each, accumulated along the chain; shares of a 30,000 house.
        Assert.Contains("cycle price 8,000.00", spec.Nodes[0].Lines);
        Assert.Contains("saved so far 4,800.00", spec.Nodes[2].Lines);
        Assert.Contains("saved so far 5,600.00", spec.Nodes[3].Lines);
        Assert.Contains("share 35.71 %, gain 2,714.29", spec.Nodes[0].Lines);
        Assert.Contains("cycle total 22,400.00", spec.Nodes[^1].Lines);
    }

    [Fact]
    public void A_failed_stage_is_failed_until_reassigned_then_its_attempt_stays_visible_linked_to_the_replacement()
    {
        var at = DateTimeOffset.UnixEpoch;
        var failure = new StageFailure(1, "mia", "deal-1", at, "compensated 100.00 from its cover");

        // Broken, not yet reassigned: the stage itself is failed (with its reason), no separate attempt node.
        var broken = CycleLayout.Build(Cycle(CycleState.Broken, 1, ["done", "failed", "waiting", "waiting"], failures: [failure]));
        Assert.Equal(["done", "failed", "waiting", "waiting", "organizer"], broken.Nodes.Select(n => n.Kind));
        Assert.Contains("failed: compensated 100.00 from its cover", broken.Nodes[1].Lines);
        Assert.Equal("failed", broken.Links.Single(l => l.FromId == "stage-1").Kind);
        Assert.DoesNotContain(broken.Nodes, n => n.Id.StartsWith("failure-", StringComparison.Ordinal));

        // Reassigned to "zoe", running again: the stage is current with zoe, the failed attempt hangs under it.
        var reassigned = Cycle(CycleState.Running, 1, ["done", "running", "waiting", "waiting"], failures: [failure],
            reassignments: [new StageReassignment(1, "mia", "zoe", at)], members: ["sam", "zoe", "carl", "eve"]);
        var spec = CycleLayout.Build(reassigned);
        var stage = spec.Nodes.Single(n => n.Id == "stage-1");
        Assert.Equal("current", stage.Kind);
        Assert.Contains("member zoe", stage.Lines);
        var attempt = spec.Nodes.Single(n => n.Id == CycleLayout.FailureId(1, 0));
        Assert.Equal("failed", attempt.Kind);
        Assert.Contains("member mia", attempt.Lines);
        Assert.Contains("deal deal-1", attempt.Lines);
        Assert.Equal(stage.X, attempt.X);
        Assert.True(attempt.Y > stage.Y);
        var link = spec.Links.Single(l => l.FromId == attempt.Id);
        Assert.Equal(("stage-1", "reassigned to zoe", "failed"), (link.ToId, link.Label, link.Kind));
        // The chain itself is unchanged: still four stages and the organizer, in order.
        Assert.Equal(["stage-0", "stage-1", "stage-2", "stage-3", "organizer"], spec.Nodes.Where(n => !n.Id.StartsWith("failure-", StringComparison.Ordinal)).Select(n => n.Id));

        // Broken again after the reassignment, and given to a third member who has not joined: two attempts, stacked.
        var twice = Cycle(CycleState.Broken, 1, ["done", "waiting", "waiting", "waiting"],
            failures: [failure, new StageFailure(1, "zoe", "deal-1b", at, "its claim was settled")],
            reassignments: [new StageReassignment(1, "mia", "zoe", at), new StageReassignment(1, "zoe", "ann", at)],
            members: ["sam", "ann", "carl", "eve"]);
        var again = CycleLayout.Build(twice);
        Assert.Equal("current", again.Nodes.Single(n => n.Id == "stage-1").Kind); // waiting for ann to join
        var attempts = again.Nodes.Where(n => n.Id.StartsWith("failure-1-", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(2, attempts.Select(n => n.Y).Distinct().Count());
        Assert.Equal(["reassigned to zoe", "reassigned to ann"], again.Links.Where(l => l.Kind == "failed" && l.FromId.StartsWith("failure-", StringComparison.Ordinal)).Select(l => l.Label));
    }
}
