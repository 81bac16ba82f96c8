using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

public sealed class ApportionTests
{
    [Fact]
    public void Splits_in_proportion_when_exact()
    {
        Assert.Equal([25m, 75m], Apportion.ByWeights(100m, [1m, 3m]));
    }

    [Fact]
    public void Parts_always_sum_to_the_amount_with_largest_remainders_first()
    {
        var parts = Apportion.ByWeights(0.10m, [1m, 1m, 1m]);
        Assert.Equal(0.10m, parts.Sum());
        Assert.Equal([0.04m, 0.03m, 0.03m], parts); // ties go to the earlier index
    }

    [Fact]
    public void Capped_parts_never_exceed_their_weight()
    {
        var weights = new[] { 0.01m, 0.02m, 99.97m };
        var parts = Apportion.ByWeights(100m, weights, capByWeight: true);
        Assert.Equal(weights, parts);
    }

    [Fact]
    public void Random_splits_sum_exactly_and_respect_caps()
    {
        var random = new Random(7);
        for (var run = 0; run < 2000; run++)
        {
            var weights = Enumerable.Range(0, random.Next(1, 8)).Select(_ => random.Next(0, 100_000) / 100m).ToArray();
            var total = weights.Sum();
            if (total == 0) continue;
            var amount = Math.Min(total, random.Next(0, 200_000) / 100m);
            var parts = Apportion.ByWeights(amount, weights, capByWeight: true);
            Assert.Equal(amount, parts.Sum());
            for (var i = 0; i < weights.Length; i++)
            {
                Assert.InRange(parts[i], 0m, weights[i]);
                Assert.Equal(parts[i], decimal.Round(parts[i], 2));
            }
        }
    }

    [Fact]
    public void Refuses_amounts_it_cannot_place()
    {
        Assert.Throws<ArgumentException>(() => Apportion.ByWeights(10m, [1m, 2m], capByWeight: true));
        Assert.Throws<ArgumentException>(() => Apportion.ByWeights(1m, [0m, 0m]));
        Assert.Throws<ArgumentException>(() => Apportion.ByWeights(1.001m, [1m]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Apportion.ByWeights(-1m, [1m]));
    }
}
