namespace OrleansGuarantee.Tests.Cluster;

/// <summary>Builds a fresh community (unique ids per test) and members in it through the grains.</summary>
public sealed class TestCommunity
{
    private static int _counter;
    private readonly IGrainFactory _grains;

    private TestCommunity(IGrainFactory grains, string id, IReadOnlyList<string> founders)
    {
        _grains = grains;
        Id = id;
        Founders = founders;
    }

    public string Id { get; }
    public IReadOnlyList<string> Founders { get; }

    public static string Unique(string name) => $"{name}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..Math.Min(60, name.Length + 20)];

    public static async Task<TestCommunity> CreateAsync(IGrainFactory grains, CommunitySettings? settings = null, decimal founderDeposit = 10_000m)
    {
        var id = Unique("c");
        var founders = Enumerable.Range(1, 3).Select(i => Unique($"f{i}")).ToList();
        await grains.GetGrain<ICommunityGrain>(id).Create(new CreateCommunity("Test community",
            founders.Select(f => new FounderSpec(f, $"Founder {f}")).ToList(), settings));
        var community = new TestCommunity(grains, id, founders);
        if (founderDeposit > 0)
            foreach (var f in founders) await community.Member(f).Deposit(Unique("dep"), founderDeposit);
        return community;
    }

    public IMemberGrain Member(string id) => _grains.GetGrain<IMemberGrain>(id);
    public IDealGrain Deal(string id) => _grains.GetGrain<IDealGrain>(id);
    public IGuaranteeGrain GuaranteeBetween(string a, string b) => _grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(a, b));

    public async Task<string> SignUpAsync(string name = "m", decimal deposit = 0)
    {
        var id = Unique(name);
        await Member(id).SignUp(Id, new MemberProfile($"Member {name}", ["masonry"], ["timber"]), null);
        if (deposit > 0) await Member(id).Deposit(Unique("dep"), deposit);
        return id;
    }

    public async Task GuaranteeAsync(string guarantor, string ward, decimal limit)
    {
        await GuaranteeBetween(ward, guarantor).Request(Unique("req"), ward, guarantor);
        await GuaranteeBetween(ward, guarantor).Accept(Unique("acc"), guarantor, ward, limit);
    }

    /// <summary>A member guaranteed by the first two founders (so active), with a deposit.</summary>
    public async Task<string> ActiveMemberAsync(string name = "m", decimal deposit = 0, decimal limit = 1_000m, params string[] guarantors)
    {
        var id = await SignUpAsync(name, deposit);
        foreach (var g in guarantors.Length > 0 ? guarantors : Founders.Take(2).ToArray()) await GuaranteeAsync(g, id, limit);
        return id;
    }

    public async Task<DealView> ProposeAsync(string proposer, string provider, string consumer, decimal value, string? operationId = null)
    {
        operationId ??= Unique("deal");
        return await Deal(DealIds.For(proposer, operationId)).Propose(
            new ProposeDeal(operationId, proposer, provider, consumer, value, "test deal", DateTimeOffset.UtcNow.AddDays(7)));
    }

    public async Task<AccountView> AccountOf(string member) => (await Member(member).Get()).Deposit;

    /// <summary>The sum of what these members hold (reading members never wakes a deal).</summary>
    public async Task<decimal> HeldByAsync(params string[] members)
    {
        var held = 0m;
        foreach (var m in members) held += (await AccountOf(m)).Held;
        return held;
    }

    /// <summary>The error code a refused command answers with.</summary>
    public static async Task<string> CodeOf(Func<Task> action) => (await Assert.ThrowsAsync<GuaranteeException>(action)).Code;
}
