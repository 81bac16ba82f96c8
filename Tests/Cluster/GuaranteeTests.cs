namespace OrleansGuarantee.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class GuaranteeTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    private static Task<string> Code(Func<Task> action) => TestCommunity.CodeOf(action);

    [Fact]
    public async Task Two_accepted_guarantees_make_a_candidate_active()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var ward = await c.SignUpAsync("ward");
        await c.GuaranteeBetween(ward, c.Founders[0]).Request("r1", ward, c.Founders[0]);
        var founder = await c.Member(c.Founders[0]).Get();
        Assert.Equal([ward], founder.GuaranteeRequestsReceived);
        Assert.Equal([c.Founders[0]], (await c.Member(ward).Get()).GuaranteeRequestsSent);

        await c.GuaranteeBetween(ward, c.Founders[0]).Accept("a1", c.Founders[0], ward, 500m);
        var afterOne = await c.Member(ward).Get();
        Assert.Equal(MemberStatus.Candidate, afterOne.Status);
        Assert.Contains("needs 1 more guarantor", afterOne.StatusReason);

        await c.GuaranteeAsync(c.Founders[1], ward, 300m);
        var view = await c.Member(ward).Get();
        Assert.Equal(MemberStatus.Active, view.Status);
        Assert.Equal([500m, 300m], view.Guarantors.OrderBy(g => g.MemberId == c.Founders[0] ? 0 : 1).Select(g => g.Limit));
        Assert.Contains((await c.Member(c.Founders[1]).Get()).Wards, w => w.MemberId == ward && w.Limit == 300m && !w.Withdrawn);
    }

    [Fact]
    public async Task Repeating_a_request_or_acceptance_with_its_operation_id_changes_nothing()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var ward = await c.SignUpAsync();
        var g = c.GuaranteeBetween(ward, c.Founders[0]);
        var request = await g.Request("req", ward, c.Founders[0]);
        Assert.Equal(request, await g.Request("req", ward, c.Founders[0]));
        var accepted = await g.Accept("acc", c.Founders[0], ward, 100m);
        Assert.Equal(accepted, await g.Accept("acc", c.Founders[0], ward, 100m));
        Assert.Equal(2, accepted.Version);
    }

    [Fact]
    public async Task Self_duplicate_and_cyclic_guarantees_are_refused()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var a = await c.ActiveMemberAsync("a", deposit: 100);
        var b = await c.SignUpAsync("b");
        await c.GuaranteeAsync(a, b, 50m);

        Assert.Equal("self-guarantee", await Code(() => c.GuaranteeBetween(a, a).Request("x", a, a)));
        Assert.Equal("duplicate-guarantee", await Code(() => c.GuaranteeBetween(b, a).Request("x1", b, a)));
        Assert.Equal("duplicate-guarantee", await Code(() => c.GuaranteeBetween(b, a).Accept("x2", a, b, 10m)));
        // b is a's ward: a asking b to guarantee it would make a 2-cycle.
        await c.GuaranteeAsync(c.Founders[2], b, 50m);
        Assert.Equal("guarantee-cycle", await Code(() => c.GuaranteeBetween(a, b).Request("x3", a, b)));
        // a founder that already guarantees a: a cannot guarantee it back.
        Assert.Equal("guarantee-cycle", await Code(() => c.GuaranteeBetween(c.Founders[0], a).Request("x4", c.Founders[0], a)));
        // founders are the roots: they ask no one.
        Assert.Equal("founder-needs-no-guarantor", await Code(() => c.GuaranteeBetween(c.Founders[2], a).Request("x5", c.Founders[2], a)));
    }

    [Fact]
    public async Task No_one_is_guaranteed_by_its_own_descendant()
    {
        var c = await TestCommunity.CreateAsync(Grains, new CommunitySettings { RequiredGuarantors = 1 });
        var a = await c.ActiveMemberAsync("a", guarantors: c.Founders[0]);
        var b = await c.ActiveMemberAsync("b", guarantors: a);
        var d = await c.ActiveMemberAsync("d", guarantors: b);
        // d descends from a (a -> b -> d); a cannot be guaranteed by d.
        Assert.Equal("guarantee-cycle", await Code(() => c.GuaranteeBetween(a, d).Request("r", a, d)));
        var before = await c.Member(a).Get();
        Assert.Empty(before.GuaranteeRequestsSent);
    }

    [Fact]
    public async Task Only_active_members_and_founders_may_guarantee()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var candidate = await c.SignUpAsync("cand");
        var ward = await c.SignUpAsync("ward");
        Assert.Equal("guarantor-not-eligible", await Code(() => c.GuaranteeBetween(ward, candidate).Request("r", ward, candidate)));
        Assert.Equal("member-not-found", await Code(() => c.GuaranteeBetween(ward, "nobody-here").Request("r2", ward, "nobody-here")));
    }

    [Fact]
    public async Task Guarantees_stay_inside_one_community()
    {
        var c1 = await TestCommunity.CreateAsync(Grains);
        var c2 = await TestCommunity.CreateAsync(Grains);
        var ward = await c1.SignUpAsync();
        Assert.Equal("different-community", await Code(() => c1.GuaranteeBetween(ward, c2.Founders[0]).Request("r", ward, c2.Founders[0])));
    }

    [Fact]
    public async Task Accepting_needs_a_request_and_a_valid_limit()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var ward = await c.SignUpAsync();
        var g = c.GuaranteeBetween(ward, c.Founders[0]);
        Assert.Equal("no-guarantee-request", await Code(() => g.Accept("a", c.Founders[0], ward, 10m)));
        await g.Request("r", ward, c.Founders[0]);
        Assert.Equal("invalid-amount", await Code(() => g.Accept("a", c.Founders[0], ward, 0m)));
        Assert.Equal("invalid-amount", await Code(() => g.Accept("a", c.Founders[0], ward, 10.001m)));
        Assert.Equal("duplicate-request", await Code(() => g.Request("r-again", ward, c.Founders[0])));
        Assert.Equal(GuaranteeState.Requested, (await g.Get())!.State);
    }

    [Fact]
    public async Task A_declined_request_can_be_asked_again()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var ward = await c.SignUpAsync();
        var g = c.GuaranteeBetween(ward, c.Founders[0]);
        await g.Request("r1", ward, c.Founders[0]);
        await g.Decline(c.Founders[0], ward);
        Assert.Empty((await c.Member(c.Founders[0]).Get()).GuaranteeRequestsReceived);
        Assert.Equal("no-guarantee-request", await Code(() => g.Accept("a", c.Founders[0], ward, 10m)));
        await g.Request("r2", ward, c.Founders[0]);
        await g.Accept("a2", c.Founders[0], ward, 10m);
        Assert.Single((await c.Member(ward).Get()).Guarantors);
    }

    [Fact]
    public async Task Withdrawing_suspends_an_active_ward_and_repeating_it_changes_nothing()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var ward = await c.ActiveMemberAsync();
        var g = c.GuaranteeBetween(ward, c.Founders[0]);
        var withdrawn = await g.Withdraw(c.Founders[0], ward);
        Assert.Equal(withdrawn, await g.Withdraw(c.Founders[0], ward));
        var view = await c.Member(ward).Get();
        Assert.Equal(MemberStatus.Suspended, view.Status);
        Assert.Contains("needs 1 more to open new deals", view.StatusReason);
        Assert.Contains(view.Guarantors, x => x.MemberId == c.Founders[0] && x.Withdrawn);
        Assert.Equal("guarantee-not-found", await Code(() => c.GuaranteeBetween(ward, c.Founders[2]).Withdraw(c.Founders[2], ward)));

        // a guarantee from someone else makes it active again
        await c.GuaranteeAsync(c.Founders[2], ward, 100m);
        Assert.Equal(MemberStatus.Active, (await c.Member(ward).Get()).Status);
    }
}
