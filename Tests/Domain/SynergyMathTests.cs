using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>Rules 18-19: cycle prices, savings along the chain, shares and synergy gains, and the designs refused.</summary>
public sealed class SynergyMathTests
{
    private static StageSpec S(string member, decimal price, string role = "stage") => new(role, member, price);

    private static IReadOnlyList<StageSpec> House() =>
    [
        S("supplier", 10_000m, "supplier"), S("mason", 8_000m, "mason"), S("carpenter", 6_000m, "carpenter"), S("engineer", 4_000m, "engineer"),
    ];

    [Fact]
    public void The_article_house_checked_by_hand()
    {
        // Market prices 10,000 / 8,000 / 6,000 / 4,000 at a 20% stage discount, product worth 30,000.
        SynergyMath.Validate("organizer", "A house", 30_000m, 0.20m, House());
        var f = SynergyMath.Compute([10_000m, 8_000m, 6_000m, 4_000m], 0.20m, 30_000m);

        // Cycle price = market × 0.8: 10,000 × 0.8 = 8,000; 8,000 × 0.8 = 6,400; 6,000 × 0.8 = 4,800; 4,000 × 0.8 = 3,200.
        Assert.Equal([8_000m, 6_400m, 4_800m, 3_200m], f.Select(x => x.CyclePrice));
        // Saving = market − cycle: 2,000; 1,600; 1,200; 800.
        Assert.Equal([2_000m, 1_600m, 1_200m, 800m], f.Select(x => x.Saving));
        // Cumulative: 2,000; 2,000 + 1,600 = 3,600; 3,600 + 1,200 = 4,800; 4,800 + 800 = 5,600 (= 28,000 − 22,400).
        Assert.Equal([2_000m, 3_600m, 4_800m, 5_600m], f.Select(x => x.CumulativeSaving));

        // Contributions sum to 8,000 + 6,400 + 4,800 + 3,200 = 22,400.
        // Shares = 8,000/22,400 = 5/14 = 0.357142857…, 6,400/22,400 = 2/7 = 0.285714285…,
        //          4,800/22,400 = 3/14 = 0.214285714…, 3,200/22,400 = 1/7 = 0.142857142…
        // In millionths: floors 357,142 + 285,714 + 214,285 + 142,857 = 999,998; the 2 left go to the largest
        // remainders (.857 at stage 1, .714 at stage 3): 0.357143 + 0.285714 + 0.214286 + 0.142857 = 1.000000.
        Assert.Equal([0.357143m, 0.285714m, 0.214286m, 0.142857m], f.Select(x => x.Share));
        Assert.Equal(1m, f.Sum(x => x.Share));

        // Parts of 30,000 (3,000,000 cents): 3,000,000 × 5/14 = 1,071,428.571…, × 2/7 = 857,142.857…,
        // × 3/14 = 642,857.142…, × 1/7 = 428,571.428…; floors sum to 2,999,998; the 2 cents left go to the
        // largest remainders (.857 at stage 2, .571 at stage 1): 10,714.29 + 8,571.43 + 6,428.57 + 4,285.71 = 30,000.00.
        Assert.Equal([10_714.29m, 8_571.43m, 6_428.57m, 4_285.71m], f.Select(x => x.ShareOfProduct));
        Assert.Equal(30_000m, f.Sum(x => x.ShareOfProduct));

        // Gains = part − contribution: 10,714.29 − 8,000 = 2,714.29; 8,571.43 − 6,400 = 2,171.43;
        // 6,428.57 − 4,800 = 1,628.57; 4,285.71 − 3,200 = 1,085.71; together 7,600 = 30,000 − 22,400.
        Assert.Equal([2_714.29m, 2_171.43m, 1_628.57m, 1_085.71m], f.Select(x => x.SynergyGain));
        Assert.Equal(7_600m, f.Sum(x => x.SynergyGain));
        Assert.All(f, x => Assert.True(x.SynergyGain > 0, "each gets a part of the house worth more than what it put in"));
        Assert.Equal(f.Select(x => x.MarketPrice), [10_000m, 8_000m, 6_000m, 4_000m]);
    }

