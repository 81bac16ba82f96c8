using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

public sealed class MemberStatusRulesTests
{
    [Fact]
    public void Founders_need_no_guarantors()
    {
        var (status, reason) = MemberStatusRules.Evaluate(isFounder: true, false, false, 0, 2, 0);
        Assert.Equal(MemberStatus.Founder, status);
        Assert.Contains("needs no guarantors", reason);
    }

    [Theory]
    [InlineData(0, "needs 2 more guarantors")]
    [InlineData(1, "needs 1 more guarantor ")]
    public void A_candidate_is_told_how_many_guarantors_it_still_needs(int guarantors, string expected)
    {
        var (status, reason) = MemberStatusRules.Evaluate(false, false, false, guarantors, 2, 0);
        Assert.Equal(MemberStatus.Candidate, status);
        Assert.Contains(expected, reason);
    }

    [Fact]
    public void Two_guarantors_make_a_member_active()
    {
        var (status, reason) = MemberStatusRules.Evaluate(false, false, false, 2, 2, 0);
        Assert.Equal(MemberStatus.Active, status);
        Assert.Contains("guaranteed by 2 members", reason);
    }

    [Fact]
    public void An_active_member_left_with_too_few_guarantors_is_suspended()
    {
        var (status, reason) = MemberStatusRules.Evaluate(false, wasEverActive: true, false, 1, 2, 0);
        Assert.Equal(MemberStatus.Suspended, status);
        Assert.Contains("needs 1 more to open new deals", reason);
        Assert.False(MemberStatusRules.CanOpenDeals(status));
    }

    [Fact]
    public void No_guarantor_and_an_unpaid_debt_expels()
    {
        var (status, reason) = MemberStatusRules.Evaluate(false, true, false, 0, 2, 12.5m);
        Assert.Equal(MemberStatus.Expelled, status);
        Assert.Contains("12.50", reason);
    }

    [Fact]
    public void The_required_number_is_a_setting()
    {
        Assert.Equal(MemberStatus.Active, MemberStatusRules.Evaluate(false, false, false, 1, 1, 0).Status);
        Assert.Equal(MemberStatus.Candidate, MemberStatusRules.Evaluate(false, false, false, 2, 3, 0).Status);
    }

    [Fact]
    public void Who_may_do_what()
    {
        Assert.True(MemberStatusRules.CanOpenDeals(MemberStatus.Founder));
        Assert.True(MemberStatusRules.CanOpenDeals(MemberStatus.Active));
        Assert.False(MemberStatusRules.CanOpenDeals(MemberStatus.Candidate));
        Assert.False(MemberStatusRules.CanGuarantee(MemberStatus.Suspended));
        Assert.True(MemberStatusRules.CanCoverAsGuarantor(MemberStatus.Suspended));
        Assert.False(MemberStatusRules.CanCoverAsGuarantor(MemberStatus.Expelled));
    }
}
