using OrleansGuarantee.Infrastructure;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// Thousands of random operations (deposits, withdrawals, guarantees, deals accepted, confirmed,
/// cancelled), with repeated operation ids, concurrent batches and injected crashes; afterwards the
/// ledger invariants of rules 7, 8 and 10 must hold exactly.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LedgerPropertyTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int Operations = 2400;
    private const int BatchSize = 12;

    [Theory]
    [InlineData(20261127)]
    [InlineData(42)]
    public async Task Random_operations_keep_the_ledger_invariants(int seed)
    {
        var random = new Random(seed);
        var c = await TestCommunity.CreateAsync(fixture.Client, founderDeposit: 0);
        var members = new List<string>(c.Founders);
        for (var i = 0; i < 24; i++)
        {
            var m = await c.SignUpAsync($"p{i}");
            members.Add(m);
            if (i < 18) // most start active; the rest must find guarantors among the others
                foreach (var f in c.Founders.OrderBy(_ => random.Next()).Take(2)) await c.GuaranteeAsync(f, m, 400m);
        }

        var deposits = new System.Collections.Concurrent.ConcurrentDictionary<(string Member, string Op), decimal>();
        var withdrawals = new System.Collections.Concurrent.ConcurrentDictionary<(string Member, string Op), decimal>();
        var sentOps = new List<(string Member, string Op, decimal Amount, bool Deposit)>();
        var deals = new List<string>();
        var guarantees = new List<(string Guarantor, string Ward)>();
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();

        // Founders start with money, so there is cover to go around.
        foreach (var f in c.Founders)
        {
            await c.Member(f).Deposit($"seed-{f}", 5000m);
            deposits[(f, $"seed-{f}")] = 5000m;
        }

        string Pick() => members[random.Next(members.Count)];
        decimal Amount(int maxCents) => random.Next(1, maxCents) / 100m;

        Func<Task> NextOperation()
        {
            var roll = random.Next(100);
            if (roll < 18)
            {
                var (m, op, amount) = sentOps.Count > 0 && random.Next(4) == 0 && sentOps[random.Next(sentOps.Count)] is { Deposit: true } again
                    ? (again.Member, again.Op, again.Amount)
                    : (Pick(), TestCommunity.Unique("dep"), Amount(100_000));
                lock (sentOps) sentOps.Add((m, op, amount, true));
                return async () => { await c.Member(m).Deposit(op, amount); deposits[(m, op)] = amount; };
            }
            if (roll < 28)
            {
                var (m, op, amount) = sentOps.Count > 0 && random.Next(4) == 0 && sentOps[random.Next(sentOps.Count)] is { Deposit: false } again
                    ? (again.Member, again.Op, again.Amount)
                    : (Pick(), TestCommunity.Unique("wd"), Amount(50_000));
                lock (sentOps) sentOps.Add((m, op, amount, false));
                return async () => { await c.Member(m).Withdraw(op, amount); withdrawals[(m, op)] = amount; };
            }
            if (roll < 45)
            {
                var (g, w) = (Pick(), Pick());
                var limit = Amount(80_000);
                return async () =>
                {
                    var grain = c.GuaranteeBetween(w, g);
                    await grain.Request(TestCommunity.Unique("rq"), w, g);
                    await grain.Accept(TestCommunity.Unique("ac"), g, w, limit);
                    lock (guarantees) guarantees.Add((g, w));
                };
            }
            if (roll < 49 && guarantees.Count > 0)
            {
                var (g, w) = guarantees[random.Next(guarantees.Count)];
                return () => c.GuaranteeBetween(w, g).Withdraw(g, w);
            }
            if (roll < 64)
            {
                var (p, q) = (Pick(), Pick());
                var proposer = random.Next(2) == 0 ? p : q;
                var value = Amount(40_000);
                return async () =>
                {
                    var deal = await c.ProposeAsync(proposer, p, q, value);
                    lock (deals) deals.Add(deal.Id);
                };
            }
            if (deals.Count == 0) return () => Task.CompletedTask;
            var dealId = deals[random.Next(deals.Count)];
            var party = random.Next(2);
            var crash = random.Next(100) < 20;
            var point = random.Next(2) == 0 ? FaultPoints.DealHoldPlacing : FaultPoints.DealAcceptPlanned;
            if (roll < 80)
                return async () =>
                {
                    var view = await c.Deal(dealId).Get();
                    if (crash) ClusterFixture.Faults.Arm(point, dealId);
                    try { await c.Deal(dealId).Accept(party == 0 ? view.ProviderId : view.ConsumerId); }
                    finally { ClusterFixture.Faults.Disarm(point, dealId); }
                };
            if (roll < 95)
                return async () =>
                {
                    var view = await c.Deal(dealId).Get();
                    if (crash) ClusterFixture.Faults.Arm(FaultPoints.DealReleasing, dealId);
                    try { await c.Deal(dealId).Confirm(party == 0 ? view.ProviderId : view.ConsumerId); }
                    finally { ClusterFixture.Faults.Disarm(FaultPoints.DealReleasing, dealId); }
                };
            if (roll < 97)
                return () => fixture.Cluster.DeactivateAsync(c.Deal(dealId)); // a crash of the deal's activation
            return async () =>
            {
                var view = await c.Deal(dealId).Get();
                await c.Deal(dealId).Cancel(party == 0 ? view.ProviderId : view.ConsumerId);
            };
        }

        async Task Run(Func<Task> operation)
        {
            try
            {
                await operation();
                outcomes.AddOrUpdate("ok", 1, (_, n) => n + 1);
            }
            catch (GuaranteeException ex)
            {
                outcomes.AddOrUpdate(ex.Code, 1, (_, n) => n + 1);
            }
            catch (Exception ex) when (ex.ToString().Contains(nameof(InjectedFaultException)) || ex.Message.Contains("Injected fault"))
            {
                outcomes.AddOrUpdate("injected-fault", 1, (_, n) => n + 1);
            }
        }

        for (var done = 0; done < Operations; done += BatchSize)
        {
            var batch = Enumerable.Range(0, BatchSize).Select(_ => NextOperation()).ToList();
            await Task.WhenAll(batch.Select(Run));
        }

        // Recovery: every deal's activation is dropped and read again, which resumes any pending steps.
        foreach (var dealId in deals)
        {
            await fixture.Cluster.DeactivateAsync(c.Deal(dealId));
            await c.Deal(dealId).Get();
        }

        output.WriteLine(string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key}: {o.Value}")));
        Assert.True(outcomes.Values.Sum() >= Operations);
        Assert.True(outcomes.GetValueOrDefault("ok") > Operations / 4, "most operations should succeed, or the test proves little");

        // Invariants.
        var views = new Dictionary<string, MemberView>();
        foreach (var m in members) views[m] = await c.Member(m).Get();
        var dealViews = new Dictionary<string, DealView>();
        foreach (var d in deals) dealViews[d] = await c.Deal(d).Get();

        var deposited = deposits.Values.Sum();
        var withdrawn = withdrawals.Values.Sum();
        Assert.Equal(deposited - withdrawn, views.Values.Sum(v => v.Deposit.Balance));
        Assert.Equal(deposited, views.Values.Sum(v => v.Deposit.Deposited));
        Assert.Equal(withdrawn, views.Values.Sum(v => v.Deposit.Withdrawn));
        foreach (var v in views.Values)
        {
            Assert.InRange(v.Deposit.Held, 0m, v.Deposit.Balance);
            foreach (var ward in v.Wards) Assert.True(ward.Held <= ward.Limit, $"{v.Id} holds {ward.Held} for {ward.MemberId} over its limit {ward.Limit}");
            foreach (var hold in v.Holds)
            {
                var deal = dealViews[hold.DealId];
                Assert.True(deal.State is DealState.Accepted or DealState.Delivered,
                    $"{v.Id} still holds {hold.Amount} for deal {deal.Id}, which is {deal.State}");
                Assert.Contains(deal.Cover, h => h.HoldId == hold.HoldId && h.MemberId == v.Id && h.Amount == hold.Amount);
            }
        }
        foreach (var deal in dealViews.Values)
        {
            Assert.DoesNotContain(deal.State, new[] { DealState.Accepting, DealState.Completing });
            if (deal.State is DealState.Accepted or DealState.Delivered)
                foreach (var h in deal.Cover)
                    Assert.Contains(views[h.MemberId].Holds, x => x.HoldId == h.HoldId && x.Amount == h.Amount);
        }
        output.WriteLine(string.Join(", ", dealViews.Values.GroupBy(d => d.State).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.Contains(dealViews.Values, d => d.State == DealState.Completed);
        Assert.Contains(dealViews.Values, d => d.State is DealState.Accepted or DealState.Delivered);
    }
}
