namespace OrleansGuarantee.Domain;

/// <summary>Splits an amount of money into cents in proportion to weights, so that the parts sum exactly.</summary>
public static class Apportion
{
    /// <summary>
    /// Splits <paramref name="amount"/> (whole cents) in proportion to <paramref name="weights"/> by the
    /// largest-remainder method. No part exceeds its weight when <paramref name="capByWeight"/> is set
    /// (then the amount must not exceed the sum of the weights). Ties go to the earlier index.
    /// </summary>
    public static decimal[] ByWeights(decimal amount, IReadOnlyList<decimal> weights, bool capByWeight = false)
    {
        if (amount < 0) throw new ArgumentOutOfRangeException(nameof(amount), "The amount to split cannot be negative.");
        if (amount != decimal.Round(amount, 2)) throw new ArgumentException("The amount to split must be whole cents.", nameof(amount));
        var parts = new decimal[weights.Count];
        var total = 0m;
        foreach (var w in weights)
        {
            if (w < 0) throw new ArgumentOutOfRangeException(nameof(weights), "Weights cannot be negative.");
            total += w;
        }
        if (amount == 0) return parts;
        if (total == 0) throw new ArgumentException("Cannot split a positive amount over weights that sum to zero.", nameof(weights));
        if (capByWeight && amount > total) throw new ArgumentException("The amount exceeds the sum of the caps.", nameof(amount));

        var cents = (long)(amount * 100);
        var remainders = new (decimal Fraction, int Index)[weights.Count];
        long given = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            var exact = cents * weights[i] / total;          // in cents
            var floor = decimal.Floor(exact);
            parts[i] = floor / 100m;
            given += (long)floor;
            remainders[i] = (exact - floor, i);
        }
        var left = cents - given;
        foreach (var (_, index) in remainders.OrderByDescending(r => r.Fraction).ThenBy(r => r.Index))
        {
            if (left == 0) break;
            if (capByWeight && parts[index] + 0.01m > weights[index]) continue;
            if (!capByWeight && weights[index] == 0) continue;
            parts[index] += 0.01m;
            left--;
        }
        // With caps, every cent has a home: each part is below its cap by at least its remainder.
        if (left != 0) throw new InvalidOperationException("Could not place every cent within the caps.");
        return parts;
    }
}
