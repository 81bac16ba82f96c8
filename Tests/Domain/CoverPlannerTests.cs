using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>A small guarantee hierarchy in memory for the planner.</summary>
internal sealed class FakeCoverSource : ICoverSource
{
    private readonly Dictionary<string, (decimal Free, MemberStatus Status)> _members = [];
    private readonly Dictionary<(string Guarantor, string Ward), decimal> _limits = [];
    public int Reads { get; private set; }

    public FakeCoverSource Member(string id, decimal free, MemberStatus status = MemberStatus.Active)
    {
        _members[id] = (free, status);
        return this;
    }

    public FakeCoverSource Guarantee(string guarantor, string ward, decimal remainingLimit)
    {
        _limits[(guarantor, ward)] = remainingLimit;
        return this;
    }

    public Task<MemberCoverInfo> GetAsync(string memberId, IReadOnlyList<string> wards)
    {
        Reads++;
        var (free, status) = _members[memberId];
        var guarantors = _limits.Keys.Where(k => k.Ward == memberId).Select(k => k.Guarantor).Order().ToList();
        var remaining = wards.ToDictionary(w => w, w => _limits.GetValueOrDefault((memberId, w)));
        return Task.FromResult(new MemberCoverInfo(memberId, "c", status, free, guarantors, remaining));
    }
}

public sealed class CoverPlannerTests
{
    private static Task<CoverPlan> Plan(FakeCoverSource source, decimal provider, decimal consumer, int maxLevels = 6) =>
        CoverPlanner.PlanAsync([new CoverParty("p", "provider", provider), new CoverParty("c", "consumer", consumer)], source, maxLevels);

    private static decimal Held(CoverPlan plan, string member) => plan.Holds.Where(h => h.MemberId == member).Sum(h => h.Amount);

    [Fact]
    public async Task Own_free_deposit_comes_first()
    {
        var source = new FakeCoverSource().Member("p", 500).Member("c", 500).Member("g", 1000).Guarantee("g", "p", 1000);
        var plan = await Plan(source, 100, 100);
        Assert.True(plan.IsComplete);
        Assert.Equal(100m, Held(plan, "p"));
        Assert.Equal(100m, Held(plan, "c"));
        Assert.Equal(0m, Held(plan, "g"));
    }

    [Fact]
    public async Task Guarantors_share_the_rest_in_proportion_to_capacity()
    {
        // capacity g1 = min(limit 300, free 1000) = 300; g2 = min(limit 500, free 100) = 100
        var source = new FakeCoverSource()
            .Member("p", 20).Member("c", 1000)
            .Member("g1", 1000).Member("g2", 100)
            .Guarantee("g1", "p", 300).Guarantee("g2", "p", 500);
        var plan = await Plan(source, 100, 10);
        Assert.True(plan.IsComplete);
        Assert.Equal(20m, Held(plan, "p"));
        Assert.Equal(60m, Held(plan, "g1"));
        Assert.Equal(20m, Held(plan, "g2"));
        Assert.All(plan.Holds.Where(h => h.MemberId.StartsWith('g')), h => Assert.Equal("p", h.ViaWardId));
        Assert.All(plan.Holds.Where(h => h.MemberId.StartsWith('g')), h => Assert.Equal(1, h.Level));
    }

    [Fact]
    public async Task Where_guarantors_are_short_their_guarantors_cover_the_rest()
    {
        var source = new FakeCoverSource()
            .Member("p", 0).Member("c", 100)
            .Member("g", 30).Guarantee("g", "p", 1000)
            .Member("gg1", 1000).Guarantee("gg1", "g", 50)
            .Member("gg2", 1000).Guarantee("gg2", "g", 150);
        var plan = await Plan(source, 100, 100);
        Assert.True(plan.IsComplete);
        Assert.Equal(30m, Held(plan, "g"));
        Assert.Equal(17.50m, Held(plan, "gg1"));
        Assert.Equal(52.50m, Held(plan, "gg2"));
        Assert.All(plan.Holds.Where(h => h.MemberId.StartsWith("gg")), h => Assert.Equal(("g", 2), (h.ViaWardId, h.Level)));
    }

    [Fact]
    public async Task Upper_levels_are_not_asked_when_the_lower_suffices()
    {
        var source = new FakeCoverSource()
            .Member("p", 0).Member("c", 100)
            .Member("g", 500).Guarantee("g", "p", 500)
            .Member("gg", 1000).Guarantee("gg", "g", 500);
        var plan = await Plan(source, 100, 100);
        Assert.Equal(0m, Held(plan, "gg"));
        Assert.Equal(3, source.Reads); // p, g and c: gg is never read
    }

