namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// Claims and arbitration through the grains (rules 12-16): an admitted claim, disputes decided, tied,
/// timed out, appealed up a generated hierarchy to the founders' council, the appeal window passing; the
/// money of every settlement (conserved, paid level by level, debts); refusals that change nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ArbitrationTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    private static Task<string> Code(Func<Task> action) => TestCommunity.CodeOf(action);

    // ---- A community whose every member and every deposit is known ------------------------------

    private sealed class World(TestCommunity c)
    {
        private readonly object _gate = new();

        public TestCommunity C { get; } = c;
        public List<string> Members { get; } = [.. c.Founders];
        public decimal Deposited { get; private set; } = 3 * 10_000m; // TestCommunity's founder deposits
        public decimal Withdrawn { get; private set; }

        /// <summary>An id at the 64-character limit, so anything built from member ids must still fit.</summary>
        public static string LongId(string prefix) => $"{prefix}-{Guid.NewGuid():N}{Guid.NewGuid():N}"[..64];

        public async Task<string> JoinAsync(string id, decimal deposit, params (string Guarantor, decimal Limit)[] guarantors)
        {
            await C.Member(id).SignUp(C.Id, new MemberProfile($"Member {id[..Math.Min(12, id.Length)]}", ["masonry"], []), null);
            lock (_gate) Members.Add(id);
            if (deposit > 0)
            {
                await C.Member(id).Deposit(TestCommunity.Unique("dep"), deposit);
                lock (_gate) Deposited += deposit;
            }
            foreach (var (guarantor, limit) in guarantors) await C.GuaranteeAsync(guarantor, id, limit);
            return id;
        }

        public async Task WithdrawAsync(string member, decimal amount)
        {
            await C.Member(member).Withdraw(TestCommunity.Unique("wd"), amount);
            lock (_gate) Withdrawn += amount;
        }

        public async Task<Dictionary<string, decimal>> BalancesAsync()
        {
            var members = Members.ToList();
            var accounts = await Task.WhenAll(members.Select(C.AccountOf));
            return members.Zip(accounts).ToDictionary(x => x.First, x => x.Second.Balance, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// founders → B (8, each guaranteed by 2 founders) → A (4; A[j] by B[2j], B[2j+1]) → the parties
    /// (provider by A0, A1; consumer by A2, A3). Level 1 sits A, level 2 sits B, level 3 only founders: the council.
    /// </summary>
    private sealed record Tree(World W, string Provider, string Consumer, string[] A, string[] B)
    {
        public TestCommunity C => W.C;
    }

    private async Task<Tree> TreeAsync(CommunitySettings? settings = null, decimal providerDeposit = 1_000m, decimal consumerDeposit = 1_000m,
        decimal[]? aLimits = null, decimal aDeposit = 1_000m, decimal[]? bLimits = null, decimal bDeposit = 1_000m)
    {
        aLimits ??= [1_000m, 1_000m, 1_000m, 1_000m];
        bLimits ??= Enumerable.Repeat(1_000m, 8).ToArray();
        var w = new World(await TestCommunity.CreateAsync(Grains, settings));
        var f = w.C.Founders;
        var b = Enumerable.Range(0, 8).Select(j => World.LongId($"b{j}")).ToArray();
        await Task.WhenAll(b.Select((id, j) => w.JoinAsync(id, bDeposit, (f[j % 3], 5_000m), (f[(j + 1) % 3], 5_000m))));
        var a = Enumerable.Range(0, 4).Select(j => World.LongId($"a{j}")).ToArray();
        await Task.WhenAll(a.Select((id, j) => w.JoinAsync(id, aDeposit, (b[2 * j], bLimits[2 * j]), (b[2 * j + 1], bLimits[2 * j + 1]))));
        var provider = TestCommunity.Unique("prov");
        var consumer = TestCommunity.Unique("cons");
        await Task.WhenAll(
            w.JoinAsync(provider, providerDeposit, (a[0], aLimits[0]), (a[1], aLimits[1])),
            w.JoinAsync(consumer, consumerDeposit, (a[2], aLimits[2]), (a[3], aLimits[3])));
        return new Tree(w, provider, consumer, a, b);
    }

    private static async Task<DealView> CoveredDealAsync(TestCommunity c, string provider, string consumer, decimal value)
    {
        var deal = await c.ProposeAsync(consumer, provider, consumer, value);
        var accepted = await c.Deal(deal.Id).Accept(provider);
        Assert.Equal(DealState.Accepted, accepted.State);
        return accepted;
    }

    private IArbitrationCaseGrain Case(string dealId) => Grains.GetGrain<IArbitrationCaseGrain>(CaseIds.For(dealId));

    private static string[] Sorted(IEnumerable<string> ids) => ids.Order(StringComparer.Ordinal).ToArray();

    private static int Majority(int panel) => panel / 2 + 1;

    /// <summary>The first <paramref name="count"/> judges of the current panel vote the same fault, all at once.</summary>
    private static async Task<CaseView> VoteAsync(IArbitrationCaseGrain grain, int count, Fault fault, decimal compensation, decimal? share = null)
    {
        var view = await grain.Get();
        var panel = view.Levels[^1].Panel;
        await Task.WhenAll(panel.Take(count).Select(j => grain.Vote(j, fault, share, compensation)));
        return await grain.Get();
    }

    private static async Task WaitPastAsync(DateTimeOffset deadline)
    {
        var wait = deadline - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(150);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
    }

    // ---- Money checks ---------------------------------------------------------------------------

    /// <summary>Rule 7 after a settlement: Σ balances = deposited − withdrawn, both summed over the members and in the directory; nothing is held.</summary>
    private async Task AssertMoneyKeptAsync(World w)
    {
        var accounts = await Task.WhenAll(w.Members.Select(w.C.AccountOf));
        Assert.Equal(w.Deposited - w.Withdrawn, accounts.Sum(a => a.Balance));
        Assert.Equal(0m, accounts.Sum(a => a.Held));
        var totals = await Grains.GetGrain<ICommunityGrain>(w.C.Id).GetTotals(refresh: true);
        Assert.Equal(w.Members.Count, totals.Members);
        Assert.Equal(w.Deposited, totals.Deposited);
        Assert.Equal(w.Withdrawn, totals.Withdrawn);
        Assert.Equal(w.Deposited - w.Withdrawn, totals.SumOfBalances);
        Assert.Equal(0m, totals.SumOfHeld);
    }

    /// <summary>
    /// A settlement as executed: each payer's balance fell by exactly what it paid, the injured party rose by
    /// exactly <paramref name="awarded"/>, nobody else moved; payments went level by level (a level pays only
    /// once every level below is exhausted), pro rata within a level; every hold is released; each guarantor
    /// that paid is owed exactly that by the at-fault party.
    /// </summary>
    private static async Task AssertSettledAsync(World w, DealView deal, IReadOnlyDictionary<string, decimal> before, string injured, decimal awarded)
    {
        Assert.Equal(DealState.Settled, deal.State);
        var s = deal.Settlement!;
        Assert.Equal(awarded, s.Awarded);
        Assert.Equal(awarded, s.Payments.Sum(p => p.Amount) + s.Unpaid);
        Assert.All(s.Payments, p => Assert.Equal(injured, p.ToMemberId));
        var after = await w.BalancesAsync();
        foreach (var m in w.Members)
        {
            var expected = (m == injured ? s.Payments.Sum(p => p.Amount) : 0) - s.Payments.Where(p => p.FromMemberId == m).Sum(p => p.Amount);
            Assert.True(expected == after[m] - before[m], $"{m}: balance moved by {after[m] - before[m]}, expected {expected}");
        }
        Assert.Equal(before[injured] + awarded - s.Unpaid, after[injured]);
        foreach (var m in w.Members) Assert.Empty((await w.C.Member(m).Get()).Holds);

        if (s.PayerPartyId is not { } payer)
        {
            Assert.Empty(s.Payments);
            return;
        }
        var cover = deal.Cover.Where(h => h.ForParty == payer).ToList();
        foreach (var p in s.Payments)
        {
            var hold = cover.Single(h => h.HoldId == p.FromHoldId);
            Assert.Equal((hold.MemberId, hold.Level), (p.FromMemberId, p.Level));
            Assert.InRange(p.Amount, 0.01m, hold.Amount);
        }
        Assert.All(s.Payments.Where(p => p.Level == 0), p => Assert.Equal(payer, p.FromMemberId));
        var levels = cover.Select(h => h.Level).Distinct().Order().ToList();
        foreach (var level in levels.Where(l => s.Payments.Any(p => p.Level == l)))
            foreach (var below in levels.Where(l => l < level))
                Assert.Equal(cover.Where(h => h.Level == below).Sum(h => h.Amount), s.Payments.Where(p => p.Level == below).Sum(p => p.Amount));
        Assert.Equal(s.Payments.Select(p => p.Level).Order(), s.Payments.Select(p => p.Level)); // own hold first, then up
        foreach (var level in s.Payments.GroupBy(p => p.Level))
        {
            var holds = cover.Where(h => h.Level == level.Key).ToList();
            var paid = level.Sum(p => p.Amount);
            foreach (var hold in holds)
            {
                var exact = paid * hold.Amount / holds.Sum(h => h.Amount);
                var got = level.Where(p => p.FromHoldId == hold.HoldId).Sum(p => p.Amount);
                Assert.True(Math.Abs(got - exact) < 0.01m, $"hold {hold.HoldId} paid {got}; pro rata is {exact}");
            }
        }
        var expectedDebts = s.Payments.Where(p => p.FromMemberId != payer).GroupBy(p => p.FromMemberId)
            .Select(g => (g.Key, g.Sum(p => p.Amount))).ToList();
        if (s.Unpaid > 0) expectedDebts.Add((injured, s.Unpaid));
        var debts = (await w.C.Member(payer).Get()).Debts.Select(d => (d.ToMemberId, d.Amount));
        Assert.Equal(expectedDebts.OrderBy(d => d.Item1, StringComparer.Ordinal), debts.OrderBy(d => d.Item1, StringComparer.Ordinal));
    }

    /// <summary>What a refusal must leave as it was.</summary>
    private static string Fingerprint(CaseView v) =>
        $"{v.State}|{v.CurrentLevel}|{v.FinalVerdict}|{v.Settlement?.Payments.Count}|" + string.Join(";", v.Levels.Select(l =>
            $"{l.Level}:{l.IsCouncil}:{l.Outcome}:{string.Join(",", l.Panel)}:{l.Verdict}:{l.AppealDeadline}:{string.Join(",", l.AcceptedBy)}:{l.AppealedBy}:" +
            string.Join(",", l.Votes.Select(x => $"{x.JudgeId}={x.Fault}/{x.ProviderShare}/{x.Compensation}"))));

    private static string Fingerprint(DealView d) =>
        $"{d.State}|{d.Claim}|{d.CaseId}|{d.Settlement?.Payments.Count}|{string.Join(",", d.Cover.Select(h => $"{h.HoldId}={h.Amount}"))}";

    private static string Fingerprint(IReadOnlyDictionary<string, decimal> balances) =>
        string.Join(",", balances.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => $"{b.Key}={b.Value}"));

    // ---- Admitted claims --------------------------------------------------------------------------

    [Fact]
    public async Task An_admitted_claim_pays_the_injured_party_exactly_the_damage_own_hold_first_then_guarantors_pro_rata()
    {
        // The provider has 100 of its own; A0 stands behind it with 400, A1 with 200.
        var t = await TreeAsync(providerDeposit: 100m, aLimits: [400m, 200m, 1_000m, 1_000m]);
        await t.W.WithdrawAsync(t.Consumer, 100m);
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 400m);
        var providerCover = deal.Cover.Where(h => h.ForParty == t.Provider).ToDictionary(h => h.MemberId, h => (h.Amount, h.Level));
        Assert.Equal((100m, 0), providerCover[t.Provider]);
        Assert.Equal((200m, 1), providerCover[t.A[0]]);
        Assert.Equal((100m, 1), providerCover[t.A[1]]);
        var before = await t.W.BalancesAsync();

        var claimed = await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim-1", 250m, "The wall leans.");
        Assert.Equal(DealState.Claimed, claimed.State);
        Assert.Equal((t.Consumer, t.Provider, 250m, "open"), (claimed.Claim!.ClaimantId, claimed.Claim.RespondentId, claimed.Claim.Damage, claimed.Claim.Outcome));
        Assert.Equal(Fingerprint(claimed), Fingerprint(await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim-1", 250m, "The wall leans.")));
        Assert.Equal("not-the-respondent", await Code(() => t.C.Deal(deal.Id).AdmitClaim(t.Consumer)));
        Assert.Equal(Fingerprint(claimed), Fingerprint(await t.C.Deal(deal.Id).Get()));

        var settled = await t.C.Deal(deal.Id).AdmitClaim(t.Provider);
        Assert.Equal(DealState.Settled, settled.State);
        Assert.Equal("admitted", settled.Claim!.Outcome);
        Assert.Null(settled.CaseId);
        Assert.Equal(new Verdict(Fault.Provider, 1m, 250m), settled.Settlement!.Verdict);
        Assert.Equal(t.Provider, settled.Settlement.PayerPartyId);
        Assert.Equal(0m, settled.Settlement.Unpaid);
        var payments = settled.Settlement.Payments.Select(p => (p.FromMemberId, p.Amount, p.Level)).ToList();
        Assert.Equal((t.Provider, 100m, 0), payments[0]); // all of the own hold first
        Assert.Equal([(t.A[0], 100m, 1), (t.A[1], 50m, 1)], payments.Skip(1).OrderBy(p => p.FromMemberId == t.A[0] ? 0 : 1));
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 250m);
        Assert.Equal(before[t.Consumer] + 250m, (await t.C.AccountOf(t.Consumer)).Balance);
        Assert.Equal([(t.A[0], 100m), (t.A[1], 50m)], (await t.C.Member(t.Provider).Get()).Debts.Select(d => (d.ToMemberId, d.Amount)).OrderBy(d => d.ToMemberId == t.A[0] ? 0 : 1));
        Assert.Equal(MemberStatus.Active, (await t.C.Member(t.Provider).Get()).Status); // its guarantors keep it, for now

        // Admitting again changes nothing.
        var balances = Fingerprint(await t.W.BalancesAsync());
        Assert.Equal(Fingerprint(settled), Fingerprint(await t.C.Deal(deal.Id).AdmitClaim(t.Provider)));
        Assert.Equal(balances, Fingerprint(await t.W.BalancesAsync()));
        await AssertMoneyKeptAsync(t.W);

        // Rule 16 and 5: the guarantors who paid may withdraw; left with one the ward is suspended, with none and a debt expelled.
        await t.C.GuaranteeBetween(t.Provider, t.A[0]).Withdraw(t.A[0], t.Provider);
        Assert.Equal(MemberStatus.Suspended, (await t.C.Member(t.Provider).Get()).Status);
        await t.C.GuaranteeBetween(t.Provider, t.A[1]).Withdraw(t.A[1], t.Provider);
        var expelled = await t.C.Member(t.Provider).Get();
        Assert.Equal(MemberStatus.Expelled, expelled.Status);
        Assert.Contains("without a guarantor while owing a debt", expelled.StatusReason);
        Assert.Equal(150m, expelled.Debts.Sum(d => d.Amount));
    }

    [Theory]
    [InlineData(200)] // own 50 + 150 of the guarantors' 200: their guarantors pay nothing
    [InlineData(350)] // own 50 + all 200 of the guarantors + 100 of the next level's 150
    public async Task The_waterfall_reaches_the_next_level_only_when_the_level_below_is_exhausted(int damage)
    {
        // Provider: 50 own; A0, A1 stand behind it with 100 each; above A0 stand B0 (100) and B1 (50), above A1 B2 (30) and B3 (20).
        var t = await TreeAsync(providerDeposit: 50m, aLimits: [100m, 100m, 1_000m, 1_000m],
            bLimits: [100m, 50m, 30m, 20m, 1_000m, 1_000m, 1_000m, 1_000m]);
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 400m);
        var cover = deal.Cover.Where(h => h.ForParty == t.Provider).ToList();
        Assert.Equal([50m, 200m, 150m], cover.GroupBy(h => h.Level).OrderBy(g => g.Key).Select(g => g.Sum(h => h.Amount)).ToArray());
        Assert.Equal([75m, 37.5m, 22.5m, 15m], t.B.Take(4).Select(b => cover.Single(h => h.MemberId == b).Amount).ToArray());
        var before = await t.W.BalancesAsync();

        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", damage, "Half the order never came.");
        var settled = await t.C.Deal(deal.Id).AdmitClaim(t.Provider);

        await AssertSettledAsync(t.W, settled, before, t.Consumer, damage);
        var paid = settled.Settlement!.Payments.ToLookup(p => p.FromMemberId, p => p.Amount);
        Assert.Equal(50m, paid[t.Provider].Sum());
        if (damage == 200)
        {
            Assert.Equal([75m, 75m], t.A.Take(2).Select(a => paid[a].Sum()).ToArray());
            Assert.DoesNotContain(settled.Settlement.Payments, p => p.Level == 2);
            Assert.All(t.B, b => Assert.Empty(paid[b]));
        }
        else
        {
            Assert.Equal([100m, 100m], t.A.Take(2).Select(a => paid[a].Sum()).ToArray());
            Assert.Equal([50m, 25m, 15m, 10m], t.B.Take(4).Select(b => paid[b].Sum()).ToArray());
            var debts = (await t.C.Member(t.Provider).Get()).Debts.ToDictionary(d => d.ToMemberId, d => d.Amount);
            Assert.Equal(6, debts.Count);
            Assert.Equal(25m, debts[t.B[1]]);
        }
        Assert.Equal(before[t.Consumer] + damage, (await t.C.AccountOf(t.Consumer)).Balance);
        await AssertMoneyKeptAsync(t.W);
    }

    [Fact]
    public async Task What_the_cover_cannot_pay_is_owed_by_the_at_fault_party_to_the_injured_party()
    {
        var t = await TreeAsync(new CommunitySettings { CoverageRatio = 0.5m }, providerDeposit: 100m, aLimits: [50m, 50m, 1_000m, 1_000m]);
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 400m); // the provider's cover: 200 = 100 own + 50 + 50
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 300m, "Nothing was delivered.");
        var settled = await t.C.Deal(deal.Id).AdmitClaim(t.Provider);
        Assert.Equal(100m, settled.Settlement!.Unpaid);
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 300m);
        Assert.Equal(before[t.Consumer] + 200m, (await t.C.AccountOf(t.Consumer)).Balance);
        await AssertMoneyKeptAsync(t.W);
    }

    // ---- Disputes -----------------------------------------------------------------------------------

    [Fact]
    public async Task A_dispute_is_decided_by_the_parties_guarantors_and_executed_once_both_parties_accept()
    {
        // The consumer has 50 of its own: the rest of its cover is held by A2 and A3.
        var t = await TreeAsync(consumerDeposit: 50m);
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Provider, "claim", 300m, "The consumer never paid.");
        var grain = Case(deal.Id);

        Assert.Equal("not-the-respondent", await Code(() => grain.Open(deal.Id, t.Provider)));
        Assert.Equal("case-not-found", await Code(() => grain.Get()));
        var opened = await grain.Open(deal.Id, t.Consumer);
        Assert.Equal(Fingerprint(opened), Fingerprint(await grain.Open(deal.Id, t.Consumer))); // idempotent
        Assert.Equal("not-the-respondent", await Code(() => grain.Open(deal.Id, t.Provider))); // the claimant, even now
        Assert.Equal("not-a-party", await Code(() => grain.Open(deal.Id, t.A[0])));
        Assert.Equal((CaseState.Voting, 1, t.Provider, 300m), (opened.State, opened.CurrentLevel, opened.ClaimantId, opened.Damage));
        var level1 = Assert.Single(opened.Levels);
        Assert.False(level1.IsCouncil);
        Assert.Equal(Sorted(t.A), level1.Panel);
        var disputed = await t.C.Deal(deal.Id).Get();
        Assert.Equal((DealState.Disputed, opened.Id, "disputed"), (disputed.State, disputed.CaseId, disputed.Claim!.Outcome));
        Assert.Equal("claim-not-open", await Code(() => t.C.Deal(deal.Id).AdmitClaim(t.Consumer)));

        // Refusals before any verdict change nothing.
        var print = Fingerprint(opened);
        Assert.Equal("no-verdict", await Code(() => grain.Accept(t.Provider)));
        Assert.Equal("no-verdict", await Code(() => grain.Appeal(t.Consumer)));
        Assert.Equal("not-a-party", await Code(() => grain.Accept(t.A[0])));
        foreach (var outsider in new[] { t.Provider, t.Consumer, t.B[0], t.C.Founders[0] })
            Assert.Equal("not-a-judge", await Code(() => grain.Vote(outsider, Fault.Consumer, null, 100m)));
        Assert.Equal("compensation-above-claim", await Code(() => grain.Vote(t.A[0], Fault.Consumer, null, 300.01m)));
        Assert.Equal("missing-field", await Code(() => grain.Vote(t.A[0], Fault.Both, null, 100m)));
        Assert.Equal("invalid-share", await Code(() => grain.Vote(t.A[0], Fault.Both, 1m, 100m)));
        Assert.Equal("invalid-amount", await Code(() => grain.Vote(t.A[0], Fault.Consumer, null, 10.005m)));
        Assert.Equal(print, Fingerprint(await grain.Get()));

        var panel = level1.Panel;
        await grain.Vote(panel[0], Fault.Consumer, null, 100m);
        var afterOne = await grain.Vote(panel[1], Fault.Consumer, null, 300m);
        Assert.Equal(CaseState.Voting, afterOne.State);
        Assert.Equal("already-voted", await Code(() => grain.Vote(panel[0], Fault.Provider, null, 50m)));
        Assert.Equal(Fingerprint(afterOne), Fingerprint(await grain.Get()));

        var decided = await grain.Vote(panel[2], Fault.Consumer, null, 200m);
        Assert.Equal(CaseState.AwaitingParties, decided.State);
        Assert.Equal(CaseLevelOutcome.Decided, decided.Levels[0].Outcome);
        Assert.Equal(new Verdict(Fault.Consumer, 0m, 200m), decided.Levels[0].Verdict);
        Assert.NotNull(decided.Levels[0].AppealDeadline);
        Assert.Equal("voting-closed", await Code(() => grain.Vote(panel[3], Fault.Provider, null, 0m)));
        Assert.Equal("already-voted", await Code(() => grain.Vote(panel[2], Fault.Consumer, null, 200m)));
        Assert.Equal(Fingerprint(decided), Fingerprint(await grain.Get()));

        var oneAccepted = await grain.Accept(t.Provider);
        Assert.Equal(CaseState.AwaitingParties, oneAccepted.State);
        Assert.Equal(Fingerprint(oneAccepted), Fingerprint(await grain.Accept(t.Provider))); // counted once
        Assert.Equal(DealState.Disputed, (await t.C.Deal(deal.Id).Get()).State);

        var closed = await grain.Accept(t.Consumer);
        Assert.Equal(CaseState.Closed, closed.State);
        Assert.Equal(CaseLevelOutcome.Final, closed.Levels[0].Outcome);
        Assert.Equal(new Verdict(Fault.Consumer, 0m, 200m), closed.FinalVerdict);
        var settled = await t.C.Deal(deal.Id).Get();
        Assert.Equal("decided", settled.Claim!.Outcome);
        Assert.Equal(settled.Settlement!.Verdict, closed.Settlement!.Verdict);
        Assert.Equal(settled.Settlement.Payments, closed.Settlement.Payments);
        Assert.Equal(t.Consumer, settled.Settlement!.PayerPartyId);
        // 50 own, then 150 from A2 and A3 (125 held each) pro rata.
        Assert.Equal([(t.Consumer, 50m, 0), (t.A[2], 75m, 1), (t.A[3], 75m, 1)],
            settled.Settlement.Payments.Select(p => (p.FromMemberId, p.Amount, p.Level)).OrderBy(p => p.Level).ThenBy(p => p.FromMemberId == t.A[2] ? 0 : 1));
        await AssertSettledAsync(t.W, settled, before, t.Provider, 200m);
        Assert.Equal(before[t.Provider] + 200m, (await t.C.AccountOf(t.Provider)).Balance);

        Assert.Equal("appeal-window-closed", await Code(() => grain.Appeal(t.Consumer)));
        Assert.Equal(Fingerprint(closed), Fingerprint(await grain.Get()));
        foreach (var m in panel.Append(t.Provider).Append(t.Consumer))
            Assert.Contains(opened.Id, (await t.C.Member(m).Get()).Cases!);
        Assert.DoesNotContain(opened.Id, (await t.C.Member(t.B[0]).Get()).Cases ?? []);
        await AssertMoneyKeptAsync(t.W);
    }

    [Fact]
    public async Task Both_at_fault_makes_the_respondent_pay_its_median_share_of_the_median_compensation()
    {
        var t = await TreeAsync();
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 400m);
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 300m, "Late and incomplete.");
        var grain = Case(deal.Id);
        var panel = (await grain.Open(deal.Id, t.Provider)).Levels[0].Panel;
        await grain.Vote(panel[0], Fault.Both, 0.6m, 200m);
        await grain.Vote(panel[1], Fault.Both, 0.8m, 300m);
        var decided = await grain.Vote(panel[2], Fault.Both, 0.5m, 100m);
        Assert.Equal(new Verdict(Fault.Both, 0.6m, 200m), decided.Levels[0].Verdict);
        await grain.Accept(t.Consumer);
        var closed = await grain.Accept(t.Provider);
        Assert.Equal(CaseState.Closed, closed.State);
        var settled = await t.C.Deal(deal.Id).Get();
        Assert.Equal(120m, settled.Settlement!.Awarded); // the provider's 60 % of 200
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 120m);
        await AssertMoneyKeptAsync(t.W);
    }

    [Fact]
    public async Task A_tie_escalates_to_the_guarantors_of_the_judges()
    {
        var t = await TreeAsync();
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 300m, "Wrong timber.");
        var grain = Case(deal.Id);
        var panel = (await grain.Open(deal.Id, t.Provider)).Levels[0].Panel;
        await grain.Vote(panel[0], Fault.Provider, null, 300m);
        await grain.Vote(panel[1], Fault.Consumer, null, 0m);
        await grain.Vote(panel[2], Fault.Provider, null, 300m);
        var tied = await grain.Vote(panel[3], Fault.Consumer, null, 0m);

        Assert.Equal(CaseState.Voting, tied.State);
        Assert.Equal(2, tied.CurrentLevel);
        Assert.Equal(CaseLevelOutcome.Escalated, tied.Levels[0].Outcome);
        Assert.Null(tied.Levels[0].Verdict);
        Assert.Contains("tie", tied.Levels[0].Note);
        var level2 = tied.Levels[1];
        Assert.False(level2.IsCouncil);
        Assert.Equal(Sorted(t.B), level2.Panel); // the guarantors of A0..A3
        Assert.Empty(level2.Panel.Intersect(t.A.Append(t.Provider).Append(t.Consumer)));
        Assert.Equal("not-a-judge", await Code(() => grain.Vote(t.C.Founders[0], Fault.Neither, null, 0m)));
        Assert.Equal("already-voted", await Code(() => grain.Vote(panel[0], Fault.Provider, null, 300m)));
        Assert.Equal(Fingerprint(tied), Fingerprint(await grain.Get()));

        var decided = await VoteAsync(grain, Majority(level2.Panel.Count), Fault.Neither, 0m);
        Assert.Equal(new Verdict(Fault.Neither, 0m, 0m), decided.Levels[1].Verdict);
        await grain.Accept(t.Provider);
        Assert.Equal(CaseState.Closed, (await grain.Accept(t.Consumer)).State);
        var settled = await t.C.Deal(deal.Id).Get();
        Assert.Null(settled.Settlement!.PayerPartyId);
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 0m);
        Assert.Equal(Fingerprint(before), Fingerprint(await t.W.BalancesAsync())); // no fault: no money moved, every hold released
        await AssertMoneyKeptAsync(t.W);

        // Each vote, the escalation, the verdict and its acceptance are in the journal, in order (rule 23).
        var journalled = (await JournalTests.SourceEntriesAsync(Grains, t.C.Id, $"case:{CaseIds.For(deal.Id)}")).Select(e => e.Kind).ToList();
        string[] expected = ["case-opened", "vote", "vote", "vote", "vote", "case-escalated",
            .. Enumerable.Repeat("vote", Majority(level2.Panel.Count)), "verdict", "verdict-accepted", "verdict-accepted", "final-verdict"];
        Assert.Equal(expected, journalled);
    }

    [Fact]
    public async Task Missing_votes_by_the_deadline_escalate_and_late_votes_are_refused_changing_nothing()
    {
        var t = await TreeAsync(new CommunitySettings { VerdictWindowSeconds = 2 });
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 100m, "Cracked tiles.");
        var grain = Case(deal.Id);
        var opened = await grain.Open(deal.Id, t.Provider);
        var panel = opened.Levels[0].Panel;
        await grain.Vote(panel[0], Fault.Provider, null, 100m);
        await grain.Vote(panel[1], Fault.Provider, null, 100m); // 2 of 4: no majority of the panel
        Assert.Equal(CaseState.Voting, (await grain.Get()).State);

        await WaitPastAsync(opened.Levels[0].VerdictDeadline);
        var escalated = await grain.CheckDeadlines();
        var level1 = escalated.Levels[0];
        Assert.Equal(CaseLevelOutcome.Escalated, level1.Outcome);
        Assert.Null(level1.Verdict);
        Assert.Contains("deadline passed with 2 of 4 votes", level1.Note);
        Assert.True(escalated.Levels.Count >= 2);
        Assert.Equal(Sorted(t.B), escalated.Levels[1].Panel);
        Assert.True(escalated.Levels[1].VerdictDeadline > level1.VerdictDeadline);

        // A judge of level 1 who did not vote is too late; one who did has voted.
        Assert.Equal("voting-closed", await Code(() => grain.Vote(panel[2], Fault.Provider, null, 100m)));
        Assert.Equal("already-voted", await Code(() => grain.Vote(panel[0], Fault.Provider, null, 100m)));
        var now = await grain.Get();
        Assert.Equal(2, now.Levels[0].Votes.Count);
        Assert.Equal(CaseLevelOutcome.Escalated, now.Levels[0].Outcome);
        Assert.DoesNotContain(now.Levels.Skip(1), l => l.Votes.Any(v => panel.Contains(v.JudgeId)));
    }

    [Fact]
    public async Task When_the_appeal_window_passes_the_verdict_becomes_final_and_is_executed()
    {
        var t = await TreeAsync(new CommunitySettings { AppealWindowSeconds = 2 });
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 180m, "Short delivery.");
        var grain = Case(deal.Id);
        await grain.Open(deal.Id, t.Provider);
        var decided = await VoteAsync(grain, 3, Fault.Provider, 150m);
        Assert.Equal(CaseState.AwaitingParties, decided.State);
        await grain.Accept(t.Consumer); // one acceptance is not enough

        await WaitPastAsync(decided.Levels[0].AppealDeadline!.Value);
        var closed = await grain.CheckDeadlines();
        Assert.Equal(CaseState.Closed, closed.State);
        Assert.Equal(CaseLevelOutcome.Final, closed.Levels[0].Outcome);
        Assert.Contains("appeal window passed", closed.Levels[0].Note);
        Assert.Equal(new Verdict(Fault.Provider, 1m, 150m), closed.FinalVerdict);

        Assert.Equal("appeal-window-closed", await Code(() => grain.Appeal(t.Provider)));
        Assert.Equal(Fingerprint(closed), Fingerprint(await grain.Get()));
        var settled = await t.C.Deal(deal.Id).Get();
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 150m);
        Assert.Equal(before[t.Consumer] + 150m, (await t.C.AccountOf(t.Consumer)).Balance);
        await AssertMoneyKeptAsync(t.W);
    }

    [Fact]
    public async Task The_case_reminder_acts_on_a_passed_deadline_without_anyone_calling()
    {
        var t = await TreeAsync(new CommunitySettings { AppealWindowSeconds = 1 });
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 120m, "Broken hinge.");
        var grain = Case(deal.Id);
        await grain.Open(deal.Id, t.Provider);
        var decided = await VoteAsync(grain, 3, Fault.Provider, 120m);
        Assert.Equal(CaseState.AwaitingParties, decided.State);

        // Only reads (which act on nothing) until the reminder has executed the verdict.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        var view = decided;
        while (view.State != CaseState.Closed && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(200);
            view = await grain.Get();
        }
        Assert.Equal(CaseState.Closed, view.State);
        Assert.Contains("appeal window passed", view.Levels[0].Note);
        var settled = await t.C.Deal(deal.Id).Get();
        Assert.Equal(DealState.Settled, settled.State);
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 120m);
        await AssertMoneyKeptAsync(t.W);
    }

    [Fact]
    public async Task The_founders_council_has_the_last_word_and_its_verdict_is_executed_at_once()
    {
        var t = await TreeAsync();
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 250m, "The roof leaks.");
        var grain = Case(deal.Id);
        await grain.Open(deal.Id, t.Provider);

        await VoteAsync(grain, 3, Fault.Neither, 0m);
        var appealed = await grain.Appeal(t.Consumer);
        Assert.Equal((CaseLevelOutcome.Appealed, t.Consumer), (appealed.Levels[0].Outcome, appealed.Levels[0].AppealedBy));
        Assert.Equal(Sorted(t.B), appealed.Levels[1].Panel);

        await VoteAsync(grain, 5, Fault.Neither, 0m);
        await grain.Accept(t.Provider);
        Assert.Equal("already-accepted", await Code(() => grain.Appeal(t.Provider)));
        var toCouncil = await grain.Appeal(t.Consumer);
        var council = toCouncil.Levels[2];
        Assert.True(council.IsCouncil); // the guarantors of B are founders only
        Assert.Equal(Sorted(t.C.Founders), council.Panel);
        Assert.Equal(3, toCouncil.CurrentLevel);

        await grain.Vote(council.Panel[0], Fault.Provider, null, 180m);
        var final = await grain.Vote(council.Panel[1], Fault.Provider, null, 220m);
        Assert.Equal(CaseState.Closed, final.State);
        Assert.Equal(CaseLevelOutcome.Final, final.Levels[2].Outcome);
        Assert.Null(final.Levels[2].AppealDeadline);
        Assert.Equal(new Verdict(Fault.Provider, 1m, 200m), final.FinalVerdict);

        Assert.Equal("voting-closed", await Code(() => grain.Vote(council.Panel[2], Fault.Consumer, null, 0m)));
        Assert.Equal("appeal-window-closed", await Code(() => grain.Appeal(t.Provider)));
        Assert.Equal(Fingerprint(final), Fingerprint(await grain.Accept(t.Provider)));
        Assert.Equal(Fingerprint(final), Fingerprint(await grain.CheckDeadlines()));
        var settled = await t.C.Deal(deal.Id).Get();
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 200m);
        Assert.Equal(before[t.Consumer] + 200m, (await t.C.AccountOf(t.Consumer)).Balance);
        await AssertMoneyKeptAsync(t.W);
    }

    [Fact]
    public async Task With_two_levels_the_council_sits_second_and_finds_no_fault_when_nobody_votes_by_its_deadline()
    {
        var t = await TreeAsync(new CommunitySettings { MaxArbitrationLevels = 2, VerdictWindowSeconds = 1 });
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        var before = await t.W.BalancesAsync();
        await t.C.Deal(deal.Id).FileClaim(t.Consumer, "claim", 200m, "Wrong colour.");
        var grain = Case(deal.Id);
        var opened = await grain.Open(deal.Id, t.Provider);

        await WaitPastAsync(opened.Levels[0].VerdictDeadline);
        var escalated = await grain.CheckDeadlines();
        Assert.Equal(CaseLevelOutcome.Escalated, escalated.Levels[0].Outcome);
        Assert.Contains("no judge voted", escalated.Levels[0].Note);
        var council = escalated.Levels[1];
        Assert.True(council.IsCouncil); // the last level, although B could have sat
        Assert.Equal(Sorted(t.C.Founders), council.Panel);

        await WaitPastAsync(council.VerdictDeadline);
        var closed = await grain.CheckDeadlines();
        Assert.Equal(CaseState.Closed, closed.State);
        Assert.Equal(2, closed.Levels.Count);
        Assert.Equal(CaseLevelOutcome.Final, closed.Levels[1].Outcome);
        Assert.Equal(new Verdict(Fault.Neither, 0m, 0m), closed.FinalVerdict);
        var settled = await t.C.Deal(deal.Id).Get();
        await AssertSettledAsync(t.W, settled, before, t.Consumer, 0m);
        Assert.Equal(Fingerprint(before), Fingerprint(await t.W.BalancesAsync()));
        await AssertMoneyKeptAsync(t.W);
    }

    [Fact]
    public async Task Appeals_climb_a_generated_hierarchy_of_over_200_members_with_growing_panels_up_to_the_council()
    {
        // Layers from the founders down; member j of a layer is guaranteed by members 2j and 2j+1 (mod size) of
        // the layer above. The parties' ancestry doubles at every layer: panels of 4, 8, 16, 32, 64, then the council.
        var w = new World(await TestCommunity.CreateAsync(Grains));
        var f = w.C.Founders;
        int[] sizes = [72, 64, 40, 20, 8];
        var layers = new List<string[]>();
        var guarantorsOf = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < sizes.Length; i++)
        {
            var above = i == 0 ? null : layers[i - 1];
            var layer = Enumerable.Range(0, sizes[i]).Select(j => World.LongId($"l{i + 1}-{j}")).ToArray();
            for (var j = 0; j < layer.Length; j++)
                guarantorsOf[layer[j]] = above is null ? [f[j % 3], f[(j + 1) % 3]] : [above[2 * j % above.Length], above[(2 * j + 1) % above.Length]];
            await Task.WhenAll(layer.Select(id => w.JoinAsync(id, 0m, guarantorsOf[id].Select(g => (g, 1_000m)).ToArray())));
            layers.Add(layer);
        }
        var bottom = layers[^1];
        var provider = TestCommunity.Unique("prov");
        var consumer = TestCommunity.Unique("cons");
        guarantorsOf[provider] = [bottom[0], bottom[1]];
        guarantorsOf[consumer] = [bottom[2], bottom[3]];
        await Task.WhenAll(
            w.JoinAsync(provider, 1_000m, guarantorsOf[provider].Select(g => (g, 1_000m)).ToArray()),
            w.JoinAsync(consumer, 1_000m, guarantorsOf[consumer].Select(g => (g, 1_000m)).ToArray()));
        Assert.True(w.Members.Count >= 200, $"{w.Members.Count} members");
        Assert.All(await Task.WhenAll(w.Members.Select(async m => (await w.C.Member(m).Get()).Status)),
            s => Assert.True(s is MemberStatus.Active or MemberStatus.Founder));

        var deal = await CoveredDealAsync(w.C, provider, consumer, 500m);
        var before = await w.BalancesAsync();
        await w.C.Deal(deal.Id).FileClaim(consumer, "claim", 400m, "The foundation cracked.");
        var grain = Case(deal.Id);
        var view = await grain.Open(deal.Id, provider);
        var parties = new[] { provider, consumer };
        var sat = new HashSet<string>(StringComparer.Ordinal);
        string[] expected = Sorted(guarantorsOf[provider].Concat(guarantorsOf[consumer]));
        for (var level = 1; level <= 5; level++)
        {
            var current = view.Levels[level - 1];
            Assert.Equal(level, current.Level);
            Assert.False(current.IsCouncil);
            Assert.Equal(expected, current.Panel);
            Assert.Equal(2 << level, current.Panel.Count); // 4, 8, 16, 32, 64: growing at every level
            Assert.Empty(current.Panel.Intersect(parties));
            Assert.Empty(current.Panel.Intersect(sat));
            sat.UnionWith(current.Panel);

            var fault = level % 2 == 1 ? Fault.Provider : Fault.Consumer;
            view = await VoteAsync(grain, Majority(current.Panel.Count), fault, 50m * level);
            Assert.Equal(CaseState.AwaitingParties, view.State);
            Assert.Equal(new Verdict(fault, fault == Fault.Provider ? 1 : 0, 50m * level), view.Levels[level - 1].Verdict);
            var loser = fault == Fault.Provider ? provider : consumer;
            view = await grain.Appeal(loser);
            Assert.Equal(CaseLevelOutcome.Appealed, view.Levels[level - 1].Outcome);
            expected = Sorted(current.Panel.SelectMany(j => guarantorsOf[j]).Distinct());
        }

        var council = view.Levels[5];
        Assert.Equal((6, true), (council.Level, council.IsCouncil)); // the last level (maxArbitrationLevels = 6)
        Assert.Equal(Sorted(f), council.Panel);
        await grain.Vote(f[0], Fault.Provider, null, 400m);
        view = await grain.Vote(f[1], Fault.Provider, null, 300m);
        Assert.Equal(CaseState.Closed, view.State);
        Assert.Equal(new Verdict(Fault.Provider, 1m, 350m), view.FinalVerdict);
        Assert.Equal(6, view.Levels.Count);

        var settled = await w.C.Deal(deal.Id).Get();
        await AssertSettledAsync(w, settled, before, consumer, 350m);
        Assert.Equal(before[consumer] + 350m, (await w.C.AccountOf(consumer)).Balance);
        Assert.Contains(view.Id, (await w.C.Member(layers[0][63]).Get()).Cases!); // a level-5 judge lists the case
        await AssertMoneyKeptAsync(w);
    }

    // ---- Claims refused -----------------------------------------------------------------------------

    [Fact]
    public async Task Claims_that_break_the_rules_are_refused_and_change_nothing()
    {
        var t = await TreeAsync();
        var deal = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 300m);
        var proposed = await t.C.ProposeAsync(t.Consumer, t.Provider, t.Consumer, 100m);
        var completed = await CoveredDealAsync(t.C, t.Provider, t.Consumer, 100m);
        await t.C.Deal(completed.Id).Confirm(t.Provider);
        Assert.Equal(DealState.Completed, (await t.C.Deal(completed.Id).Confirm(t.Consumer)).State);
        var balances = Fingerprint(await t.W.BalancesAsync());
        var prints = new Dictionary<string, string>
        {
            [deal.Id] = Fingerprint(await t.C.Deal(deal.Id).Get()),
            [proposed.Id] = Fingerprint(proposed),
            [completed.Id] = Fingerprint(await t.C.Deal(completed.Id).Get()),
        };
        async Task AssertUnchanged()
        {
            foreach (var (id, print) in prints) Assert.Equal(print, Fingerprint(await t.C.Deal(id).Get()));
            Assert.Equal(balances, Fingerprint(await t.W.BalancesAsync()));
        }

        Assert.Equal("deal-not-covered", await Code(() => t.C.Deal(proposed.Id).FileClaim(t.Consumer, "c1", 50m, "Not yet.")));
        Assert.Equal("deal-not-covered", await Code(() => t.C.Deal(completed.Id).FileClaim(t.Consumer, "c1", 50m, "Too late.")));
        Assert.Equal("damage-above-value", await Code(() => t.C.Deal(deal.Id).FileClaim(t.Consumer, "c1", 300.01m, "Everything.")));
        Assert.Equal("invalid-amount", await Code(() => t.C.Deal(deal.Id).FileClaim(t.Consumer, "c1", 0m, "Nothing.")));
        Assert.Equal("missing-field", await Code(() => t.C.Deal(deal.Id).FileClaim(t.Consumer, "c1", 10m, " ")));
        Assert.Equal("not-a-party", await Code(() => t.C.Deal(deal.Id).FileClaim(t.A[0], "c1", 10m, "Not mine.")));
        Assert.Equal("no-claim", await Code(() => t.C.Deal(deal.Id).AdmitClaim(t.Provider)));
        Assert.Equal("no-claim", await Code(() => Case(deal.Id).Open(deal.Id, t.Provider)));
        Assert.Equal("case-not-found", await Code(() => Case(deal.Id).CheckDeadlines()));
        await AssertUnchanged();

        var claimed = await t.C.Deal(deal.Id).FileClaim(t.Consumer, "c1", 300m, "Everything.");
        prints[deal.Id] = Fingerprint(claimed);
        Assert.Equal("claim-exists", await Code(() => t.C.Deal(deal.Id).FileClaim(t.Provider, "c2", 10m, "Me too.")));
        Assert.Equal("claim-exists", await Code(() => t.C.Deal(deal.Id).FileClaim(t.Consumer, "c2", 10m, "Another.")));
        Assert.Equal("claim-exists", await Code(() => t.C.Deal(deal.Id).FileClaim(t.Consumer, "c1", 20m, "Other terms.")));
        Assert.Equal("not-the-respondent", await Code(() => t.C.Deal(deal.Id).AdmitClaim(t.Consumer)));
        Assert.Equal("not-the-respondent", await Code(() => Case(deal.Id).Open(deal.Id, t.Consumer)));
        Assert.Equal("deal-not-accepted", await Code(() => t.C.Deal(deal.Id).Confirm(t.Provider)));
        Assert.Equal("deal-not-cancellable", await Code(() => t.C.Deal(deal.Id).Cancel(t.Provider)));
        await AssertUnchanged();
        Assert.Equal("case-not-found", await Code(() => Case(deal.Id).Get()));
    }
}
