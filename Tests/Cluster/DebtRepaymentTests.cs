namespace OrleansGuarantee.Tests.Cluster;

/// <summary>Rule 16: a member repays what its guarantors paid for it; money moves once and the debt shrinks by the same amount.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DebtRepaymentTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    [Fact]
    public async Task A_member_repays_its_guarantors_from_free_balance_once_per_operation_and_never_more_than_it_owes()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var (f0, f1, f2) = (c.Founders[0], c.Founders[1], c.Founders[2]);
        var p = await c.ActiveMemberAsync("p", deposit: 100m, limit: 500m);

        // A 300 deal: P's own 100, then 100 from each guarantor. P admits a 300 claim, so the guarantors pay 100 each.
        var deal = await c.ProposeAsync(p, p, f2, 300m);
        await c.Deal(deal.Id).Accept(f2);
        await c.Deal(deal.Id).FileClaim(f2, TestCommunity.Unique("claim"), 300m, "nothing delivered");
        var settled = await c.Deal(deal.Id).AdmitClaim(p);
        Assert.Equal(DealState.Settled, settled.State);
        var debts = (await c.Member(p).Get()).Debts.ToDictionary(d => d.ToMemberId, d => d.Amount);
        Assert.Equal(new Dictionary<string, decimal> { [f0] = 100m, [f1] = 100m }, debts);

        await c.Member(p).Deposit(TestCommunity.Unique("dep"), 150m);
        var f0Before = (await c.AccountOf(f0)).Balance;
        var op = TestCommunity.Unique("repay");
        var repayment = Grains.GetGrain<IDebtRepaymentGrain>(RepaymentIds.For(p, op));
        var first = await repayment.Execute(p, f0, 60m);
        var again = await repayment.Execute(p, f0, 60m); // a retry of the same operation
        Assert.Equal(first, again);
        Assert.True(first.Completed);
        Assert.Equal(f0Before + 60m, (await c.AccountOf(f0)).Balance);
        Assert.Equal(90m, (await c.AccountOf(p)).Balance); // 100 + 150 deposited - 100 paid from its own hold - 60 repaid
        Assert.Equal(40m, (await c.Member(p).Get()).Debts.Single(d => d.ToMemberId == f0).Amount);

        Assert.Equal("operation-id-reused", await TestCommunity.CodeOf(() => repayment.Execute(p, f0, 10m)));
        Assert.Equal("above-debt", await TestCommunity.CodeOf(() => Repay(p, f0, 40.01m)));
        Assert.Equal("no-debt", await TestCommunity.CodeOf(() => Repay(p, f2, 1m)));
        Assert.Equal("insufficient-funds", await TestCommunity.CodeOf(() => Repay(p, f1, 100m))); // only 90 is free

        // Paying off the whole of a debt removes it.
        await Repay(p, f0, 40m);
        Assert.DoesNotContain((await c.Member(p).Get()).Debts, d => d.ToMemberId == f0);

        var totals = await Grains.GetGrain<ICommunityGrain>(c.Id).GetTotals(refresh: true);
        Assert.Equal(totals.Deposited - totals.Withdrawn, totals.SumOfBalances);
        Assert.Equal(0m, totals.SumOfHeld);
    }

    private Task<RepaymentView> Repay(string member, string to, decimal amount) =>
        Grains.GetGrain<IDebtRepaymentGrain>(RepaymentIds.For(member, TestCommunity.Unique("repay"))).Execute(member, to, amount);
}
