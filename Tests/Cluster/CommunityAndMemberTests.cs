namespace OrleansGuarantee.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class CommunityAndMemberTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    [Fact]
    public async Task A_community_starts_with_its_founders_and_default_settings()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var view = await Grains.GetGrain<ICommunityGrain>(c.Id).Get();
        Assert.Equal(CommunitySettings.Default, view.Settings);
        Assert.Equal(3, view.Founders.Count);
        foreach (var f in c.Founders)
        {
            var founder = await c.Member(f).Get();
            Assert.Equal(MemberStatus.Founder, founder.Status);
            Assert.Equal(c.Id, founder.CommunityId);
        }
    }

    [Fact]
    public async Task Creating_the_same_community_again_answers_the_same_and_a_different_one_is_refused()
    {
        var id = TestCommunity.Unique("c");
        var founders = Enumerable.Range(0, 3).Select(i => new FounderSpec(TestCommunity.Unique("f"), $"F{i}")).ToList();
        var grain = Grains.GetGrain<ICommunityGrain>(id);
        var first = await grain.Create(new CreateCommunity("Almaty", founders, null));
        var again = await grain.Create(new CreateCommunity("Almaty", founders, null));
        Assert.Equal((first.Id, first.Name, first.CreatedAt), (again.Id, again.Name, again.CreatedAt));
        var ex = await Assert.ThrowsAsync<GuaranteeException>(() => grain.Create(new CreateCommunity("Other", founders, null)));
        Assert.Equal("community-exists", ex.Code);
    }

    [Theory]
    [InlineData(2, "too-few-founders")]
    [InlineData(0, "too-few-founders")]
    public async Task A_community_needs_three_founders(int count, string code)
    {
        var founders = Enumerable.Range(0, count).Select(i => new FounderSpec(TestCommunity.Unique("f"), $"F{i}")).ToList();
        var id = TestCommunity.Unique("c");
        var ex = await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<ICommunityGrain>(id).Create(new CreateCommunity("X", founders, null)));
        Assert.Equal(code, ex.Code);
        Assert.Equal("community-not-found", (await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<ICommunityGrain>(id).Get())).Code);
    }

    [Fact]
    public async Task Bad_community_input_is_refused_with_a_code()
    {
        var f = Enumerable.Range(0, 3).Select(i => new FounderSpec(TestCommunity.Unique("f"), $"F{i}")).ToList();
        async Task<string> Code(string id, CreateCommunity command) =>
            (await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<ICommunityGrain>(id).Create(command))).Code;

        Assert.Equal("invalid-settings", await Code(TestCommunity.Unique("c"), new CreateCommunity("X", f, new CommunitySettings { RequiredGuarantors = 0 })));
        Assert.Equal("invalid-settings", await Code(TestCommunity.Unique("c"), new CreateCommunity("X", f, new CommunitySettings { CoverageRatio = 11 })));
        Assert.Equal("invalid-settings", await Code(TestCommunity.Unique("c"), new CreateCommunity("X", f, new CommunitySettings { StageDiscount = 1 })));
        Assert.Equal("duplicate-founder", await Code(TestCommunity.Unique("c"), new CreateCommunity("X", [f[0], f[0], f[1]], null)));
        Assert.Equal("missing-field", await Code(TestCommunity.Unique("c"), new CreateCommunity(" ", f, null)));
        Assert.Equal("invalid-id", await Code("bad id", new CreateCommunity("X", f, null)));
        Assert.Equal("invalid-id", await Code(TestCommunity.Unique("c"), new CreateCommunity("X", [.. f.Take(2), new FounderSpec("bad/id", "F")], null)));
    }

    [Fact]
    public async Task A_founder_id_taken_elsewhere_fails_the_creation_and_leaves_nothing_behind()
    {
        var existing = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var fresh = new[] { TestCommunity.Unique("f"), TestCommunity.Unique("f") };
        var id = TestCommunity.Unique("c");
        var ex = await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<ICommunityGrain>(id).Create(new CreateCommunity("X",
            [new FounderSpec(fresh[0], "A"), new FounderSpec(fresh[1], "B"), new FounderSpec(existing.Founders[0], "Taken")], null)));
        Assert.Equal("member-exists", ex.Code);
        await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<ICommunityGrain>(id).Get());
        foreach (var f in fresh)
            Assert.Equal("member-not-found", (await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<IMemberGrain>(f).Get())).Code);
        Assert.Equal(existing.Id, (await Grains.GetGrain<IMemberGrain>(existing.Founders[0]).Get()).CommunityId);
    }

    [Fact]
    public async Task A_new_member_is_a_candidate_told_what_it_needs()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var id = await c.SignUpAsync("alice");
        var view = await c.Member(id).Get();
        Assert.Equal(MemberStatus.Candidate, view.Status);
        Assert.Contains("needs 2 more guarantors", view.StatusReason);
        Assert.Equal(["masonry"], view.Profile.Offers);
        Assert.Equal(0m, view.Deposit.Balance);
    }

    [Fact]
    public async Task Sign_up_refuses_unknown_communities_taken_ids_and_bad_profiles()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var id = await c.SignUpAsync("bob");
        async Task<string> Code(string memberId, string community, MemberProfile profile) =>
            (await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<IMemberGrain>(memberId).SignUp(community, profile, null))).Code;
        var good = new MemberProfile("Bob", [], []);
        Assert.Equal("member-exists", await Code(id, c.Id, good));
        Assert.Equal("member-exists", await Code(c.Founders[0], c.Id, good));
        Assert.Equal("community-not-found", await Code(TestCommunity.Unique("m"), TestCommunity.Unique("nowhere"), good));
        Assert.Equal("missing-field", await Code(TestCommunity.Unique("m"), c.Id, good with { Name = "" }));
        Assert.Equal("too-long", await Code(TestCommunity.Unique("m"), c.Id, good with { Name = new string('x', 201) }));
        Assert.Equal("too-long", await Code(TestCommunity.Unique("m"), c.Id, good with { Offers = Enumerable.Repeat("x", 51).ToList() }));
        Assert.Equal("invalid-id", await Code("no spaces allowed", c.Id, good));
        Assert.Equal("member-not-found", (await Assert.ThrowsAsync<GuaranteeException>(() => c.Member(TestCommunity.Unique("ghost")).Get())).Code);
    }

    [Fact]
    public async Task Deposits_and_withdrawals_are_idempotent_and_only_free_money_leaves()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var m = c.Member(await c.SignUpAsync());
        var first = await m.Deposit("dep-1", 100m);
        Assert.Equal(first, await m.Deposit("dep-1", 100m));
        await m.Withdraw("wd-1", 40m);
        await m.Withdraw("wd-1", 40m);
        var ex = await Assert.ThrowsAsync<GuaranteeException>(() => m.Withdraw("wd-2", 60.01m));
        Assert.Equal("insufficient-funds", ex.Code);
        Assert.Equal("invalid-amount", (await Assert.ThrowsAsync<GuaranteeException>(() => m.Deposit("dep-2", 0m))).Code);
        Assert.Equal("invalid-amount", (await Assert.ThrowsAsync<GuaranteeException>(() => m.Deposit("dep-3", -1m))).Code);
        Assert.Equal("invalid-amount", (await Assert.ThrowsAsync<GuaranteeException>(() => m.Deposit("dep-4", 1.005m))).Code);
        Assert.Equal("invalid-operation-id", (await Assert.ThrowsAsync<GuaranteeException>(() => m.Deposit("", 1m))).Code);
        Assert.Equal("operation-id-reused", (await Assert.ThrowsAsync<GuaranteeException>(() => m.Deposit("dep-1", 5m))).Code);
        var account = (await m.Get()).Deposit;
        Assert.Equal((100m, 40m, 60m), (account.Deposited, account.Withdrawn, account.Balance));
        Assert.Equal("member-not-found", (await Assert.ThrowsAsync<GuaranteeException>(() => c.Member(TestCommunity.Unique("ghost")).Deposit("x", 1m))).Code);
    }

    [Fact]
    public async Task Concurrent_repeats_of_one_operation_have_one_effect()
    {
        var c = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var m = c.Member(await c.SignUpAsync());
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => m.Deposit("same", 10m)));
        Assert.Equal(10m, (await m.Get()).Deposit.Balance);
    }
}
