namespace OrleansGuarantee.Tests.Domain;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("1.001")]
    [InlineData("1000000000000.01")]
    public void Bad_amounts_are_refused_with_a_reason(string amount)
    {
        var ex = Assert.Throws<GuaranteeException>(() => Money.Validate(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("invalid-amount", ex.Code);
        Assert.Equal(ErrorKind.Invalid, ex.Kind);
    }

    [Theory]
    [InlineData("0.01")]
    [InlineData("12.5")]
    [InlineData("1000000000000")]
    public void Good_amounts_pass(string amount) =>
        Money.Validate(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/")]
    [InlineData("pipe|")]
    public void Bad_ids_are_refused(string id) =>
        Assert.Equal("invalid-id", Assert.Throws<GuaranteeException>(() => Ids.Validate(id, "member")).Code);

    [Fact]
    public void Ids_have_at_most_64_characters()
    {
        Ids.Validate(new string('a', 64), "member");
        Assert.Throws<GuaranteeException>(() => Ids.Validate(new string('a', 65), "member"));
    }

    [Fact]
    public void Settings_are_validated()
    {
        CommunitySettings.Default.Validate();
        foreach (var bad in new[]
        {
            CommunitySettings.Default with { RequiredGuarantors = 0 },
            CommunitySettings.Default with { CoverageRatio = 0 },
            CommunitySettings.Default with { CoverageRatio = 10.5m },
            CommunitySettings.Default with { StageDiscount = 1 },
            CommunitySettings.Default with { StageDiscount = -0.1m },
            CommunitySettings.Default with { VerdictWindowSeconds = 0 },
            CommunitySettings.Default with { MaxArbitrationLevels = 1 },
        })
            Assert.Equal("invalid-settings", Assert.Throws<GuaranteeException>(bad.Validate).Code);
    }

    [Fact]
    public void The_defaults_are_those_of_the_brief()
    {
        var d = CommunitySettings.Default;
        Assert.Equal(2, d.RequiredGuarantors);
        Assert.Equal(1.0m, d.CoverageRatio);
        Assert.Equal(0.20m, d.StageDiscount);
        Assert.Equal(259_200, d.VerdictWindowSeconds);
        Assert.Equal(259_200, d.AppealWindowSeconds);
        Assert.Equal(6, d.MaxArbitrationLevels);
    }

    [Fact]
    public void Deal_ids_are_stable_per_proposer_and_operation()
    {
        Assert.Equal(DealIds.For("alice", "op-1"), DealIds.For("alice", "op-1"));
        Assert.NotEqual(DealIds.For("alice", "op-1"), DealIds.For("bob", "op-1"));
        Ids.Validate(DealIds.For("alice", "op-1"), "deal");
    }
}
