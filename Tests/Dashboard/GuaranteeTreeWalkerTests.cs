using OrleansGuarantee.Dashboard.Diagrams;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>Walking the guarantee graph around a member through member views: levels, links, cap, parallel reads.</summary>
public sealed class GuaranteeTreeWalkerTests
{
    [Fact]
    public async Task It_reads_guarantors_three_levels_up_and_wards_two_levels_down_and_no_further()
    {
        // A chain of five guarantors above "me" and four wards below.
        var graph = new FakeGuaranteeGraph();
        for (var i = 1; i <= 5; i++) graph.Guarantee($"up{i}", i == 1 ? "me" : $"up{i - 1}", 10m * i);
        for (var i = 1; i <= 4; i++) graph.Guarantee(i == 1 ? "me" : $"down{i - 1}", $"down{i}", 5m * i);

        var tree = await GuaranteeTreeWalker.WalkAsync(graph.View("me"), graph.ReadAsync);

        Assert.Equal("me", tree.RootId);
        Assert.Equal(
            new[] { ("me", 0), ("up1", -1), ("down1", 1), ("up2", -2), ("down2", 2), ("up3", -3) }.Order(),
            tree.Members.Select(m => (m.Id, m.Level)).Order());
        Assert.Equal(["down1", "down2", "up1", "up2", "up3"], graph.Reads.Order(StringComparer.Ordinal)); // each once, none beyond
        Assert.Equal(
            new[] { ("up1", "me", 10m), ("up2", "up1", 20m), ("up3", "up2", 30m), ("me", "down1", 5m), ("down1", "down2", 10m) }.Order(),
            tree.Links.Select(l => (l.GuarantorId, l.WardId, l.Limit)).Order());
        Assert.False(tree.Capped);
        Assert.Equal(0, tree.LeftOut);
        var me = tree.Members.Single(m => m.Id == "me");
        Assert.Equal("Name of me", me.Name);
        Assert.Equal(MemberStatus.Active, me.Status);
    }

    [Fact]
    public async Task A_member_reached_two_ways_is_read_once_at_its_nearest_level_and_every_guarantee_between_drawn_members_is_kept()
    {
        // f guarantees both g1 (my guarantor) and me directly; g1 and g2 both guarantee me; w is my ward, also guaranteed by g2.
        var graph = new FakeGuaranteeGraph()
            .Guarantee("g1", "me", 100m).Guarantee("g2", "me", 200m).Guarantee("f", "me", 50m).Guarantee("f", "g1", 300m)
            .Guarantee("me", "w", 40m).Guarantee("g2", "w", 60m, withdrawn: true)
            .Guarantee("g1", "other", 70m); // a sibling of mine: not drawn

        var tree = await GuaranteeTreeWalker.WalkAsync(graph.View("me"), graph.ReadAsync);

        Assert.Equal(-1, tree.Members.Single(m => m.Id == "f").Level);
        Assert.Single(graph.Reads, "f");
        Assert.DoesNotContain(tree.Members, m => m.Id == "other");
        var links = tree.Links.ToDictionary(l => (l.GuarantorId, l.WardId));
        Assert.Equal(6, links.Count);
        Assert.Equal(300m, links[("f", "g1")].Limit);
        Assert.True(links[("g2", "w")].Withdrawn);
        Assert.False(links[("me", "w")].Withdrawn);
    }

    [Fact]
    public async Task Each_level_is_read_in_parallel()
    {
        var graph = new FakeGuaranteeGraph();
        for (var i = 0; i < 12; i++) graph.Guarantee("me", $"w{i}");

        var tree = await GuaranteeTreeWalker.WalkAsync(graph.View("me"), graph.ReadAsync);

        Assert.Equal(13, tree.Members.Count);
        Assert.Equal(12, graph.MaxInFlight); // all twelve wards were asked at once, not one after another
    }

    [Fact]
    public async Task The_cap_stops_the_walk_and_says_how_many_it_left_out()
    {
        var graph = new FakeGuaranteeGraph().Guarantee("g", "me");
        for (var i = 0; i < 600; i++) graph.Guarantee("me", $"w{i:000}");
        graph.Guarantee("w000", "grandchild");

        var tree = await GuaranteeTreeWalker.WalkAsync(graph.View("me"), graph.ReadAsync, maxNodes: 500);

        Assert.Equal(500, tree.Members.Count);
        Assert.True(tree.Capped);
        Assert.Equal(500, tree.MaxNodes);
        // 498 of the 600 wards fit beside me and my guarantor; left out: the other 102, and the ward of one that fit.
        Assert.Equal(103, tree.LeftOut);
        Assert.Contains(tree.Members, m => m.Id == "g"); // nearer levels first: the guarantor is in
        Assert.Equal(499, graph.Reads.Count); // nothing beyond the cap was read
        Assert.DoesNotContain(tree.Members, m => m.Id == "grandchild");
        Assert.All(tree.Links, l => Assert.True(tree.Members.Any(m => m.Id == l.GuarantorId) && tree.Members.Any(m => m.Id == l.WardId)));
    }

    [Fact]
    public async Task A_member_that_cannot_be_found_is_left_out_with_its_guarantees()
    {
        var graph = new FakeGuaranteeGraph().Guarantee("g1", "me").Guarantee("gone", "me").Guarantee("x", "gone");
        graph.Missing.Add("gone");

        var tree = await GuaranteeTreeWalker.WalkAsync(graph.View("me"), graph.ReadAsync);

        Assert.Equal(["g1", "me"], tree.Members.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.Equal([("g1", "me")], tree.Links.Select(l => (l.GuarantorId, l.WardId)));
    }

    [Fact]
    public async Task A_member_with_no_guarantees_is_a_tree_of_one()
    {
        var graph = new FakeGuaranteeGraph().Member("alone", MemberStatus.Candidate);

        var tree = await GuaranteeTreeWalker.WalkAsync(graph.View("alone"), graph.ReadAsync);

        Assert.Equal([("alone", 0)], tree.Members.Select(m => (m.Id, m.Level)));
        Assert.Empty(tree.Links);
        Assert.Empty(graph.Reads);
    }
}
