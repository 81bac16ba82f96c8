using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

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
    public void Pages_are_stable_and_spread_a_partitions_members()
    {
        var partition0 = Enumerable.Range(0, 200_000).Select(i => $"member-{i}").Where(id => MemberDirectory.PartitionOf(id) == 0).ToList();
        var pages = partition0.GroupBy(MemberDirectory.PageOf).ToList();
        Assert.Equal(MemberDirectory.PagesPerPartition, pages.Count);
        var mean = partition0.Count / (double)MemberDirectory.PagesPerPartition; // about 195
        Assert.All(pages, g => Assert.InRange(g.Count(), mean * 0.6, mean * 1.4));
        Assert.Equal("c/3/5", MemberDirectory.PageKeyOf("c/3", 5));
    }

    [Fact]
    public async Task A_partition_lists_its_members_from_its_pages_after_it_is_reactivated()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 1_000m);
        var joined = new List<string>();
        for (var i = 0; i < 40; i++) joined.Add(await c.SignUpAsync($"p{i}"));
        var all = c.Founders.Concat(joined).ToList();
        foreach (var group in all.GroupBy(m => MemberDirectory.KeyOf(c.Id, m)))
        {
            var partition = Grains.GetGrain<IMemberDirectoryGrain>(group.Key);
            await fixture.Cluster.DeactivateAsync(partition);
            Assert.Equal(group.Order(StringComparer.Ordinal), await partition.ListMembers());
        }
        // Each member is on exactly one page, the one its id names.
        var onPages = new List<string>();
        foreach (var partition in all.Select(m => MemberDirectory.KeyOf(c.Id, m)).Distinct())
            for (var page = 0; page < MemberDirectory.PagesPerPartition; page++)
                onPages.AddRange((await Grains.GetGrain<IMemberDirectoryPageGrain>(MemberDirectory.PageKeyOf(partition, page)).List())
                    .Select(id => { Assert.Equal(page, MemberDirectory.PageOf(id)); return id; }));
        Assert.Equal(all.Order(StringComparer.Ordinal), onPages.Order(StringComparer.Ordinal));
        var totals = await Grains.GetGrain<ICommunityGrain>(c.Id).GetTotals(refresh: true);
        Assert.Equal(all.Count, totals.MembersByStatus.Values.Sum());
    }

    [Fact]
    public async Task A_partition_stored_by_the_older_version_in_one_entity_moves_its_members_to_the_pages()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 1_000m);
        // Members of one partition that the older version listed in the partition's own entity (the partition of a
        // founder), written straight into the silo's storage next to what the partition stores now.
        var key = MemberDirectory.KeyOf(c.Id, c.Founders[0]);
        var legacy = Enumerable.Range(0, 100_000).Select(i => $"legacy-{i}").Where(id => MemberDirectory.KeyOf(c.Id, id) == key).Take(30).ToList();
        var partition = Grains.GetGrain<IMemberDirectoryGrain>(key);
        var current = await partition.ListMembers();
        Assert.Contains(c.Founders[0], current);
        await fixture.Cluster.DeactivateAsync(partition);
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(StorageNames.Store);
        var stored = new GrainState<MemberDirectoryState>(new MemberDirectoryState());
        await storage.ReadStateAsync("directory", partition.GetGrainId(), stored);
        stored.State ??= new MemberDirectoryState();
        stored.State.Members = new HashSet<string>(legacy, StringComparer.Ordinal);
        await storage.WriteStateAsync("directory", partition.GetGrainId(), stored);

        var expected = legacy.Concat(current).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, await partition.ListMembers());
        await fixture.Cluster.DeactivateAsync(partition);
        Assert.Equal(expected, await partition.ListMembers());
        var after = new GrainState<MemberDirectoryState>(new MemberDirectoryState());
        await storage.ReadStateAsync("directory", partition.GetGrainId(), after);
        Assert.NotNull(after.State);
        Assert.Empty(after.State.Members);
        Assert.NotEqual(0, after.State.Pages);
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
