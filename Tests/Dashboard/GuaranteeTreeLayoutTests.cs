using System.Diagnostics;
using OrleansGuarantee.Dashboard.Diagrams;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>The guarantee tree drawn as a diagram: nodes and arrows from the tree, bands by level, no overlaps.</summary>
public sealed class GuaranteeTreeLayoutTests
{
    private static TreeMember M(string id, int level, MemberStatus status = MemberStatus.Active) => new(id, $"Name {id}", status, level);

    private static GuaranteeTree Sample() => new("me",
        [
            M("me", 0), M("g1", -1), M("g2", -1, MemberStatus.Founder), M("gg1", -2), M("gg2", -2), M("ggg", -3),
            M("w1", 1, MemberStatus.Candidate), M("w2", 1, MemberStatus.Suspended), M("ww", 2, MemberStatus.Expelled),
        ],
        [
            new("g1", "me", 1000m, false), new("g2", "me", 250.5m, true),
            new("gg2", "g1", 300m, false), new("gg1", "g2", 400m, false), new("ggg", "gg1", 10m, false),
            new("me", "w1", 50m, false), new("me", "w2", 60m, false), new("w2", "ww", 5m, false),
            new("g1", "somebody-not-drawn", 1m, false),
        ], LeftOut: 0, MaxNodes: 500);

    [Fact]
    public void Every_member_is_a_node_with_its_name_id_status_and_relation_and_every_guarantee_an_arrow_with_its_limit()
    {
        var spec = GuaranteeTreeLayout.Build(Sample(), meId: "w1");

        LayoutAssert.WellFormed(spec);
        var nodes = spec.Nodes.ToDictionary(n => n.Id);
        Assert.Equal(["g1", "g2", "gg1", "gg2", "ggg", "me", "w1", "w2", "ww"], nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Name g2", nodes["g2"].Title);
        Assert.Equal(["g2", "founder", "guarantor"], nodes["g2"].Lines);
        Assert.Equal(["gg1", "active", "guarantor's guarantor"], nodes["gg1"].Lines);
        Assert.Equal(["ggg", "active", "guarantor, 3 levels up"], nodes["ggg"].Lines);
        Assert.Equal(["w1", "candidate", "ward · you"], nodes["w1"].Lines);
        Assert.Equal(["ww", "expelled", "ward's ward"], nodes["ww"].Lines);
        // The member in the middle is "self" and not a link to itself; the others open their own page.
        Assert.Equal("self", nodes["me"].Kind);
        Assert.Null(nodes["me"].Href);
        Assert.Equal("Founder", nodes["g2"].Kind);
        Assert.Equal("Suspended", nodes["w2"].Kind);
        Assert.Equal("/members/gg1", nodes["gg1"].Href);

        var links = spec.Links.ToDictionary(l => l.Id);
        Assert.Equal(8, links.Count); // the guarantee to a member not drawn is left out
        Assert.Equal("limit 1,000.00", links["g1->me"].Label);
        Assert.Equal("", links["g1->me"].Kind);
        Assert.Equal("limit 250.50, withdrawn", links["g2->me"].Label);
        Assert.Equal("weak", links["g2->me"].Kind);
        Assert.Equal("limit 5.00", links["w2->ww"].Label);
    }

    [Fact]
    public void Guarantors_stand_above_the_member_and_wards_below_the_furthest_outermost_and_each_band_follows_the_one_inside_it()
    {
        var spec = GuaranteeTreeLayout.Build(Sample());
        var y = spec.Nodes.ToDictionary(n => n.Id, n => n.Y);
        var x = spec.Nodes.ToDictionary(n => n.Id, n => n.X);

        Assert.True(y["ggg"] < y["gg1"] && y["gg1"] < y["g1"] && y["g1"] < y["me"] && y["me"] < y["w1"] && y["w1"] < y["ww"]);
        Assert.Equal(y["gg1"], y["gg2"]);
        Assert.Equal(y["g1"], y["g2"]);
        Assert.Equal(y["w1"], y["w2"]);
        // g1 is left of g2 (by name); so gg2 (guarantor of g1) comes left of gg1 (guarantor of g2), against the names' order.
        Assert.True(x["g1"] < x["g2"]);
        Assert.True(x["gg2"] < x["gg1"]);
    }

    [Fact]
    public void A_wide_level_wraps_into_rows_of_at_most_eight_that_do_not_overlap()
    {
        var members = new List<TreeMember> { M("me", 0) };
        var links = new List<TreeLink>();
        for (var i = 0; i < 20; i++)
        {
            members.Add(M($"w{i:00}", 1));
            links.Add(new TreeLink("me", $"w{i:00}", 1m, false));
        }

        var spec = GuaranteeTreeLayout.Build(new GuaranteeTree("me", members, links, 0, 500));

        LayoutAssert.WellFormed(spec);
        var rows = spec.Nodes.Where(n => n.Id != "me").GroupBy(n => n.Y).OrderBy(g => g.Key).Select(g => g.Count()).ToList();
        Assert.Equal([8, 8, 4], rows);
        Assert.All(spec.Nodes.Where(n => n.Id != "me"), n => Assert.True(n.Y > spec.Nodes.Single(m => m.Id == "me").Y));
    }

    [Fact]
    public async Task A_capped_500_member_tree_is_walked_and_laid_out_quickly_without_overlaps()
    {
        // Three guarantors, each with three guarantors, each with three; 40 wards each with 20 wards: far more than 500.
        var graph = new FakeGuaranteeGraph();
        foreach (var g in Enumerable.Range(0, 3))
        {
            graph.Guarantee($"g{g}", "me");
            foreach (var gg in Enumerable.Range(0, 3))
            {
                graph.Guarantee($"g{g}-{gg}", $"g{g}");
                foreach (var ggg in Enumerable.Range(0, 3)) graph.Guarantee($"g{g}-{gg}-{ggg}", $"g{g}-{gg}");
            }
        }
        foreach (var w in Enumerable.Range(0, 40))
        {
            graph.Guarantee("me", $"w{w}");
            foreach (var ww in Enumerable.Range(0, 20)) graph.Guarantee($"w{w}", $"w{w}-{ww}");
        }
        var tree = await GuaranteeTreeWalker.WalkAsync(graph.View("me"), graph.ReadAsync);
        Assert.Equal(500, tree.Members.Count);
        Assert.True(tree.Capped);

        var clock = Stopwatch.StartNew();
        var spec = GuaranteeTreeLayout.Build(tree);
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"laying out 500 members took {clock.Elapsed}");
        Assert.Equal(500, spec.Nodes.Count);
        Assert.Equal(tree.Links.Count, spec.Links.Count);
        LayoutAssert.WellFormed(spec);
        // Rows of 25 (the square root of a large tree's size), so it fits the canvas at the smallest zoom.
        Assert.Equal(25, GuaranteeTreeLayout.RowWidth(500));
        Assert.True(spec.Nodes.GroupBy(n => n.Y).All(row => row.Count() <= 25));
        Assert.Contains(spec.Nodes.GroupBy(n => n.Y), row => row.Count() == 25);
        // Bands in level order, top to bottom.
        var byId = tree.Members.ToDictionary(m => m.Id);
        var ordered = spec.Nodes.OrderBy(n => n.Y).Select(n => byId[n.Id].Level).ToList();
        Assert.Equal(ordered.Order(), ordered);
    }
}
