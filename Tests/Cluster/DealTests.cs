namespace OrleansGuarantee.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class DealTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    private static Task<string> Code(Func<Task> action) => TestCommunity.CodeOf(action);

    [Fact]
    public async Task A_covered_deal_runs_from_proposal_to_completion_and_releases_every_hold()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var provider = await c.ActiveMemberAsync("prov", deposit: 500);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500);

        var deal = await c.ProposeAsync(consumer, provider, consumer, 200m);
        Assert.Equal(DealState.Proposed, deal.State);
        var accepted = await c.Deal(deal.Id).Accept(provider);
        Assert.Equal(DealState.Accepted, accepted.State);
        Assert.Equal(200m, accepted.Cover.Where(h => h.ForParty == provider).Sum(h => h.Amount));
        Assert.Equal(200m, accepted.Cover.Where(h => h.ForParty == consumer).Sum(h => h.Amount));
        Assert.Equal(200m, (await c.AccountOf(provider)).Held);
        Assert.Equal(300m, (await c.AccountOf(provider)).Free);

        Assert.Equal(DealState.Delivered, (await c.Deal(deal.Id).Confirm(provider)).State);
        var completed = await c.Deal(deal.Id).Confirm(consumer);
        Assert.Equal(DealState.Completed, completed.State);
        Assert.Equal(0m, (await c.AccountOf(provider)).Held);
        Assert.Equal(0m, (await c.AccountOf(consumer)).Held);
        Assert.Empty((await c.Member(provider).Get()).Holds);
    }

    [Fact]
    public async Task Guarantors_cover_what_the_party_lacks_in_proportion_to_capacity()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        // provider has 40 of its own; its guarantors can give min(limit, free): f0 = 300, f1 = 100
        var provider = await c.SignUpAsync("prov", 40);
        await c.GuaranteeAsync(c.Founders[0], provider, 300m);
        await c.GuaranteeAsync(c.Founders[1], provider, 100m);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 1000);

        var deal = await c.ProposeAsync(provider, provider, consumer, 200m);
        var accepted = await c.Deal(deal.Id).Accept(consumer);
        var forProvider = accepted.Cover.Where(h => h.ForParty == provider).ToList();
        Assert.Equal(40m, forProvider.Single(h => h.MemberId == provider).Amount);
        Assert.Equal(120m, forProvider.Single(h => h.MemberId == c.Founders[0]).Amount);
        Assert.Equal(40m, forProvider.Single(h => h.MemberId == c.Founders[1]).Amount);
        var founderView = await c.Member(c.Founders[0]).Get();
        Assert.Equal(120m, founderView.Wards.Single(w => w.MemberId == provider).Held);

        await c.Deal(deal.Id).Confirm(provider);
        await c.Deal(deal.Id).Confirm(consumer);
        Assert.Equal(0m, (await c.AccountOf(c.Founders[0])).Held);
    }

    [Fact]
    public async Task Short_cover_fails_saying_what_is_missing_for_whom_and_leaves_no_hold()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var provider = await c.ActiveMemberAsync("prov", deposit: 10, limit: 20m);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 1000);
        var deal = await c.ProposeAsync(provider, provider, consumer, 100m);
        var ex = await Assert.ThrowsAsync<GuaranteeException>(() => c.Deal(deal.Id).Accept(consumer));
        Assert.Equal("insufficient-cover", ex.Code);
        var shortfall = Assert.Single(ex.Shortfalls);
        Assert.Equal((provider, "provider", 50m), (shortfall.MemberId, shortfall.Party, shortfall.Missing));
        Assert.Contains($"provider {provider} needs 50.00 more", ex.Message);
        Assert.Equal(DealState.Proposed, (await c.Deal(deal.Id).Get()).State);
        foreach (var m in new[] { provider, consumer, c.Founders[0], c.Founders[1] })
            Assert.Equal(0m, (await c.AccountOf(m)).Held);
    }

    [Fact]
    public async Task The_coverage_ratio_is_a_community_setting()
    {
        var c = await TestCommunity.CreateAsync(Grains, new CommunitySettings { CoverageRatio = 0.5m });
        var provider = await c.ActiveMemberAsync("prov", deposit: 1000);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 1000);
        var deal = await c.ProposeAsync(provider, provider, consumer, 99.99m);
        var accepted = await c.Deal(deal.Id).Accept(consumer);
        Assert.All(new[] { provider, consumer }, p => Assert.Equal(50m, accepted.Cover.Where(h => h.ForParty == p).Sum(h => h.Amount)));
    }

    [Fact]
    public async Task A_withdrawn_guarantee_covers_no_new_deal_but_still_stands_behind_covered_ones()
    {
        var c = await TestCommunity.CreateAsync(Grains, new CommunitySettings { RequiredGuarantors = 1 });
        var provider = await c.SignUpAsync("prov");
        await c.GuaranteeAsync(c.Founders[0], provider, 500m);
        await c.GuaranteeAsync(c.Founders[1], provider, 500m);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 1000);
        var first = await c.ProposeAsync(provider, provider, consumer, 100m);
        await c.Deal(first.Id).Accept(consumer);
        var heldBy0 = (await c.AccountOf(c.Founders[0])).Held;
        Assert.True(heldBy0 > 0);

        await c.GuaranteeBetween(provider, c.Founders[0]).Withdraw(c.Founders[0], provider);
        Assert.Equal(heldBy0, (await c.AccountOf(c.Founders[0])).Held); // still stands behind the first deal

        var second = await c.ProposeAsync(provider, provider, consumer, 100m);
        var accepted = await c.Deal(second.Id).Accept(consumer);
        Assert.DoesNotContain(accepted.Cover, h => h.MemberId == c.Founders[0]);

        await c.Deal(first.Id).Confirm(provider);
        await c.Deal(first.Id).Confirm(consumer);
        Assert.Equal(0m, (await c.AccountOf(c.Founders[0])).Held);
    }

    [Fact]
    public async Task Deal_rules_refuse_bad_moves_with_typed_errors_and_change_nothing()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var provider = await c.ActiveMemberAsync("prov", deposit: 500);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500);
        var outsider = await c.ActiveMemberAsync("out", deposit: 500);
        var candidate = await c.SignUpAsync("cand", 500);

        Assert.Equal("invalid-amount", await Code(() => c.ProposeAsync(provider, provider, consumer, 0m)));
        Assert.Equal("invalid-amount", await Code(() => c.ProposeAsync(provider, provider, consumer, -5m)));
        Assert.Equal("invalid-amount", await Code(() => c.ProposeAsync(provider, provider, consumer, 10.123m)));
        Assert.Equal("same-party", await Code(() => c.ProposeAsync(provider, provider, provider, 10m)));
        Assert.Equal("not-a-party", await Code(() => c.ProposeAsync(outsider, provider, consumer, 10m)));
        Assert.Equal("member-not-found", await Code(() => c.ProposeAsync(provider, provider, "ghost-member", 10m)));
        Assert.Equal("not-active", await Code(() => c.ProposeAsync(candidate, candidate, consumer, 10m)));
        var pastDue = await Code(() => c.Deal(DealIds.For(provider, "late")).Propose(
            new ProposeDeal("late", provider, provider, consumer, 10m, "x", DateTimeOffset.UtcNow.AddMinutes(-1))));
        Assert.Equal("due-in-past", pastDue);

        var deal = await c.ProposeAsync(provider, provider, consumer, 100m, operationId: "deal-op");
        Assert.Equal(deal.Id, (await c.ProposeAsync(provider, provider, consumer, 100m, operationId: "deal-op")).Id);
        var grain = c.Deal(deal.Id);
        Assert.Equal("own-proposal", await Code(() => grain.Accept(provider)));
        Assert.Equal("not-a-party", await Code(() => grain.Accept(outsider)));
        Assert.Equal("deal-not-accepted", await Code(() => grain.Confirm(provider)));
        await grain.Accept(consumer);
        Assert.Equal(DealState.Accepted, (await grain.Accept(consumer)).State); // accepting again answers the same
        Assert.Equal("deal-not-cancellable", await Code(() => grain.Cancel(provider)));
        await grain.Confirm(provider);
        Assert.Equal("already-confirmed", await Code(() => grain.Confirm(provider)));
        Assert.Equal(DealState.Delivered, (await grain.Get()).State);
        Assert.Equal("deal-not-found", await Code(() => c.Deal("d-unknown").Get()));
    }

    [Fact]
    public async Task A_suspended_member_cannot_open_or_accept_a_deal()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var provider = await c.ActiveMemberAsync("prov", deposit: 500);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500);
        var pending = await c.ProposeAsync(consumer, provider, consumer, 50m);
        await c.GuaranteeBetween(provider, c.Founders[0]).Withdraw(c.Founders[0], provider);
        Assert.Equal(MemberStatus.Suspended, (await c.Member(provider).Get()).Status);

        Assert.Equal("not-active", await Code(() => c.ProposeAsync(provider, provider, consumer, 10m)));
        Assert.Equal("not-active", await Code(() => c.Deal(pending.Id).Accept(provider)));
        Assert.Equal(0m, (await c.AccountOf(provider)).Held);
    }

    [Fact]
    public async Task A_proposed_deal_can_be_cancelled_by_either_party_once()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var provider = await c.ActiveMemberAsync("prov", deposit: 500);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500);
        var deal = await c.ProposeAsync(provider, provider, consumer, 50m);
        Assert.Equal(DealState.Cancelled, (await c.Deal(deal.Id).Cancel(consumer)).State);
        Assert.Equal(DealState.Cancelled, (await c.Deal(deal.Id).Cancel(provider)).State);
        Assert.Equal("deal-not-proposed", await Code(() => c.Deal(deal.Id).Accept(consumer)));
        Assert.Equal("deal-not-accepted", await Code(() => c.Deal(deal.Id).Confirm(consumer)));
    }
}
