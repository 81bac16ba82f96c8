using OrleansGuarantee.Dashboard.Diagrams;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>An arbitration case drawn level by level: panels and votes, why each level escalated, the final verdict.</summary>
public sealed class CaseEscalationLayoutTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static VoteRecord Vote(string judge, Fault fault, decimal compensation = 50m) => new(judge, fault, fault == Fault.Provider ? 1m : 0m, compensation, At);

    private static CaseLevelView Level(int level, IReadOnlyList<string> panel, IReadOnlyList<VoteRecord> votes, CaseLevelOutcome outcome,
        Verdict? verdict = null, bool council = false, IReadOnlyList<string>? acceptedBy = null, string? appealedBy = null) =>
        new(level, council, panel, votes, At.AddDays(level), outcome, verdict, verdict is null ? null : At.AddDays(level + 1), acceptedBy ?? [], appealedBy, null);

    private static CaseView Case(CaseState state, Verdict? final, params CaseLevelView[] levels) =>
        new("case-d-1", "d-1", "c", "prov", "cons", "cons", 120m, "leaks", state, levels[^1].Level, levels, final, null, At);

    /// <summary>Level 1 missed its deadline (1 of 2 voted); level 2 decided and the provider appealed; the council decided.</summary>
    private static CaseView ThreeLevels()
    {
        var verdict = new Verdict(Fault.Provider, 1m, 80m);
        return Case(CaseState.Closed, verdict,
            Level(1, ["j1", "j2"], [Vote("j1", Fault.Provider)], CaseLevelOutcome.Escalated),
            Level(2, ["k1", "k2", "k3"], [Vote("k1", Fault.Consumer), Vote("k2", Fault.Consumer), Vote("k3", Fault.Provider)],
                CaseLevelOutcome.Appealed, new Verdict(Fault.Consumer, 0m, 50m), appealedBy: "cons"),
            Level(3, ["f1", "f2", "j1"], [Vote("f1", Fault.Provider, 80m), Vote("f2", Fault.Provider, 80m)],
                CaseLevelOutcome.Final, verdict, council: true));
    }

    [Fact]
    public void Each_level_is_a_box_with_its_judges_and_votes_and_the_arrows_say_why_the_case_went_on()
    {
        var spec = CaseEscalationLayout.Build(ThreeLevels(), meId: "k2");

        LayoutAssert.WellFormed(spec);
        var nodes = spec.Nodes.ToDictionary(n => n.Id);
        Assert.Equal(3 + 2 + 3 + 3 + 1, nodes.Count); // three level boxes, eight seats, the final verdict
        Assert.Equal("Level 1", nodes["level:1"].Title);
        Assert.Equal(["guarantors of the parties", "escalated: missed deadline: 1 of 2 voted", "1 of 2 voted"], nodes["level:1"].Lines);
        Assert.Equal("failed", nodes["level:1"].Kind);
        Assert.Equal(["guarantors of the previous judges", "verdict appealed", "verdict: the consumer, 50.00"], nodes["level:2"].Lines);
        Assert.Equal("Level 3 · council", nodes["level:3"].Title);
        Assert.Equal(["founders' council", "final: the council's word is final", "verdict: the provider, 80.00"], nodes["level:3"].Lines);
        Assert.Equal("done", nodes["level:3"].Kind);

        // Judges: their vote, or that they did not vote; j1 sat at level 1 and again in the council.
        Assert.Equal(["judge", "voted: the provider at fault, 50.00"], nodes["level:1:j1"].Lines);
        Assert.Equal(["judge", "did not vote"], nodes["level:1:j2"].Lines);
        Assert.Equal("failed", nodes["level:1:j2"].Kind);
        Assert.Equal(["judge · you", "voted: the consumer at fault, 50.00"], nodes["level:2:k2"].Lines);
        Assert.Equal("self", nodes["level:2:k2"].Kind);
        Assert.Equal(["judge", "did not vote"], nodes["level:3:j1"].Lines);
        Assert.Equal("/members/k3", nodes["level:2:k3"].Href);
        Assert.Equal("k3", nodes["level:2:k3"].Title);

        Assert.Equal(["verdict: the provider, 80.00", "executed on the deal"], nodes[CaseEscalationLayout.FinalNodeId].Lines);
        var links = spec.Links.ToDictionary(l => l.Id, l => l.Label);
        Assert.Equal(new Dictionary<string, string?>
        {
            ["level:1->level:2"] = "missed deadline: 1 of 2 voted",
            ["level:2->level:3"] = "appealed by cons",
            [$"level:3->{CaseEscalationLayout.FinalNodeId}"] = "the council's word is final",
        }, links);
    }

    [Fact]
    public void Levels_run_left_to_right_with_their_judges_below_them()
    {
        var spec = CaseEscalationLayout.Build(ThreeLevels());
        var at = spec.Nodes.ToDictionary(n => n.Id, n => (n.X, n.Y));

        Assert.True(at["level:1"].X < at["level:2"].X && at["level:2"].X < at["level:3"].X && at["level:3"].X < at[CaseEscalationLayout.FinalNodeId].X);
        foreach (var (level, judges) in new[] { (1, new[] { "j1", "j2" }), (2, ["k1", "k2", "k3"]), (3, ["f1", "f2", "j1"]) })
        {
            var head = at[$"level:{level}"];
            var ys = judges.Select(j => at[$"level:{level}:{j}"]).ToList();
            Assert.All(ys, p => Assert.Equal(head.X, p.X));
            Assert.All(ys, p => Assert.True(p.Y > head.Y));
            Assert.Equal(ys.Select(p => p.Y).Order(), ys.Select(p => p.Y)); // in panel order, top to bottom
        }
    }

    [Theory]
    [InlineData(new[] { Fault.Provider, Fault.Consumer }, "tie")]
    [InlineData(new[] { Fault.Provider, Fault.Provider, Fault.Consumer, Fault.Neither }, "no majority")]
    public void A_panel_that_all_voted_without_a_majority_escalates_with_a_tie_or_no_majority(Fault[] faults, string why)
    {
        var panel = faults.Select((_, i) => $"j{i}").ToList();
        var c = Case(CaseState.Voting, null,
            Level(1, panel, faults.Select((f, i) => Vote($"j{i}", f)).ToList(), CaseLevelOutcome.Escalated),
            Level(2, ["n1"], [], CaseLevelOutcome.Voting));

        var spec = CaseEscalationLayout.Build(c);

        Assert.Equal(why, spec.Links.Single(l => l.Id == "level:1->level:2").Label);
        Assert.Equal(["judge", "not voted yet"], spec.Nodes.Single(n => n.Id == "level:2:n1").Lines);
        Assert.Equal("waiting", spec.Nodes.Single(n => n.Id == "level:2:n1").Kind);
        Assert.Equal("current", spec.Nodes.Single(n => n.Id == "level:2").Kind);
        Assert.DoesNotContain(spec.Nodes, n => n.Id == CaseEscalationLayout.FinalNodeId);
    }

    [Fact]
    public void A_verdict_both_parties_accepted_ends_with_an_arrow_saying_so()
    {
        var verdict = new Verdict(Fault.Neither, 0m, 0m);
        var c = Case(CaseState.Executing, verdict,
            Level(1, ["j1"], [Vote("j1", Fault.Neither, 0m)], CaseLevelOutcome.Final, verdict, acceptedBy: ["prov", "cons"]));

        var spec = CaseEscalationLayout.Build(c);

        Assert.Equal("accepted by both parties", spec.Links.Single().Label);
        Assert.Equal("final: accepted by both parties", spec.Nodes.Single(n => n.Id == "level:1").Lines[1]);
        Assert.Equal(["verdict: neither at fault", "being executed on the deal"], spec.Nodes.Single(n => n.Id == CaseEscalationLayout.FinalNodeId).Lines);
    }

    [Fact]
    public void A_verdict_one_party_accepted_says_who_while_the_other_may_still_appeal()
    {
        var c = Case(CaseState.AwaitingParties, null,
            Level(1, ["j1"], [Vote("j1", Fault.Provider)], CaseLevelOutcome.Decided, new Verdict(Fault.Provider, 1m, 50m), acceptedBy: ["cons"]));

        var spec = CaseEscalationLayout.Build(c, meId: "cons");

        Assert.Equal(["guarantors of the parties", "verdict; accepted by you", "verdict: the provider, 50.00"], spec.Nodes.Single(n => n.Id == "level:1").Lines);
        Assert.Equal("waiting", spec.Nodes.Single(n => n.Id == "level:1").Kind);
        Assert.Empty(spec.Links);
    }

    [Fact]
    public void A_large_council_wraps_into_columns_that_do_not_overlap_the_next_level()
    {
        var council = Enumerable.Range(0, 19).Select(i => $"f{i:00}").ToList();
        var c = Case(CaseState.Voting, null,
            Level(1, ["j1"], [], CaseLevelOutcome.Escalated),
            Level(2, council, [], CaseLevelOutcome.Voting, council: true));

        var spec = CaseEscalationLayout.Build(c);

        LayoutAssert.WellFormed(spec);
        var columns = spec.Nodes.Where(n => n.Id.StartsWith("level:2:", StringComparison.Ordinal)).GroupBy(n => n.X).Select(g => g.Count()).ToList();
        Assert.Equal([8, 8, 3], columns);
        Assert.Equal("missed deadline: 0 of 1 voted", spec.Links.Single().Label);
    }
}