    [Fact]
    public void Cycle_price_rounds_to_cents_halves_away_from_zero()
    {
        Assert.Equal(0.01m, SynergyMath.CyclePrice(0.01m, 0.20m));  // 0.008 → 0.01
        Assert.Equal(0.01m, SynergyMath.CyclePrice(0.01m, 0.50m));  // 0.005 → 0.01 (half away from zero)
        Assert.Equal(0.00m, SynergyMath.CyclePrice(0.01m, 0.60m));  // 0.004 → 0.00
        Assert.Equal(5.60m, SynergyMath.CyclePrice(7m, 0.20m));
        Assert.Equal(0.79m, SynergyMath.CyclePrice(0.99m, 0.20m));  // 0.792 → 0.79
        Assert.Equal(12.34m, SynergyMath.CyclePrice(12.34m, 0m));
    }

    [Fact]
    public void Three_stages_of_one_cent_without_discount()
    {
        var stages = new[] { S("a", 0.01m), S("b", 0.01m), S("c", 0.01m) };
        SynergyMath.Validate("o", "Pin", 1m, 0m, stages);
        var f = SynergyMath.Compute(stages.Select(s => s.MarketPrice).ToList(), 0m, 1m);
        // 1,000,000 millionths / 3 = 333,333.33 each; the one left goes to the earliest tie.
        Assert.Equal([0.333334m, 0.333333m, 0.333333m], f.Select(x => x.Share));
        Assert.Equal(1m, f.Sum(x => x.Share));
        // 100 cents / 3 = 33.33 each; the one left goes to stage 1.
        Assert.Equal([0.34m, 0.33m, 0.33m], f.Select(x => x.ShareOfProduct));
        Assert.Equal([0.33m, 0.32m, 0.32m], f.Select(x => x.SynergyGain));
        Assert.Equal([0m, 0m, 0m], f.Select(x => x.CumulativeSaving));

        // A product worth 0.10: 10 cents / 3 → 4, 3, 3.
        Assert.Equal([0.04m, 0.03m, 0.03m], SynergyMath.Compute([0.01m, 0.01m, 0.01m], 0m, 0.10m).Select(x => x.ShareOfProduct));
    }

    [Fact]
    public void One_cent_at_twenty_percent_rounds_up_to_a_cent_and_is_accepted()
    {
        var stages = new[] { S("a", 0.01m), S("b", 0.01m), S("c", 0.01m) };
        SynergyMath.Validate("o", "Pin", 1m, 0.20m, stages); // 0.008 rounds to 0.01, so not refused
        var f = SynergyMath.Compute([0.01m, 0.01m, 0.01m], 0.20m, 1m);
        Assert.Equal([0.01m, 0.01m, 0.01m], f.Select(x => x.CyclePrice));
        Assert.Equal([0m, 0m, 0m], f.Select(x => x.Saving)); // the discount is lost in rounding
        Assert.Equal(1m, f.Sum(x => x.Share));
        Assert.Equal(1m, f.Sum(x => x.ShareOfProduct));
    }

    [Fact]
    public void Prime_prices_split_exactly()
    {
        // Market 7, 11, 13, 17 at 20% → 5.60, 8.80, 10.40, 13.60 (sum 38.40); the product is worth 97.
        var f = SynergyMath.Compute([7m, 11m, 13m, 17m], 0.20m, 97m);
        Assert.Equal([5.60m, 8.80m, 10.40m, 13.60m], f.Select(x => x.CyclePrice));
        Assert.Equal([1.40m, 3.60m, 6.20m, 9.60m], f.Select(x => x.CumulativeSaving));
        Assert.Equal(1m, f.Sum(x => x.Share));
        Assert.Equal(97m, f.Sum(x => x.ShareOfProduct));
        Assert.Equal(97m - 38.40m, f.Sum(x => x.SynergyGain));

        // Three stages at prime cents, no discount, a prime product value in cents.
        var g = SynergyMath.Compute([0.03m, 0.07m, 0.13m], 0m, 1.01m);
        Assert.Equal(1m, g.Sum(x => x.Share));
        Assert.Equal(1.01m, g.Sum(x => x.ShareOfProduct));
    }

