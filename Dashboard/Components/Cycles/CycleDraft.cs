using System.Globalization;
using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Dashboard.Components.Cycles;

/// <summary>One problem of a draft, for the field it is about (shown next to that field and in the summary).</summary>
public sealed record DraftProblem(string Field, string Message);

/// <summary>What a draft amounts to: its problems, or the cycle it would design (figures by <see cref="SynergyMath"/>).</summary>
public sealed record DraftCheck(IReadOnlyList<DraftProblem> Problems, CycleView? Preview, decimal? StageDiscount, decimal? ProductValue,
    IReadOnlyList<StageSpec> Stages)
{
    public bool IsValid => Problems.Count == 0 && Preview is not null;

    public string? ProblemOf(string field) => Problems.FirstOrDefault(p => p.Field == field)?.Message;
}

/// <summary>
/// The cycle designer's form as typed (text, so that a half-typed amount is a clear message rather than a lost
/// keystroke), its check, and the preview of the cycle it would design, computed with the same
/// <see cref="SynergyMath"/> the cycle grain uses. The same rules as the grain's, so a draft that passes here is
/// refused by the cluster only for what the page cannot know (a member id that does not exist or is in another
/// community).
/// </summary>
public sealed class CycleDraft
{
    public string? Product { get; set; }
    public string? ProductValue { get; set; }
    /// <summary>The organizer's own stage discount in percent; blank: the community's.</summary>
    public string? DiscountPercent { get; set; }
    public List<StageDraft> Stages { get; set; } = [new(), new()];

    public sealed class StageDraft
    {
        public string? Role { get; set; }
        public string? MemberId { get; set; }
        public string? MarketPrice { get; set; }
    }

    public static string Field(int stage, string part) => $"stage-{stage}-{part}";

    /// <summary>
    /// A draft from the designer's address, so another page can open it filled in:
    /// <c>/cycles/new?product=House&amp;value=30000&amp;discount=15&amp;stage=supplier:sam:10000&amp;stage=mason:mia:8000</c>
    /// (each stage "role:member:market price", the price optional; no stage given: two empty rows).
    /// </summary>
    public static CycleDraft FromQuery(string? product, string? value, string? discountPercent, IReadOnlyList<string>? stages)
    {
        var draft = new CycleDraft { Product = product, ProductValue = value, DiscountPercent = discountPercent };
        if (stages is { Count: > 0 })
        {
            draft.Stages = stages.Take(SynergyMath.MaxStages).Select(text =>
            {
                var parts = text.Split(':', 3);
                return new StageDraft
                {
                    Role = parts.ElementAtOrDefault(0),
                    MemberId = parts.ElementAtOrDefault(1),
                    MarketPrice = parts.ElementAtOrDefault(2),
                };
            }).ToList();
        }
        return draft;
    }

    /// <summary>A text that changes whenever the draft does: a retry of the same draft keeps its operation id.</summary>
    public string Fingerprint() => string.Join("\n", new[] { Product, ProductValue, DiscountPercent }
        .Concat(Stages.SelectMany(s => new[] { s.Role, s.MemberId, s.MarketPrice })).Select(t => t?.Trim() ?? ""));

