using OrleansGuarantee.Infrastructure;

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

    /// <summary>P (deposit 100, guaranteed by the first two founders) admits a 300 claim: it owes each of them 100.</summary>
    private async Task<(TestCommunity C, string P, string F0)> DebtorAsync()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var p = await c.ActiveMemberAsync("p", deposit: 100m, limit: 500m);
        var deal = await c.ProposeAsync(p, p, c.Founders[2], 300m);
        await c.Deal(deal.Id).Accept(c.Founders[2]);
        await c.Deal(deal.Id).FileClaim(c.Founders[2], TestCommunity.Unique("claim"), 300m, "nothing delivered");
        await c.Deal(deal.Id).AdmitClaim(p);
        Assert.Equal(100m, (await c.Member(p).Get()).Debts.Single(d => d.ToMemberId == c.Founders[0]).Amount);
        return (c, p, c.Founders[0]);
    }

    [Fact]
    public async Task Several_repayments_of_the_whole_debt_at_once_move_it_once()
    {
        var (c, p, f0) = await DebtorAsync();
        await c.Member(p).Deposit(TestCommunity.Unique("dep"), 1_000m);
        var (pBefore, f0Before) = ((await c.AccountOf(p)).Balance, (await c.AccountOf(f0)).Balance);

        // Each checks the debt before any has reduced it; the debtor lets only one of them take it.
        var attempts = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            try { return (await Repay(p, f0, 100m)).Completed ? "ok" : "pending"; }
            catch (GuaranteeException ex) { return ex.Code; }
        }));

        Assert.Single(attempts, a => a == "ok");
        Assert.All(attempts.Where(a => a != "ok"), a => Assert.Contains(a, new[] { "repayment-refused", "no-debt" }));
        Assert.Equal(f0Before + 100m, (await c.AccountOf(f0)).Balance);
        Assert.Equal(pBefore - 100m, (await c.AccountOf(p)).Balance);
        Assert.DoesNotContain((await c.Member(p).Get()).Debts, d => d.ToMemberId == f0);
    }

    [Fact]
    public async Task A_repayment_whose_money_left_after_the_debt_was_reduced_moves_nothing_and_the_debt_is_owed_again()
    {
        var (c, p, f0) = await DebtorAsync();
        await c.Member(p).Deposit(TestCommunity.Unique("dep"), 60m);
        var f0Before = (await c.AccountOf(f0)).Balance;
        var id = RepaymentIds.For(p, TestCommunity.Unique("repay"));
        var repayment = Grains.GetGrain<IDebtRepaymentGrain>(id);

        // A crash between the two steps: the debt is reduced, the money has not moved yet.
        ClusterFixture.Faults.Arm(FaultPoints.RepaymentDebtReduced, id);
        await Assert.ThrowsAnyAsync<Exception>(() => repayment.Execute(p, f0, 60m));
        Assert.Equal(40m, (await c.Member(p).Get()).Debts.Single(d => d.ToMemberId == f0).Amount);

        // Meanwhile the money leaves: when the repayment resumes, its transfer is refused and the debt is restored.
        await c.Member(p).Withdraw(TestCommunity.Unique("wd"), 60m);
        await fixture.Cluster.DeactivateAsync(repayment);
        Assert.True((await repayment.Get())!.Completed);
        Assert.Equal("repayment-refused", await TestCommunity.CodeOf(() => repayment.Execute(p, f0, 60m)));
        Assert.Equal(100m, (await c.Member(p).Get()).Debts.Single(d => d.ToMemberId == f0).Amount);
        Assert.Equal(0m, (await c.AccountOf(p)).Balance);
        Assert.Equal(f0Before, (await c.AccountOf(f0)).Balance);
    }

    private Task<RepaymentView> Repay(string member, string to, decimal amount) =>
        Grains.GetGrain<IDebtRepaymentGrain>(RepaymentIds.For(member, TestCommunity.Unique("repay"))).Execute(member, to, amount);
}