    [Fact]
    public void Random_designs_always_sum_exactly()
    {
        var random = new Random(20);
        for (var run = 0; run < 3000; run++)
        {
            var n = random.Next(1, 12);
            var discount = random.Next(0, 100) / 100m;
            var prices = Enumerable.Range(0, n).Select(_ => random.Next(0, 3) == 0 ? random.Next(1, 100) / 100m : random.Next(1, 10_000_000) / 100m).ToList();
            var productValue = random.Next(1, int.MaxValue) / 100m;
            var stages = prices.Select((p, i) => S($"m{i}", p)).ToList();
            if (prices.Any(p => SynergyMath.CyclePrice(p, discount) <= 0))
            {
                Assert.Equal("stage-price-too-small", Assert.Throws<GuaranteeException>(() => SynergyMath.Validate("o", "P", productValue, discount, stages)).Code);
                continue;
            }
            SynergyMath.Validate("o", "P", productValue, discount, stages);
            var f = SynergyMath.Compute(prices, discount, productValue);
            Assert.Equal(n, f.Count);
            Assert.Equal(1m, f.Sum(x => x.Share));
            Assert.Equal(productValue, f.Sum(x => x.ShareOfProduct));
            Assert.Equal(productValue - f.Sum(x => x.CyclePrice), f.Sum(x => x.SynergyGain));
            Assert.Equal(prices.Sum() - f.Sum(x => x.CyclePrice), f[^1].CumulativeSaving);
            Assert.All(f, x =>
            {
                Assert.Equal(decimal.Round(x.CyclePrice, 2), x.CyclePrice);
                Assert.Equal(decimal.Round(x.ShareOfProduct, 2), x.ShareOfProduct);
                Assert.Equal(decimal.Round(x.Share, 6), x.Share);
                Assert.InRange(x.Share, 0m, 1m);
                Assert.Equal(x.ShareOfProduct - x.CyclePrice, x.SynergyGain);
            });
        }
    }

    public static TheoryData<string, decimal, decimal, StageSpec[]?> Refused => new()
    {
        { "no-stages", 100m, 0.2m, [] },
        { "no-stages", 100m, 0.2m, null },
        { "member-twice-in-a-row", 100m, 0.2m, [S("a", 10m), S("b", 10m), S("b", 10m)] },
        { "invalid-amount", 100m, 0.2m, [S("a", 10m), S("b", 0m)] },
        { "invalid-amount", 100m, 0.2m, [S("a", -5m), S("b", 10m)] },
        { "invalid-amount", 100m, 0.2m, [S("a", 10.001m), S("b", 10m)] },
        { "invalid-amount", 0m, 0.2m, [S("a", 10m)] },
        { "invalid-amount", 100.005m, 0.2m, [S("a", 10m)] },
        { "invalid-discount", 100m, -0.01m, [S("a", 10m)] },
        { "invalid-discount", 100m, 1m, [S("a", 10m)] },
        { "invalid-discount", 100m, 1.5m, [S("a", 10m)] },
        { "organizer-is-last-stage", 100m, 0.2m, [S("a", 10m), S("o", 10m)] },
        { "stage-price-too-small", 100m, 0.6m, [S("a", 10m), S("b", 0.01m)] },
        { "stage-price-too-small", 100m, 0.99m, [S("a", 0.4m)] }, // 0.004 → 0.00 (0.5 would give 0.005 → 0.01)
    };

    [Theory, MemberData(nameof(Refused))]
    public void Designs_that_make_no_sense_are_refused_with_a_code(string code, decimal productValue, decimal discount, StageSpec[]? stages)
    {
        var ex = Assert.Throws<GuaranteeException>(() => SynergyMath.Validate("o", "A house", productValue, discount, stages));
        Assert.Equal(code, ex.Code);
        Assert.Equal(ErrorKind.Invalid, ex.Kind);
    }

    [Fact]
    public void The_organizer_may_take_a_stage_that_is_not_the_last()
    {
        SynergyMath.Validate("o", "A house", 100m, 0.2m, [S("o", 10m), S("a", 10m)]);
        SynergyMath.Validate("o", "A house", 100m, 0.2m, [S("a", 10m), S("b", 10m), S("a", 10m)]); // twice, not in a row
    }
}
