using OrleansGuarantee.Dashboard.Diagrams;

namespace OrleansGuarantee.Tests.Dashboard;

public sealed class NavigatorLayoutsTests
{
    [Fact]
    public void A_chain_is_drawn_left_to_right_with_each_hops_relation()
    {
        var spec = NavigatorLayouts.Chain(new PathView(["me", "b", "c", "t"], [0m, 400m, 0m]));

        Assert.Equal(["me", "b", "c", "t"], spec.Nodes.Select(n => n.Id));
        Assert.Equal(["self", "", "", "current"], spec.Nodes.Select(n => n.Kind));
        Assert.True(spec.Nodes.Zip(spec.Nodes.Skip(1)).All(p => p.Second.X > p.First.X), "each hop to the right of the one before");
        Assert.Equal([("me", "b", "contact"), ("b", "c", "guarantee 400.00"), ("c", "t", "contact")],
            spec.Links.Select(l => (l.FromId, l.ToId, l.Label!)));
        Assert.Equal("strong", spec.Links[1].Kind);
        Assert.All(spec.Nodes, n => Assert.Equal($"/members/{n.Id}", n.Href));
    }

    [Fact]
    public void A_loop_is_a_ring_of_distinct_positions_with_the_skill_on_each_link()
    {
        var proposal = new CycleProposalView(
            [new("a", "masonry", "b"), new("b", "timber", "c"), new("c", "design", "a")], 250m, "c");
        var spec = NavigatorLayouts.Loop(proposal, viewerId: "b");

        Assert.Equal(["a", "b", "c"], spec.Nodes.Select(n => n.Id));
        Assert.Equal(3, spec.Nodes.Select(n => (n.X, n.Y)).Distinct().Count());
        Assert.Equal(spec.Nodes[0].Y, spec.Nodes.Min(n => n.Y)); // the first member on top
        Assert.Equal([("a", "b", "masonry"), ("b", "c", "timber"), ("c", "a", "design")], spec.Links.Select(l => (l.FromId, l.ToId, l.Label!)));
        Assert.Equal("self", spec.Nodes[1].Kind);
        Assert.Contains("weakest backing 250.00", spec.Nodes[2].Lines);
        Assert.DoesNotContain(spec.Nodes[0].Lines, l => l.StartsWith("weakest", StringComparison.Ordinal));
    }
}
