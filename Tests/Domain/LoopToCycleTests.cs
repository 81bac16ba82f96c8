using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>Rule 22's last step: a proposed loop becomes a draft cycle that starts at its organizer.</summary>
public sealed class LoopToCycleTests
{
    private static readonly CycleHop[] Loop =
    [
        new("a", "masonry", "b"),
        new("b", "timber", "c"),
        new("c", "design", "a"),
    ];

    [Fact]
    public void The_loop_is_turned_to_start_at_the_organizer_so_its_last_stage_delivers_to_the_organizer()
    {
        var plan = LoopToCycle.Plan(new DraftRequest(Loop, "b", [100m, 200m, 300m], null, null));

        Assert.Equal(["b", "c", "a"], plan.Stages.Select(s => s.MemberId));
        Assert.Equal(["timber", "design", "masonry"], plan.Stages.Select(s => s.Role));
        // Prices follow their hops through the rotation.
        Assert.Equal([200m, 300m, 100m], plan.Stages.Select(s => s.MarketPrice));
        Assert.Equal(600m, plan.ProductValue);
        Assert.Equal("Loop: timber → design → masonry", plan.Product);
        // Each stage's deal goes to the next stage's member, the last to the organizer: exactly the loop's hops.
        for (var k = 0; k < plan.Stages.Count; k++)
        {
            var to = k + 1 < plan.Stages.Count ? plan.Stages[k + 1].MemberId : "b";
            Assert.Contains(Loop, h => h.MemberId == plan.Stages[k].MemberId && h.ToMemberId == to && h.Offers == plan.Stages[k].Role);
        }
    }

    [Fact]
    public void One_price_applies_to_every_stage_and_a_given_product_and_value_are_kept()
    {
        var plan = LoopToCycle.Plan(new DraftRequest(Loop, "a", [50m], "  Bakery  ", 1_000m));
        Assert.All(plan.Stages, s => Assert.Equal(50m, s.MarketPrice));
        Assert.Equal(["a", "b", "c"], plan.Stages.Select(s => s.MemberId));
        Assert.Equal("Bakery", plan.Product);
        Assert.Equal(1_000m, plan.ProductValue);
    }

    [Theory]
    [InlineData("outsider", "not-in-loop")]
    public void An_organizer_outside_the_loop_is_refused(string organizer, string code)
    {
        var error = Assert.Throws<GuaranteeException>(() => LoopToCycle.Plan(new DraftRequest(Loop, organizer, [10m], null, null)));
        Assert.Equal(code, error.Code);
        Assert.Equal(ErrorKind.Forbidden, error.Kind);
    }

    public static TheoryData<CycleHop?[]?, decimal[]?, decimal?, string> BadRequests => new()
    {
        { null, [10m], null, "invalid-loop" },
        { [new("a", "masonry", "a")], [10m], null, "invalid-loop" },
        { [new("a", "masonry", "b"), new("b", "timber", "c")], [10m], null, "invalid-loop" },
        { [new("a", "masonry", "b"), null], [10m], null, "invalid-loop" },
        { [new("a", " ", "b"), new("b", "timber", "a")], [10m], null, "invalid-loop" },
        { [new("a", "masonry", "b"), new("b", "timber", "a"), new("a", "x", "b")], [10m], null, "invalid-loop" },
        { Enumerable.Range(0, 7).Select(i => (CycleHop?)new CycleHop($"m{i}", "s", $"m{(i + 1) % 7}")).ToArray(), [10m], null, "invalid-loop" },
        { Loop, null, null, "missing-field" },
        { Loop, [], null, "missing-field" },
        { Loop, [10m, 20m], null, "invalid-market-prices" },
        { Loop, [0m], null, "invalid-amount" },
        { Loop, [10m, 10.001m, 10m], null, "invalid-amount" },
        { Loop, [10m], -5m, "invalid-amount" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Requests_that_are_not_a_priced_loop_are_refused_with_a_code(CycleHop?[]? hops, decimal[]? prices, decimal? value, string code)
    {
        var organizer = hops?.FirstOrDefault()?.MemberId ?? "a";
        var error = Assert.Throws<GuaranteeException>(() => LoopToCycle.Plan(new DraftRequest(hops, organizer, prices, null, value)));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void A_loop_its_members_no_longer_support_is_refused_as_out_of_date()
    {
        var members = new Dictionary<string, MemberOffer>
        {
            ["a"] = new("a", ["Masonry"], ["design"]),
            ["b"] = new("b", ["timber"], ["masonry"]),
            ["c"] = new("c", ["design"], ["timber"]),
        };
        LoopToCycle.CheckAgainst(Loop, members); // skills compare case-insensitively

        var changed = new Dictionary<string, MemberOffer>(members) { ["b"] = new("b", ["timber"], ["glass"]) };
        Assert.Equal("loop-out-of-date", Assert.Throws<GuaranteeException>(() => LoopToCycle.CheckAgainst(Loop, changed)).Code);
        var gone = new Dictionary<string, MemberOffer>(members);
        gone.Remove("c");
        Assert.Equal("member-not-found", Assert.Throws<GuaranteeException>(() => LoopToCycle.CheckAgainst(Loop, gone)).Code);
    }
}
