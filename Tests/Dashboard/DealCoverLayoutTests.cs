using OrleansGuarantee.Dashboard.Diagrams;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>A deal's cover drawn as who holds what: parties above the deal, guarantors above them, arrows with amounts.</summary>
public sealed class DealCoverLayoutTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static DealView Deal(DealState state, params CoverHold[] cover) => new(
        "d-1", "c", "prov", "cons", "prov", 300m, "a roof", At.AddDays(7), state, [], cover, At, At, null, null);

    /// <summary>
    /// The provider holds 100 of its own and its guarantors ga (120) and gb (80) the rest; the consumer has no free
    /// deposit: its guarantor gc holds 200, and gc's guarantor top holds 100 through gc; gb also guarantees the consumer.
    /// </summary>
    private static CoverHold[] Cover() =>
    [
        new("h1", "prov", 100m, "prov", null, 0),
        new("h2", "ga", 120m, "prov", "prov", 1),
        new("h3", "gb", 80m, "prov", "prov", 1),
        new("h4", "gc", 150m, "cons", "cons", 1),
        new("h5", "gb", 50m, "cons", "cons", 1),
        new("h6", "top", 100m, "cons", "gc", 2),
    ];

    private static readonly IReadOnlyDictionary<string, DealParticipant> Names = new Dictionary<string, DealParticipant>
    {
        ["prov"] = new("prov", "Provider Ltd", MemberStatus.Active),
        ["cons"] = new("cons", "Consumer", MemberStatus.Suspended),
        ["ga"] = new("ga", "Guarantor A", MemberStatus.Founder),
        ["gb"] = new("gb", "Guarantor B", MemberStatus.Active),
        ["gc"] = new("gc", "Guarantor C", MemberStatus.Active),
    };

    [Fact]
    public void Each_party_and_holder_is_a_node_with_what_it_holds_and_each_holder_points_at_its_ward_with_the_amount()
    {
        var spec = DealCoverLayout.Build(Deal(DealState.Accepted, Cover()), Names, meId: "gb");

        LayoutAssert.WellFormed(spec);
        var nodes = spec.Nodes.ToDictionary(n => n.Id);
        Assert.Equal(["cons", DealCoverLayout.DealNodeId, "ga", "gb", "gc", "prov", "top"], nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Deal worth 300.00", nodes[DealCoverLayout.DealNodeId].Title);
        Assert.Equal(["d-1", "accepted and covered", "cover 600.00 in 6 holds"], nodes[DealCoverLayout.DealNodeId].Lines);
        Assert.Equal("current", nodes[DealCoverLayout.DealNodeId].Kind);
        Assert.Equal("Provider Ltd", nodes["prov"].Title);
        Assert.Equal(["prov", "provider", "own deposit holds 100.00"], nodes["prov"].Lines);
        Assert.Equal(["cons", "consumer", "no hold on own deposit"], nodes["cons"].Lines);
        Assert.Equal("Suspended", nodes["cons"].Kind);
        Assert.Equal(["gb", "guarantor · you", "holds 130.00 in all"], nodes["gb"].Lines);
        Assert.Equal("self", nodes["gb"].Kind);
        Assert.Equal(["top", "guarantor, level 2", "holds 100.00 in all"], nodes["top"].Lines);
        Assert.Equal("top", nodes["top"].Title); // no name known: its id
        Assert.Equal("", nodes["top"].Kind);
        Assert.Equal("/members/ga", nodes["ga"].Href);

        var links = spec.Links.ToDictionary(l => l.Id, l => l.Label);
        Assert.Equal(new Dictionary<string, string?>
        {
            [$"prov->{DealCoverLayout.DealNodeId}"] = "provider",
            [$"cons->{DealCoverLayout.DealNodeId}"] = "consumer",
            ["ga->prov"] = "holds 120.00 for the provider",
            ["gb->prov"] = "holds 80.00 for the provider",
            ["gb->cons"] = "holds 50.00 for the consumer",
            ["gc->cons"] = "holds 150.00 for the consumer",
            ["top->gc"] = "holds 100.00 for the consumer",
        }, links);
    }

    [Fact]
    public void Higher_levels_stand_higher_the_deal_lowest_and_the_providers_side_left_of_the_consumers()
    {
        var spec = DealCoverLayout.Build(Deal(DealState.Accepted, Cover()), Names);
        var at = spec.Nodes.ToDictionary(n => n.Id, n => (n.X, n.Y));

        Assert.True(at["top"].Y < at["ga"].Y && at["ga"].Y < at["prov"].Y && at["prov"].Y < at[DealCoverLayout.DealNodeId].Y);
        Assert.Equal(at["ga"].Y, at["gc"].Y);
        Assert.Equal(at["prov"].Y, at["cons"].Y);
        Assert.True(at["prov"].X < at["cons"].X);
        // gb holds for both, first for the provider: it stands on the provider's side with ga, left of gc.
        Assert.True(at["ga"].X < at["gc"].X && at["gb"].X < at["gc"].X);
    }

    [Fact]
    public void A_closed_deal_shows_the_cover_as_released()
    {
        var spec = DealCoverLayout.Build(Deal(DealState.Completed, Cover()), Names);

        var deal = spec.Nodes.Single(n => n.Id == DealCoverLayout.DealNodeId);
        Assert.Equal(["d-1", "completed", "cover 600.00 released"], deal.Lines);
        Assert.Equal("done", deal.Kind);
        Assert.Contains("own deposit held 100.00", spec.Nodes.Single(n => n.Id == "prov").Lines);
        Assert.All(spec.Links.Where(l => l.ToId != DealCoverLayout.DealNodeId), l =>
        {
            Assert.StartsWith("held ", l.Label, StringComparison.Ordinal);
            Assert.Equal("weak", l.Kind);
        });
    }

    [Fact]
    public void A_guarantor_passed_through_without_a_hold_of_its_own_is_drawn_so_the_arrow_above_it_has_an_end()
    {
        // gc had nothing free: its own guarantor top covers the consumer through it.
        var spec = DealCoverLayout.Build(Deal(DealState.Accepted, new CoverHold("h1", "top", 300m, "cons", "gc", 2)), Names);

        LayoutAssert.WellFormed(spec);
        Assert.Equal(["gc", "guarantor", "holds nothing; its guarantors do"], spec.Nodes.Single(n => n.Id == "gc").Lines);
        Assert.Contains(spec.Links, l => l.Id == "top->gc");
    }

    [Fact]
    public void A_proposed_deal_has_its_parties_and_no_cover()
    {
        var spec = DealCoverLayout.Build(Deal(DealState.Proposed), new Dictionary<string, DealParticipant>(), meId: "prov");

        LayoutAssert.WellFormed(spec);
        Assert.Equal(["cons", DealCoverLayout.DealNodeId, "prov"], spec.Nodes.Select(n => n.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["prov", "provider · you", "no hold on own deposit"], spec.Nodes.Single(n => n.Id == "prov").Lines);
        Assert.Equal("waiting", spec.Nodes.Single(n => n.Id == DealCoverLayout.DealNodeId).Kind);
        Assert.Equal(2, spec.Links.Count);
    }
}
