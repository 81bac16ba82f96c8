namespace OrleansGuarantee.Tests.Cluster;

/// <summary>The navigator over the partitioned contact index of the member directory (rules 21-22).</summary>
[Collection(ClusterCollection.Name)]
public sealed class NavigatorClusterTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    private async Task<string> MemberAsync(TestCommunity c, string name, string[] offers, string[] needs)
    {
        var id = TestCommunity.Unique(name);
        await c.Member(id).SignUp(c.Id, new MemberProfile($"Member {name}", offers, needs), null);
        return id;
    }

    private async Task ContactAsync(string a, string b)
    {
        var contact = Grains.GetGrain<IContactGrain>(GuaranteeKeys.For(a, b));
        await contact.Ask(a, b);
        var record = await contact.Ask(b, a);
        Assert.True(record.Established);
    }

    private INavigatorGrain Navigator(TestCommunity c) => Grains.GetGrain<INavigatorGrain>(c.Id);

    private IMemberDirectoryGrain PartitionOf(TestCommunity c, string memberId) =>
        Grains.GetGrain<IMemberDirectoryGrain>(MemberDirectory.KeyOf(c.Id, memberId));

    /// <summary>Rule 5: an active member owes a debt, then both its guarantors (the first two founders) withdraw.</summary>
    private static async Task ExpelAsync(TestCommunity c, string member)
    {
        await c.Member(member).AddDebt(TestCommunity.Unique("debt"), c.Founders[0], 10m);
        await c.GuaranteeBetween(member, c.Founders[0]).Withdraw(c.Founders[0], member);
        await c.GuaranteeBetween(member, c.Founders[1]).Withdraw(c.Founders[1], member);
        Assert.Equal(MemberStatus.Expelled, (await c.Member(member).Get()).Status);
    }

    [Fact]
    public async Task Paths_reach_a_named_member_and_a_skill_over_mutual_contacts()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var a = await MemberAsync(c, "a", ["bread"], ["masonry"]);
        var b = await MemberAsync(c, "b", ["bread"], []);
        var d = await MemberAsync(c, "d", ["masonry"], []);
        var lone = await MemberAsync(c, "lone", ["masonry"], []);
        await ContactAsync(a, b);
        await ContactAsync(b, d);
        // Asked by one side only: not a contact.
        await Grains.GetGrain<IContactGrain>(GuaranteeKeys.For(a, lone)).Ask(a, lone);

        var toD = await Navigator(c).FindPaths(a, d, null, 6, 5);
        var path = Assert.Single(toD);
        Assert.Equal([a, b, d], path.MemberIds);
        Assert.Equal([0m, 0m], path.Strengths);
        Assert.Equal(2, path.Hops);

        var toMasonry = await Navigator(c).FindPaths(a, null, "Masonry", 6, 5);
        Assert.Equal([a, b, d], Assert.Single(toMasonry).MemberIds);

        Assert.Empty(await Navigator(c).FindPaths(a, lone, null, 6, 5));
        Assert.Empty(await Navigator(c).FindPaths(a, d, null, 1, 5));
        Assert.Equal("member-not-found", await TestCommunity.CodeOf(() => Navigator(c).FindPaths(a, "nobody-here", null, 6, 5)));
        Assert.Equal("invalid-max-hops", await TestCommunity.CodeOf(() => Navigator(c).FindPaths(a, d, null, 7, 5)));
        Assert.Equal("invalid-target", await TestCommunity.CodeOf(() => Navigator(c).FindPaths(a, d, "masonry", 6, 5)));
    }

    [Fact]
    public async Task A_guarantee_is_a_contact_with_its_limit_as_strength()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var ward = await MemberAsync(c, "w", [], []);
        var other = await MemberAsync(c, "o", [], []);
        var (f1, f2) = (c.Founders[0], c.Founders[1]);
        await c.GuaranteeAsync(f1, ward, 700m);
        // A plain contact and a guarantee between the same two members: one edge, the strongest.
        await ContactAsync(ward, f2);
        await c.GuaranteeAsync(f2, ward, 250m);
        await ContactAsync(f1, other);

        var toF1 = Assert.Single(await Navigator(c).FindPaths(ward, f1, null, 6, 5));
        Assert.Equal([ward, f1], toF1.MemberIds);
        Assert.Equal([700m], toF1.Strengths);
        // Seen from the guarantor's side too: the guarantee is mutual as a contact.
        Assert.Equal([700m], Assert.Single(await Navigator(c).FindPaths(f1, ward, null, 6, 5)).Strengths);
        Assert.Equal([250m], Assert.Single(await Navigator(c).FindPaths(ward, f2, null, 6, 5)).Strengths);

        var toOther = Assert.Single(await Navigator(c).FindPaths(ward, other, null, 6, 5));
        Assert.Equal([ward, f1, other], toOther.MemberIds);
        Assert.Equal([700m, 0m], toOther.Strengths);
    }

    [Fact]
    public async Task A_planted_offer_need_loop_is_proposed_once()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var x = await MemberAsync(c, "x", ["s1"], ["s3"]);
        var y = await MemberAsync(c, "y", ["s2"], ["s1"]);
        var z = await MemberAsync(c, "z", ["s3"], ["s2"]);
        await MemberAsync(c, "bystander", ["s9"], ["s1"]);

        var proposals = await Navigator(c).ProposeCycles(6, 20);
        var loop = Assert.Single(proposals);
        Assert.Equal(3, loop.Hops.Count);
        var start = new[] { x, y, z }.Order(StringComparer.Ordinal).First();
        Assert.Equal(start, loop.Hops[0].MemberId);
        var next = new Dictionary<string, (string Offers, string To)> { [x] = ("s1", y), [y] = ("s2", z), [z] = ("s3", x) };
        foreach (var hop in loop.Hops)
            Assert.Equal(next[hop.MemberId], (hop.Offers, hop.ToMemberId));

        Assert.Empty(await Navigator(c).ProposeCycles(2, 20));
        Assert.Equal("invalid-max-length", await TestCommunity.CodeOf(() => Navigator(c).ProposeCycles(7, 20)));
    }

    [Fact]
    public async Task An_expelled_member_is_never_on_a_path_nor_a_provider()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var a = await MemberAsync(c, "a", [], []);
        var d = await MemberAsync(c, "d", [], []);
        var x = await c.ActiveMemberAsync("x"); // offers masonry
        await ContactAsync(a, x);
        await ContactAsync(x, d);
        Assert.Equal([a, x, d], Assert.Single(await Navigator(c).FindPaths(a, d, null, 6, 5)).MemberIds);
        Assert.Equal([a, x], Assert.Single(await Navigator(c).FindPaths(a, null, "masonry", 6, 5)).MemberIds);

        // Rule 5: left without a guarantor while owing a debt, x is expelled.
        await c.Member(x).AddDebt(TestCommunity.Unique("debt"), c.Founders[0], 10m);
        await c.GuaranteeBetween(x, c.Founders[0]).Withdraw(c.Founders[0], x);
        await c.GuaranteeBetween(x, c.Founders[1]).Withdraw(c.Founders[1], x);
        Assert.Equal(MemberStatus.Expelled, (await c.Member(x).Get()).Status);

        Assert.Empty(await Navigator(c).FindPaths(a, d, null, 6, 5));
        Assert.Empty(await Navigator(c).FindPaths(a, null, "masonry", 6, 5));
        Assert.Equal("member-not-found", await TestCommunity.CodeOf(() => Navigator(c).FindPaths(a, x, null, 6, 5)));
    }

    [Fact]
    public async Task Partitions_leave_out_expelled_neighbours_also_after_they_reactivate()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var a = await MemberAsync(c, "a", [], []);
        var b = await MemberAsync(c, "b", ["masonry"], []);
        var d = await MemberAsync(c, "d", [], []);
        var x = await c.ActiveMemberAsync("x"); // offers masonry
        await ContactAsync(a, b);
        await ContactAsync(a, x);
        await ContactAsync(x, d);
        Assert.Contains(x, (await PartitionOf(c, a).GetNeighbors([a])).Lists[a].Select(e => e.MemberId));

        await ExpelAsync(c, x);
        // Told at the expulsion: a's partition drops x from a's contacts; x's own partition answers nothing for x.
        Assert.Equal([b], (await PartitionOf(c, a).GetNeighbors([a])).Lists[a].Select(e => e.MemberId));
        Assert.Empty((await PartitionOf(c, x).GetNeighbors([x])).Lists);
        Assert.Contains(x, await PartitionOf(c, x).GetExpelled());

        // After a restart the partitions learn it again (a's asks the others, x's asks its members).
        foreach (var id in new[] { a, x, d }.Select(id => MemberDirectory.KeyOf(c.Id, id)).Distinct())
            await fixture.Cluster.DeactivateAsync(Grains.GetGrain<IMemberDirectoryGrain>(id).GetGrainId());
        Assert.Equal([b], (await PartitionOf(c, a).GetNeighbors([a])).Lists[a].Select(e => e.MemberId));
        Assert.DoesNotContain(d, (await PartitionOf(c, d).GetNeighbors([d])).Lists.Keys);
        Assert.Empty(await Navigator(c).FindPaths(a, d, null, 6, 5));
        Assert.Equal([a, b], Assert.Single(await Navigator(c).FindPaths(a, null, "masonry", 6, 5)).MemberIds);
    }

    [Fact]
    public async Task A_partition_keeps_its_skill_index_and_offers_in_step_with_profile_changes()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var m = await MemberAsync(c, "m", ["Masonry"], ["timber"]);
        var partition = PartitionOf(c, m);
        Assert.Contains(m, await partition.GetOffering("masonry"));
        Assert.Contains(m, await partition.GetOffering(" MASONRY "));
        Assert.Equal(["Masonry"], Assert.Single(await partition.GetOffers(), o => o.MemberId == m).Offers);

        await c.Member(m).UpdateProfile(new MemberProfile("Member m", ["bread"], ["masonry"]));
        Assert.DoesNotContain(m, await partition.GetOffering("masonry"));
        Assert.Contains(m, await partition.GetOffering("bread"));
        var offer = Assert.Single(await partition.GetOffers(), o => o.MemberId == m);
        Assert.Equal(["bread"], offer.Offers);
        Assert.Equal(["masonry"], offer.Needs);
    }

    [Fact]
    public async Task An_expelled_member_leaves_cycle_proposals_at_once_though_offers_are_cached()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var x = await c.ActiveMemberAsync("x");
        await c.Member(x).UpdateProfile(new MemberProfile("Member x", ["s1"], ["s2"]));
        var y = await MemberAsync(c, "y", ["s2"], ["s1"]);
        var v = await MemberAsync(c, "v", ["s3"], ["s4"]);
        var w = await MemberAsync(c, "w", ["s4"], ["s3"]);
        string Key(CycleProposalView p) => string.Join(">", p.Hops.Select(h => h.MemberId).Order(StringComparer.Ordinal));
        var before = (await Navigator(c).ProposeCycles(6, 20)).Select(Key).ToList();
        Assert.Equal(2, before.Count);
        Assert.Contains(string.Join(">", new[] { x, y }.Order(StringComparer.Ordinal)), before);

        await ExpelAsync(c, x);
        // The offers read a moment ago are still cached (Navigator:CacheSeconds); the expulsion is seen all the same.
        var after = await Navigator(c).ProposeCycles(6, 20);
        Assert.Equal([string.Join(">", new[] { v, w }.Order(StringComparer.Ordinal))], after.Select(Key));
    }
}