    /// <summary>Checks every field (all problems at once) and, when there is none, previews the cycle.</summary>
    public DraftCheck Check(string organizerId, string communityId, decimal communityDiscount)
    {
        var problems = new List<DraftProblem>();
        var product = Product?.Trim() ?? "";
        if (product.Length == 0) problems.Add(new("product", "Name the product the cycle makes (for example \"A house\")."));
        else if (product.Length > MemberProfile.MaxNameLength)
            problems.Add(new("product", $"The product's name may be at most {MemberProfile.MaxNameLength} characters (it has {product.Length})."));

        var value = Amount(ProductValue, "value", "product's expected value", problems);

        decimal? ownDiscount = null;
        if (!string.IsNullOrWhiteSpace(DiscountPercent))
        {
            if (!decimal.TryParse(DiscountPercent.Trim().TrimEnd('%').Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var percent))
                problems.Add(new("discount", $"'{DiscountPercent.Trim()}' is not a percentage: write a number such as 20, or leave it empty for the community's discount."));
            else if (percent < 0 || percent >= 100)
                problems.Add(new("discount", $"The stage discount must be at least 0 % and below 100 % (got {percent.ToString(CultureInfo.InvariantCulture)} %)."));
            else ownDiscount = percent / 100m;
        }
        var discount = ownDiscount ?? communityDiscount;

        if (Stages.Count == 0) problems.Add(new("stages", "Add at least one stage."));
        if (Stages.Count > SynergyMath.MaxStages) problems.Add(new("stages", $"A cycle has at most {SynergyMath.MaxStages} stages (this one has {Stages.Count})."));
        var specs = new List<StageSpec>();
        for (var i = 0; i < Stages.Count; i++)
        {
            var s = Stages[i];
            var n = i + 1;
            var role = s.Role?.Trim() ?? "";
            if (role.Length == 0) problems.Add(new(Field(i, "role"), $"Stage {n}: say what it produces (its role, for example \"mason\")."));
            else if (role.Length > MemberProfile.MaxTagLength)
                problems.Add(new(Field(i, "role"), $"Stage {n}: the role may be at most {MemberProfile.MaxTagLength} characters."));
            var member = s.MemberId?.Trim() ?? "";
            if (member.Length == 0) problems.Add(new(Field(i, "member"), $"Stage {n}: enter the id of the member who does it."));
            else
            {
                try { Ids.Validate(member, $"member of stage {n}"); }
                catch (GuaranteeException ex) { problems.Add(new(Field(i, "member"), ex.Message)); }
            }
            var price = Amount(s.MarketPrice, Field(i, "price"), $"market price of stage {n}", problems);
            if (price is { } p) specs.Add(new StageSpec(role, member, p));
        }

        if (problems.Count == 0)
        {
            // The grain's own rules: a cycle price that rounds to zero, a member twice in a row, the organizer last...
            try
            {
                SynergyMath.Validate(organizerId, product, value!.Value, discount, specs);
            }
            catch (GuaranteeException ex)
            {
                problems.Add(new("design", ex.Message));
            }
        }
        if (problems.Count > 0) return new DraftCheck(problems, null, ownDiscount, value, specs);
        return new DraftCheck(problems, Preview(organizerId, communityId, product, value!.Value, discount, specs), ownDiscount, value, specs);
    }

    /// <summary>The cycle as it would be designed: recruiting, no stage joined, figures by <see cref="SynergyMath"/>.</summary>
    public static CycleView Preview(string organizerId, string communityId, string product, decimal productValue, decimal discount,
        IReadOnlyList<StageSpec> stages)
    {
        var figures = SynergyMath.Compute(stages.Select(s => s.MarketPrice).ToList(), discount, productValue);
        var views = stages.Select((s, i) => new StageView(i, s.Role.Trim(), s.MemberId, s.MarketPrice, figures[i].CyclePrice, figures[i].Saving,
            figures[i].CumulativeSaving, figures[i].Share, figures[i].ShareOfProduct, figures[i].SynergyGain, false, "waiting", null, null, null)).ToList();
        return new CycleView("preview", communityId, organizerId, product, productValue, discount, CycleState.Recruiting, 0, views,
            stages.Sum(s => s.MarketPrice), figures.Sum(f => f.CyclePrice), [], [], 0, DateTimeOffset.UtcNow, null, []);
    }

    private static decimal? Amount(string? text, string field, string what, List<DraftProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            problems.Add(new(field, $"Enter the {what}."));
            return null;
        }
        if (!decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount))
        {
            problems.Add(new(field, $"'{text.Trim()}' is not an amount: write the {what} like 8000 or 8000.50."));
            return null;
        }
        try
        {
            Money.Validate(amount, what);
        }
        catch (GuaranteeException ex)
        {
            problems.Add(new(field, ex.Message));
            return null;
        }
        return amount;
    }
}
