namespace OrleansGuarantee.Domain;

/// <summary>One stage's figures.</summary>
public sealed record StageFigures(decimal MarketPrice, decimal CyclePrice, decimal Saving, decimal CumulativeSaving, decimal Share, decimal ShareOfProduct, decimal SynergyGain);

/// <summary>
/// Rules 18-19: cycle price = market price × (1 − discount) in cents; the saving accumulates along the chain;
/// share = contribution / sum of contributions (six decimals, summing to exactly 1); a stage's part of the
/// product = the product value split in proportion to the contributions (cents, summing to exactly the
/// value); synergy gain = that part − the contribution.
/// </summary>
public static class SynergyMath
{
    public const int MaxStages = 100;

    public static decimal CyclePrice(decimal marketPrice, decimal discount) => Money.Cents(marketPrice * (1 - discount));

    public static IReadOnlyList<StageFigures> Compute(IReadOnlyList<decimal> marketPrices, decimal discount, decimal productValue)
    {
        var cyclePrices = marketPrices.Select(p => CyclePrice(p, discount)).ToList();
        // Shares in millionths: split 1,000,000 units as "cents" of 10,000.00, then scale back.
        var shareUnits = Apportion.ByWeights(10_000m, cyclePrices);
        var parts = Apportion.ByWeights(productValue, cyclePrices);
        var figures = new List<StageFigures>();
        var cumulative = 0m;
        for (var i = 0; i < marketPrices.Count; i++)
        {
            var saving = marketPrices[i] - cyclePrices[i];
            cumulative += saving;
            figures.Add(new StageFigures(marketPrices[i], cyclePrices[i], saving, cumulative, shareUnits[i] / 10_000m, parts[i], parts[i] - cyclePrices[i]));
        }
        return figures;
    }

    /// <summary>Refuses designs that make no sense, with an error naming the first problem.</summary>
    public static void Validate(string organizerId, string product, decimal productValue, decimal discount, IReadOnlyList<StageSpec>? stages)
    {
        Ids.ValidateText(product, "product", MemberProfile.MaxNameLength, required: true);
        Money.Validate(productValue, "productValue");
        if (discount < 0 || discount >= 1)
            throw GuaranteeException.Invalid("invalid-discount", $"The stage discount must be at least 0 and below 1 (got {discount}).");
        if (stages is null || stages.Count == 0)
            throw GuaranteeException.Invalid("no-stages", "A cycle needs at least one stage.");
        if (stages.Count > MaxStages)
            throw GuaranteeException.Invalid("too-many-stages", $"A cycle has at most {MaxStages} stages (got {stages.Count}).");
        for (var i = 0; i < stages.Count; i++)
        {
            var stage = stages[i] ?? throw GuaranteeException.Invalid("missing-field", $"Stage {i + 1} is missing.");
            Ids.ValidateText(stage.Role, $"role of stage {i + 1}", MemberProfile.MaxTagLength, required: true);
            Ids.Validate(stage.MemberId, $"member of stage {i + 1}");
            if (stage.MarketPrice <= 0)
                throw GuaranteeException.Invalid("invalid-amount", $"The market price of stage {i + 1} must be greater than zero (got {stage.MarketPrice}).");
            Money.Validate(stage.MarketPrice, $"market price of stage {i + 1}");
            if (CyclePrice(stage.MarketPrice, discount) <= 0)
                throw GuaranteeException.Invalid("stage-price-too-small",
                    $"Stage {i + 1}'s cycle price rounds to zero ({stage.MarketPrice} less {discount:P0}); raise its market price.");
            if (i > 0 && stages[i - 1]?.MemberId == stage.MemberId)
                throw GuaranteeException.Invalid("member-twice-in-a-row",
                    $"{stage.MemberId} takes stages {i} and {i + 1} in a row; a stage passes its work to another member.");
        }
        if (stages[^1].MemberId == organizerId)
            throw GuaranteeException.Invalid("organizer-is-last-stage",
                "The last stage delivers to the organizer, so the organizer cannot take the last stage.");
    }
}
