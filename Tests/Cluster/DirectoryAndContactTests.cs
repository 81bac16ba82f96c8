namespace OrleansGuarantee.Tests.Cluster;

/// <summary>The partitioned member directory (counts and ledger totals) and mutual contacts.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DirectoryAndContactTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    [Fact]
    public void Partitions_are_stable_and_spread_members()
    {
        // Fixed values: a change of the hash would silently move members to other partitions.
        Assert.Equal(MemberDirectory.PartitionOf("aigul"), MemberDirectory.PartitionOf("aigul"));
        Assert.InRange(MemberDirectory.PartitionOf(""), 0, MemberDirectory.Partitions - 1);
        var used = Enumerable.Range(0, 10_000).Select(i => MemberDirectory.PartitionOf($"member-{i}")).GroupBy(p => p).ToList();
        Assert.Equal(MemberDirectory.Partitions, used.Count);
        Assert.All(used, g => Assert.InRange(g.Count(), 100, 220)); // 10,000 / 64 = 156 on average
    }

    [Fact]
    public async Task Totals_follow_every_stored_change_and_agree_with_a_refresh()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 1_000m);
        var a = await c.ActiveMemberAsync("a", deposit: 300m);
        await c.SignUpAsync("b", deposit: 50m); // a candidate
        await c.Member(a).Withdraw(TestCommunity.Unique("w"), 20m);
        var deal = await c.ProposeAsync(a, a, c.Founders[2], 100m);
        await c.Deal(deal.Id).Accept(c.Founders[2]);

        var totals = await Grains.GetGrain<ICommunityGrain>(c.Id).GetTotals(refresh: false);
        Assert.Equal(3_350m, totals.Deposited);
        Assert.Equal(20m, totals.Withdrawn);
        Assert.Equal(3_330m, totals.SumOfBalances);
        Assert.Equal(200m, totals.SumOfHeld);
        Assert.Equal(3, totals.MembersByStatus[MemberStatus.Founder]);
        Assert.Equal(1, totals.MembersByStatus[MemberStatus.Active]);
        Assert.Equal(1, totals.MembersByStatus[MemberStatus.Candidate]);

        var refreshed = await Grains.GetGrain<ICommunityGrain>(c.Id).GetTotals(refresh: true);
        Assert.Equal(totals.SumOfBalances, refreshed.SumOfBalances);
        Assert.Equal(totals.SumOfHeld, refreshed.SumOfHeld);
        Assert.Equal(totals.Members, refreshed.Members);
        Assert.Equal(5, refreshed.Members);
    }

    [Fact]
    public async Task A_contact_exists_once_both_sides_have_asked_and_asking_again_changes_nothing()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var a = await c.SignUpAsync("a");
        var b = await c.SignUpAsync("b");
        var contact = Grains.GetGrain<IContactGrain>(GuaranteeKeys.For(a, b));

        var first = await contact.Ask(a, b);
        Assert.False(first.Established);
        Assert.Equal([b], (await c.Member(a).Get()).ContactRequestsSent);
        Assert.Equal([a], (await c.Member(b).Get()).ContactRequestsReceived);
        Assert.Equal(first, await contact.Ask(a, b));

        var second = await contact.Ask(b, a);
        Assert.True(second.Established);
        Assert.Equal([b], (await c.Member(a).Get()).Contacts);
        Assert.Equal([a], (await c.Member(b).Get()).Contacts);
        Assert.Empty((await c.Member(b).Get()).ContactRequestsReceived);
    }

    [Fact]
    public async Task Contacts_are_refused_with_oneself_and_across_communities()
    {
        var c1 = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var c2 = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var a = await c1.SignUpAsync("a");
        var z = await c2.SignUpAsync("z");
        Assert.Equal("self-contact", await TestCommunity.CodeOf(() => Grains.GetGrain<IContactGrain>(GuaranteeKeys.For(a, a)).Ask(a, a)));
        Assert.Equal("different-community", await TestCommunity.CodeOf(() => Grains.GetGrain<IContactGrain>(GuaranteeKeys.For(a, z)).Ask(a, z)));
        Assert.Empty((await c1.Member(a).Get()).ContactRequestsSent);
    }

    [Fact]
    public async Task A_member_lists_the_deals_it_is_a_party_to_once_each()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var a = await c.ActiveMemberAsync("a", deposit: 100m);
        var op = TestCommunity.Unique("deal");
        var deal = await c.ProposeAsync(a, a, c.Founders[0], 10m, op);
        await c.ProposeAsync(a, a, c.Founders[0], 10m, op); // repeated proposal: the same deal
        Assert.Equal([deal.Id], (await c.Member(a).Get()).Deals);
        Assert.Contains(deal.Id, (await c.Member(c.Founders[0]).Get()).Deals);
    }
}