    [Fact]
    public async Task A_shortfall_says_how_much_is_missing_for_which_party()
    {
        var source = new FakeCoverSource()
            .Member("p", 10).Member("c", 70)
            .Member("g", 1000).Guarantee("g", "p", 15);
        var plan = await Plan(source, 100, 100);
        Assert.False(plan.IsComplete);
        Assert.Equal(2, plan.Shortfalls.Count);
        Assert.Equal(new CoverShortfall("p", "provider", 100, 75), plan.Shortfalls[0]);
        Assert.Equal(new CoverShortfall("c", "consumer", 100, 30), plan.Shortfalls[1]);
        var message = CoverPlanner.Describe(plan.Shortfalls);
        Assert.Contains("provider p needs 75.00 more", message);
        Assert.Contains("consumer c needs 30.00 more", message);
    }

    [Fact]
    public async Task A_party_never_covers_the_other_party()
    {
        var source = new FakeCoverSource()
            .Member("p", 0).Member("c", 1000)
            .Guarantee("c", "p", 1000);
        var plan = await Plan(source, 100, 100);
        Assert.Equal(100m, plan.Shortfalls.Single().Missing);
        Assert.Equal(100m, Held(plan, "c"));
    }

    [Fact]
    public async Task A_guarantor_of_both_parties_is_not_counted_twice()
    {
        var source = new FakeCoverSource()
            .Member("p", 0).Member("c", 0)
            .Member("g", 150).Guarantee("g", "p", 100).Guarantee("g", "c", 100);
        var plan = await Plan(source, 100, 100);
        Assert.Equal(100m, plan.Holds.Where(h => h.ForPartyId == "p").Sum(h => h.Amount));
        Assert.Equal(50m, plan.Holds.Where(h => h.ForPartyId == "c").Sum(h => h.Amount));
        Assert.Equal(50m, plan.Shortfalls.Single().Missing);
        Assert.True(Held(plan, "g") <= 150m);
    }

    [Fact]
    public async Task Expelled_guarantors_cover_nothing()
    {
        var source = new FakeCoverSource()
            .Member("p", 0).Member("c", 100)
            .Member("g", 1000, MemberStatus.Expelled).Guarantee("g", "p", 1000);
        var plan = await Plan(source, 100, 100);
        Assert.Equal(100m, plan.Shortfalls.Single().Missing);
    }

    [Fact]
    public async Task The_number_of_levels_is_bounded()
    {
        var source = new FakeCoverSource()
            .Member("p", 0).Member("c", 100)
            .Member("g", 0).Guarantee("g", "p", 1000)
            .Member("gg", 1000).Guarantee("gg", "g", 1000);
        Assert.False((await Plan(source, 100, 100, maxLevels: 1)).IsComplete);
        Assert.True((await Plan(source, 100, 100, maxLevels: 2)).IsComplete);
    }

    [Fact]
    public async Task Random_hierarchies_never_exceed_free_deposits_or_limits_and_cover_exactly()
    {
        var random = new Random(11);
        for (var run = 0; run < 300; run++)
        {
            var source = new FakeCoverSource();
            var ids = Enumerable.Range(0, 12).Select(i => $"m{i}").ToList();
            var free = ids.ToDictionary(id => id, _ => random.Next(0, 5000) / 100m);
            foreach (var id in ids) source.Member(id, free[id]);
            var limits = new Dictionary<(string, string), decimal>();
            for (var w = 2; w < ids.Count; w++)
                foreach (var g in Enumerable.Range(0, w).OrderBy(_ => random.Next()).Take(random.Next(0, 3)))
                {
                    var limit = random.Next(0, 3000) / 100m;
                    limits[(ids[g], ids[w])] = limit;
                    source.Guarantee(ids[g], ids[w], limit);
                }
            var p = ids[random.Next(2, 12)];
            var c = ids.Where(i => i != p).ElementAt(random.Next(0, 11));
            var need = random.Next(1, 10000) / 100m;
            var plan = await CoverPlanner.PlanAsync([new CoverParty(p, "provider", need), new CoverParty(c, "consumer", need)], source, 6);

            foreach (var member in ids) Assert.True(Held(plan, member) <= free[member], $"run {run}: {member} over its free deposit");
            foreach (var group in plan.Holds.Where(h => h.ViaWardId is not null).GroupBy(h => (h.MemberId, h.ViaWardId!)))
                Assert.True(group.Sum(h => h.Amount) <= limits[group.Key], $"run {run}: over the limit of {group.Key}");
            foreach (var party in new[] { (p, "provider"), (c, "consumer") })
            {
                var covered = plan.Holds.Where(h => h.ForPartyId == party.Item1).Sum(h => h.Amount);
                var missing = plan.Shortfalls.Where(s => s.MemberId == party.Item1).Sum(s => s.Missing);
                Assert.Equal(need, covered + missing);
            }
            Assert.DoesNotContain(plan.Holds, h => h.Amount <= 0 || h.Amount != decimal.Round(h.Amount, 2));
            Assert.DoesNotContain(plan.Holds, h => h.ViaWardId is not null && (h.MemberId == p || h.MemberId == c));
        }
    }
}
