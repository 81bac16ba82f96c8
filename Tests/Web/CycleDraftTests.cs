using OrleansGuarantee.Dashboard.Components.Cycles;
using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Web;

/// <summary>The cycle designer's form: every problem named for its field, and a preview with SynergyMath's figures.</summary>
public sealed class CycleDraftTests
{
    private static CycleDraft Draft(params string[] stages) => CycleDraft.FromQuery("A house", "30000", null, stages);

    [Fact]
    public void A_complete_draft_previews_the_cycle_with_the_figures_of_SynergyMath_at_the_community_discount()
    {
        var check = Draft("supplier:sam:10000", "mason:mia:8000", "carpenter:carl:6000", "engineer:eve:4000").Check("olga", "c1", 0.20m);

        Assert.True(check.IsValid, string.Join("; ", check.Problems.Select(p => p.Message)));
        Assert.Null(check.StageDiscount); // the community's, decided by the grain
        var preview = check.Preview!;
        var f = SynergyMath.Compute([10_000m, 8_000m, 6_000m, 4_000m], 0.20m, 30_000m);
        Assert.Equal(f.Select(x => x.CyclePrice), preview.Stages.Select(s => s.CyclePrice));
        Assert.Equal(f.Select(x => x.CumulativeSaving), preview.Stages.Select(s => s.CumulativeSaving));
        Assert.Equal(f.Select(x => x.Share), preview.Stages.Select(s => s.Share));
        Assert.Equal(f.Select(x => x.SynergyGain), preview.Stages.Select(s => s.SynergyGain));
        Assert.Equal(["sam", "mia", "carl", "eve"], preview.Stages.Select(s => s.MemberId));
        Assert.Equal((28_000m, 22_400m), (preview.TotalMarketPrice, preview.TotalCyclePrice));

        // The organizer's own discount, in percent.
        var own = CycleDraft.FromQuery("A house", "30000", "15", ["supplier:sam:10000", "mason:mia:8000"]).Check("olga", "c1", 0.20m);
        Assert.Equal(0.15m, own.StageDiscount);
        Assert.Equal([8_500m, 6_800m], own.Preview!.Stages.Select(s => s.CyclePrice));
    }

    [Fact]
    public void Every_bad_field_gets_its_own_clear_message_and_no_preview()
    {
        var draft = CycleDraft.FromQuery("", "abc", "120", ["supplier:sam:-5", ":bad id!:", "mason:mia:1.005"]);
        var check = draft.Check("olga", "c1", 0.20m);

        Assert.False(check.IsValid);
        Assert.Null(check.Preview);
        Assert.Contains("Name the product", check.ProblemOf("product"));
        Assert.Equal("'abc' is not an amount: write the product's expected value like 8000 or 8000.50.", check.ProblemOf("value"));
        Assert.Equal("The stage discount must be at least 0 % and below 100 % (got 120 %).", check.ProblemOf("discount"));
        Assert.Equal("The market price of stage 1 must be greater than zero (got -5).", check.ProblemOf(CycleDraft.Field(0, "price")));
        Assert.Contains("Stage 2: say what it produces", check.ProblemOf(CycleDraft.Field(1, "role")));
        Assert.Contains("The member of stage 2 id must be 1-64 characters", check.ProblemOf(CycleDraft.Field(1, "member")));
        Assert.Equal("Enter the market price of stage 2.", check.ProblemOf(CycleDraft.Field(1, "price")));
        Assert.Equal("The market price of stage 3 may have at most 2 decimal places (got 1.005).", check.ProblemOf(CycleDraft.Field(2, "price")));
        Assert.Null(check.ProblemOf(CycleDraft.Field(0, "member")));
    }

    [Fact]
    public void The_grains_own_rules_are_checked_once_every_field_reads_well()
    {
        // The organizer cannot take the last stage; a member cannot take two stages in a row.
        var last = Draft("supplier:sam:100", "mason:olga:100").Check("olga", "c1", 0.20m);
        Assert.Equal("The last stage delivers to the organizer, so the organizer cannot take the last stage.", last.ProblemOf("design"));
        var twice = Draft("supplier:sam:100", "mason:sam:100").Check("olga", "c1", 0.20m);
        Assert.Contains("sam takes stages 1 and 2 in a row", twice.ProblemOf("design"));
        Assert.False(twice.IsValid);
    }

    [Fact]
    public void The_fingerprint_changes_with_any_field_so_only_the_same_submission_keeps_its_operation_id()
    {
        var a = Draft("supplier:sam:100", "mason:mia:100");
        var b = Draft("supplier:sam:100", "mason:mia:100");
        Assert.Equal(a.Fingerprint(), b.Fingerprint());
        b.Stages[1].MarketPrice = "101";
        Assert.NotEqual(a.Fingerprint(), b.Fingerprint());
    }
}
