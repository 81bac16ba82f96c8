using OrleansGuarantee.Dashboard.Services;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// Synergy cycles through the grains (rules 17-20): a house built in four covered stage deals, a stage that
/// fails, is compensated from its cover and reassigned, the refusals, and the cycle's event stream read
/// exactly once and in order by a subscriber from before the design and by one that joins mid-way.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SynergyCycleTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly string[] Roles = ["supplier", "mason", "carpenter", "engineer"];
    private static readonly decimal[] MarketPrices = [1_000m, 800m, 600m, 400m];
    // At the community's 20%: 800, 640, 480, 320 (total 2,240); the house is worth 3,000.
    private static readonly decimal[] CyclePrices = [800m, 640m, 480m, 320m];
    private const decimal ProductValue = 3_000m;
    private const decimal MemberDeposit = 2_000m;

    private IGrainFactory Grains => fixture.Client;

    private static Task<string> Code(Func<Task> action) => TestCommunity.CodeOf(action);

    /// <summary>A community with an organizer, one member per stage and spare members, all active with known deposits.</summary>
    private sealed class House
    {
        public required TestCommunity C { get; init; }
        public required string Organizer { get; init; }
        public required string[] StageMembers { get; init; }
        public required string[] Spares { get; init; }
        public required string OperationId { get; init; }
        public string CycleId => CycleIds.For(Organizer, OperationId);
        public IEnumerable<string> Members => C.Founders.Concat([Organizer]).Concat(StageMembers).Concat(Spares);
        public decimal Deposited => 3 * 10_000m + (1 + StageMembers.Length + Spares.Length) * MemberDeposit;
    }

    private async Task<House> HouseAsync(int spares = 1)
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var organizer = await c.ActiveMemberAsync("org", MemberDeposit);
        var stageMembers = new string[Roles.Length];
        for (var i = 0; i < Roles.Length; i++) stageMembers[i] = await c.ActiveMemberAsync(Roles[i][..4], MemberDeposit);
        var spare = new string[spares];
        for (var i = 0; i < spares; i++) spare[i] = await c.ActiveMemberAsync("spare", MemberDeposit);
        return new House { C = c, Organizer = organizer, StageMembers = stageMembers, Spares = spare, OperationId = TestCommunity.Unique("op") };
    }

    private ISynergyCycleGrain Cycle(House h) => Grains.GetGrain<ISynergyCycleGrain>(h.CycleId);

    private DesignCycle Design(House h) => new(h.OperationId, h.Organizer, h.C.Id, "A house", ProductValue, null,
        Roles.Select((r, i) => new StageSpec(r, h.StageMembers[i], MarketPrices[i])).ToList());

    private async Task<CycleView> DesignJoinStartAsync(House h)
    {
        await DesignAndJoinAsync(h);
        return await Cycle(h).Start(h.Organizer);
    }

    /// <summary>A house without spares whose cycle is designed and joined by every stage member, not started.</summary>
    private async Task<House> RecruitedHouseAsync()
    {
        var h = await HouseAsync(spares: 0);
        await DesignAndJoinAsync(h);
        return h;
    }

    /// <summary>The deal the cycle opens first: stage 1's first run.</summary>
    private static string FirstStageDealId(House h) => DealIds.For(h.StageMembers[0], $"{h.CycleId}:s0:r1");

    /// <summary>Designs the house's cycle and has every stage member join it: recruited, not started.</summary>
    private async Task DesignAndJoinAsync(House h)
    {
        var designed = await Cycle(h).Design(Design(h));
        Assert.Equal(CycleState.Recruiting, designed.State);
        for (var i = 0; i < Roles.Length; i++) await Cycle(h).Join(i, h.StageMembers[i]);
    }

    private static async Task<CycleView> WaitAsync(ISynergyCycleGrain cycle, Func<CycleView, bool> until, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            var view = await cycle.Get();
            if (until(view)) return view;
            if (DateTimeOffset.UtcNow > deadline)
                Assert.Fail($"Timed out waiting for {what}: cycle is {view.State} at stage {view.CurrentStage}.");
            await Task.Delay(25);
        }
    }

    private static string ConsumerOf(House h, int index, CycleView view) =>
        index + 1 < view.Stages.Count ? view.Stages[index + 1].MemberId : h.Organizer;

    /// <summary>Checks the running stage's deal is covered, both parties confirm it, and waits for the cycle to move on.</summary>
    private async Task<DealView> RunStageAsync(House h, int index)
    {
        // Get interleaves, so the cycle may still be opening the stage's deal: wait until it is covered.
        var view = await WaitAsync(Cycle(h), v => v.CurrentStage != index || v.Stages[index].DealState is not (null or DealState.Proposed), $"stage {index + 1}'s deal to be covered");
        Assert.Equal(CycleState.Running, view.State);
        Assert.Equal(index, view.CurrentStage);
        var stage = view.Stages[index];
        Assert.Equal("running", stage.Status);
        Assert.Null(stage.Blocked);
        Assert.Equal(DealState.Accepted, stage.DealState);
        var provider = stage.MemberId;
        var consumer = ConsumerOf(h, index, view);

        var deal = await h.C.Deal(stage.DealId!).Get();
        Assert.Equal(DealState.Accepted, deal.State);
        Assert.Equal((provider, consumer, CyclePrices[index], h.CycleId), (deal.ProviderId, deal.ConsumerId, deal.Value, deal.CycleId));
        Assert.NotNull(deal.AcceptedAt);
        // Covered: each party's cover is the value × the coverage ratio (1).
        Assert.Equal(CyclePrices[index], deal.Cover.Where(c => c.ForParty == provider).Sum(c => c.Amount));
        Assert.Equal(CyclePrices[index], deal.Cover.Where(c => c.ForParty == consumer).Sum(c => c.Amount));

        await h.C.Deal(deal.Id).Confirm(provider);
        var done = await h.C.Deal(deal.Id).Confirm(consumer);
        Assert.Equal(DealState.Completed, done.State);

        // The deal tells its cycle (one way); no CheckProgress here.
        var moved = await WaitAsync(Cycle(h), v => v.CurrentStage > index || v.State == CycleState.Completed, $"stage {index + 1} to complete");
        Assert.Equal("done", moved.Stages[index].Status);
        Assert.Equal(DealState.Completed, moved.Stages[index].DealState);
        return done;
    }

    private async Task AssertLedgerConservedAsync(House h)
    {
        var accounts = await Task.WhenAll(h.Members.Select(h.C.AccountOf));
        Assert.Equal(h.Deposited, accounts.Sum(a => a.Balance));
        Assert.Equal(0m, accounts.Sum(a => a.Held));
        var totals = await Grains.GetGrain<ICommunityGrain>(h.C.Id).GetTotals(refresh: true);
        Assert.Equal(h.Members.Count(), totals.Members);
        Assert.Equal(h.Deposited, totals.Deposited);
        Assert.Equal(0m, totals.Withdrawn);
        Assert.Equal(h.Deposited, totals.SumOfBalances);
        Assert.Equal(0m, totals.SumOfHeld);
    }

    private static void AssertCompleted(CycleView view, decimal productValue = ProductValue)
    {
        Assert.Equal(CycleState.Completed, view.State);
        Assert.Equal(view.Stages.Count, view.CurrentStage);
        Assert.NotNull(view.CompletedAt);
        Assert.All(view.Stages, s => Assert.Equal(("done", DealState.Completed), (s.Status, s.DealState)));
        Assert.Equal(1m, view.Stages.Sum(s => s.Share));
        Assert.Equal(productValue, view.Stages.Sum(s => s.ShareOfProduct));
        Assert.Equal(CyclePrices, view.Stages.Select(s => s.CyclePrice));
        Assert.Equal(2_240m, view.TotalCyclePrice);
        Assert.Equal(2_800m, view.TotalMarketPrice);
    }

    // ---- A full cycle ---------------------------------------------------------------------------

    [Fact]
    public async Task A_house_in_four_covered_stages_completes_with_shares_and_the_ledger_conserved()
    {
        var h = await HouseAsync(spares: 0);
        var started = await DesignJoinStartAsync(h);
        Assert.Equal(CycleState.Running, started.State);
        Assert.Equal(0, started.CurrentStage);
        Assert.Equal(0.20m, started.StageDiscount);
        Assert.Equal([200m, 360m, 480m, 560m], started.Stages.Select(s => s.CumulativeSaving));

        var deals = new List<DealView>();
        for (var i = 0; i < Roles.Length; i++) deals.Add(await RunStageAsync(h, i));

        var view = await Cycle(h).Get();
        AssertCompleted(view);
        Assert.Equal(deals.Select(d => d.Id), view.DealHistory);
        Assert.Equal(deals.Select(d => d.Id), view.Stages.Select(s => s.DealId));
        Assert.Empty(view.Failures);
        Assert.Empty(view.Reassignments);
        // Shares 800/2,240 = 5/14, 640/2,240 = 2/7, 480/2,240 = 3/14, 320/2,240 = 1/7 → 0.357143, 0.285714, 0.214286, 0.142857
        // (millionths by largest remainder). Parts of 3,000 (300,000 cents): 107,142.86 | 85,714.29 | 64,285.71 | 42,857.14 cents;
        // floors sum to 299,998, the 2 cents left go to stages 1 and 3 → 1,071.43, 857.14, 642.86, 428.57 (= 3,000.00);
        // gains = part − contribution: 271.43, 217.14, 162.86, 108.57 (= 3,000 − 2,240 = 760).
        Assert.Equal([0.357143m, 0.285714m, 0.214286m, 0.142857m], view.Stages.Select(s => s.Share));
        Assert.Equal([1_071.43m, 857.14m, 642.86m, 428.57m], view.Stages.Select(s => s.ShareOfProduct));
        Assert.Equal([271.43m, 217.14m, 162.86m, 108.57m], view.Stages.Select(s => s.SynergyGain));

        foreach (var (deal, i) in deals.Select((d, i) => (d, i)))
        {
            var now = await h.C.Deal(deal.Id).Get();
            Assert.Equal(DealState.Completed, now.State);
            Assert.NotNull(now.AcceptedAt);
            Assert.Equal(h.StageMembers[i], now.ProviderId);
            Assert.Equal(i + 1 < Roles.Length ? h.StageMembers[i + 1] : h.Organizer, now.ConsumerId);
        }
        var events = await Cycle(h).GetEvents(0, 1000);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.Equal(4, events.Count(e => e.Kind == "stage-deal-covered"));
        Assert.Equal(4, events.Count(e => e.Kind == "stage-completed"));
        var completed = Assert.Single(events, e => e.Kind == "completed");
        Assert.Equal(CycleState.Completed, completed.State);
        Assert.Contains("35.71%", completed.Description.Replace(" ", ""));
        Assert.Equal(events.Count, view.LastEventSeq);

        // Checking again changes nothing.
        var again = await Cycle(h).CheckProgress();
        Assert.Equal(view.LastEventSeq, again.LastEventSeq);
        await AssertLedgerConservedAsync(h);
        // Completed deals move no money: every member keeps exactly its deposit.
        foreach (var m in h.Members.Skip(3)) Assert.Equal(MemberDeposit, (await h.C.AccountOf(m)).Balance);
    }

    // ---- A stage that fails ---------------------------------------------------------------------

    [Fact]
    public async Task A_failed_stage_is_compensated_reassigned_and_the_cycle_completes()
    {
        var h = await HouseAsync(spares: 1);
        await DesignJoinStartAsync(h);
        var first = await RunStageAsync(h, 0);

        // Stage 2 (mason → carpenter): the carpenter reports a defect, the mason admits it.
        var mason = h.StageMembers[1];
        var carpenter = h.StageMembers[2];
        var spare = h.Spares[0];
        var running = await Cycle(h).Get();
        var failedDealId = running.Stages[1].DealId!;
        Assert.Equal("stage-not-failed", await Code(() => Cycle(h).Reassign(h.Organizer, 1, spare)));
        await h.C.Deal(failedDealId).FileClaim(carpenter, "claim-1", 300m, "The walls are out of plumb.");
        var settled = await h.C.Deal(failedDealId).AdmitClaim(mason);
        Assert.Equal(DealState.Settled, settled.State);
        Assert.Equal(300m, settled.Settlement!.Awarded);
        Assert.Equal(0m, settled.Settlement.Unpaid);
        Assert.Equal(MemberDeposit + 300m, (await h.C.AccountOf(carpenter)).Balance); // compensated from the mason's cover
        Assert.Equal(MemberDeposit - 300m, (await h.C.AccountOf(mason)).Balance);

        var broken = await WaitAsync(Cycle(h), v => v.State == CycleState.Broken, "the cycle to break");
        Assert.Equal(1, broken.CurrentStage);
        Assert.Equal("failed", broken.Stages[1].Status);
        Assert.Equal(DealState.Settled, broken.Stages[1].DealState);
        var failure = Assert.Single(broken.Failures);
        Assert.Equal((1, mason, failedDealId), (failure.Index, failure.MemberId, failure.DealId));
        Assert.Contains("300.00", failure.Reason);

        // Refusals while broken: not the organizer; a stage that did not fail; a neighbour; the spare joining before it is given the stage.
        Assert.Equal("not-the-organizer", await Code(() => Cycle(h).Reassign(mason, 1, spare)));
        Assert.Equal("stage-not-failed", await Code(() => Cycle(h).Reassign(h.Organizer, 2, spare)));
        Assert.Equal("stage-not-failed", await Code(() => Cycle(h).Reassign(h.Organizer, 0, spare)));
        Assert.Equal("member-twice-in-a-row", await Code(() => Cycle(h).Reassign(h.Organizer, 1, carpenter)));
        Assert.Equal("not-the-stage-member", await Code(() => Cycle(h).Join(1, spare)));
        Assert.Equal(CycleState.Broken, (await Cycle(h).CheckProgress()).State);

        var reassigned = await Cycle(h).Reassign(h.Organizer, 1, spare);
        Assert.Equal(CycleState.Broken, reassigned.State);
        Assert.Equal((spare, false, "waiting"), (reassigned.Stages[1].MemberId, reassigned.Stages[1].Joined, reassigned.Stages[1].Status));
        Assert.Null(reassigned.Stages[1].DealId);
        Assert.Equal("not-the-stage-member", await Code(() => Cycle(h).Join(1, mason)));
        // The new member finds the cycle in its own list ("my cycles"); the one who failed keeps it there too.
        Assert.Contains(h.CycleId, (await h.C.Member(spare).Get()).Cycles!);
        Assert.Contains(h.CycleId, (await h.C.Member(mason).Get()).Cycles!);
        // Giving the stage to the same member again (a retry) changes nothing.
        Assert.Equal(reassigned.LastEventSeq, (await Cycle(h).Reassign(h.Organizer, 1, spare)).LastEventSeq);
        Assert.Single((await Cycle(h).Get()).Reassignments);

        var recovered = await Cycle(h).Join(1, spare);
        Assert.Equal(CycleState.Running, recovered.State);
        Assert.Equal(1, recovered.CurrentStage);
        var newDealId = recovered.Stages[1].DealId;
        Assert.NotNull(newDealId);
        Assert.NotEqual(failedDealId, newDealId);

        for (var i = 1; i < Roles.Length; i++) await RunStageAsync(h, i);

        var view = await Cycle(h).Get();
        AssertCompleted(view);
        Assert.Equal(spare, view.Stages[1].MemberId);
        Assert.Equal([first.Id, failedDealId, newDealId!, view.Stages[2].DealId!, view.Stages[3].DealId!], view.DealHistory);
        Assert.Single(view.Failures);
        var reassignment = Assert.Single(view.Reassignments);
        Assert.Equal((1, mason, spare), (reassignment.Index, reassignment.FromMemberId, reassignment.ToMemberId));
        Assert.Equal(DealState.Settled, (await h.C.Deal(failedDealId).Get()).State);

        var kinds = (await Cycle(h).GetEvents(0, 1000)).Select(e => e.Kind).ToList();
        Assert.True(kinds.IndexOf("stage-failed") < kinds.IndexOf("stage-reassigned"));
        Assert.True(kinds.IndexOf("stage-reassigned") < kinds.IndexOf("recovered"));
        Assert.Equal(5, kinds.Count(k => k == "stage-deal-covered"));
        Assert.Equal(4, kinds.Count(k => k == "stage-completed"));
        Assert.Equal("completed", kinds[^1]);

        // Every step is in the community's journal, once and in order (rule 23).
        var journalled = await JournalTests.SourceEntriesAsync(Grains, h.C.Id, $"cycle:{h.CycleId}");
        Assert.Equal(kinds.Select(k => "cycle-" + k), journalled.Select(e => e.Kind));

        // The compensation moved money between members; the total stays.
        await AssertLedgerConservedAsync(h);
    }

    [Fact]
    public async Task A_stage_deal_cancelled_while_it_waits_for_cover_fails_the_stage_and_a_reassigned_stage_runs_on()
    {
        var h = await HouseAsync(spares: 1);
        await DesignJoinStartAsync(h);
        var (mason, carpenter, spare) = (h.StageMembers[1], h.StageMembers[2], h.Spares[0]);
        // The carpenter loses a guarantor: stage 2's deal (mason → carpenter) is proposed but cannot be covered.
        await h.C.GuaranteeBetween(carpenter, h.C.Founders[0]).Withdraw(h.C.Founders[0], carpenter);
        await RunStageAsync(h, 0);
        var blocked = await WaitAsync(Cycle(h), v => v.Stages[1].Blocked is not null, "stage 2 to wait for cover");
        var waitingDeal = blocked.Stages[1].DealId!;
        Assert.Equal(DealState.Proposed, (await h.C.Deal(waitingDeal).Get()).State);

        // A party cancels the waiting deal: retrying it could never succeed, so the stage fails.
        await h.C.Deal(waitingDeal).Cancel(carpenter);
        var broken = await Cycle(h).CheckProgress();
        Assert.Equal(CycleState.Broken, broken.State);
        Assert.Equal(("failed", DealState.Cancelled), (broken.Stages[1].Status, broken.Stages[1].DealState));
        var failure = Assert.Single(broken.Failures);
        Assert.Equal((1, mason, waitingDeal), (failure.Index, failure.MemberId, failure.DealId));
        Assert.Contains("cancelled", failure.Reason);

        // The carpenter is guaranteed again; the organizer gives the stage to the spare, who joins: a new deal is covered.
        await h.C.GuaranteeAsync(h.C.Founders[2], carpenter, 1_000m);
        await Cycle(h).Reassign(h.Organizer, 1, spare);
        var running = await Cycle(h).Join(1, spare);
        Assert.Equal(CycleState.Running, running.State);
        var deal = await RunStageAsync(h, 1);
        Assert.NotEqual(waitingDeal, deal.Id);
        Assert.Equal((spare, carpenter), (deal.ProviderId, deal.ConsumerId));
        for (var i = 2; i < Roles.Length; i++) await RunStageAsync(h, i);
        var done = await Cycle(h).Get();
        AssertCompleted(done);
        Assert.Contains(waitingDeal, done.DealHistory);
        await AssertLedgerConservedAsync(h);
    }

    [Fact]
    public async Task A_stage_whose_covering_was_interrupted_runs_once_its_deal_recovers()
    {
        var h = await RecruitedHouseAsync();
        var dealId = FirstStageDealId(h);
        ClusterFixture.Faults.Arm(OrleansGuarantee.Infrastructure.FaultPoints.DealHoldPlacing, dealId);
        Assert.Equal("operation-interrupted", await Code(() => Cycle(h).Start(h.Organizer)));

        // The deal finishes its acceptance on recovery; the cycle reads it and the stage runs (not "opening" for ever).
        await fixture.Cluster.DeactivateAsync(h.C.Deal(dealId));
        Assert.Equal(DealState.Accepted, (await h.C.Deal(dealId).Get()).State);
        var view = await Cycle(h).CheckProgress();
        Assert.Equal(("running", DealState.Accepted, (string?)null), (view.Stages[0].Status, view.Stages[0].DealState, view.Stages[0].Blocked));
        Assert.Single(await Cycle(h).GetEvents(0, 1000), e => e.Kind == "stage-deal-covered");
        for (var i = 0; i < Roles.Length; i++) await RunStageAsync(h, i);
        AssertCompleted(await Cycle(h).Get());
        await AssertLedgerConservedAsync(h);
    }

    [Fact]
    public async Task A_blocked_stage_whose_retried_covering_was_interrupted_follows_its_deal_even_once_it_is_settled()
    {
        var h = await RecruitedHouseAsync();
        var (founder, mason) = (h.StageMembers[0], h.StageMembers[1]);
        // The mason (stage 1's consumer) loses its guarantor: stage 1's deal is proposed but waits for cover.
        await h.C.GuaranteeBetween(mason, h.C.Founders[0]).Withdraw(h.C.Founders[0], mason);
        var blocked = await Cycle(h).Start(h.Organizer);
        Assert.NotNull(blocked.Stages[0].Blocked);
        Assert.Equal(DealState.Proposed, blocked.Stages[0].DealState);
        var dealId = blocked.Stages[0].DealId!;

        // Guaranteed again, the retry's covering is interrupted (its reply lost); the deal's recovery finishes it.
        await h.C.GuaranteeAsync(h.C.Founders[2], mason, 1_000m);
        ClusterFixture.Faults.Arm(OrleansGuarantee.Infrastructure.FaultPoints.DealHoldPlacing, dealId);
        Assert.Equal("operation-interrupted", await Code(() => Cycle(h).CheckProgress()));
        await fixture.Cluster.DeactivateAsync(h.C.Deal(dealId));
        Assert.Equal(DealState.Accepted, (await h.C.Deal(dealId).Get()).State);

        // Before the cycle looks again, the mason reports a defect and it is admitted: the deal is settled. The cycle
        // must follow the deal (it is no longer proposed: accepting it again is refused) and break, not wait for ever.
        await h.C.Deal(dealId).FileClaim(mason, "claim-1", 100m, "Late and short.");
        Assert.Equal(DealState.Settled, (await h.C.Deal(dealId).AdmitClaim(founder)).State);
        var broken = await WaitAsync(Cycle(h), v => v.State == CycleState.Broken, "the cycle to break");
        Assert.Equal(("failed", DealState.Settled), (broken.Stages[0].Status, broken.Stages[0].DealState));
        var failure = Assert.Single(broken.Failures);
        Assert.Equal((0, founder, dealId), (failure.Index, failure.MemberId, failure.DealId));
        var kinds = (await Cycle(h).GetEvents(0, 1000)).Select(e => e.Kind).ToList();
        Assert.Equal(1, kinds.Count(k => k == "stage-deal-covered"));
        Assert.True(kinds.IndexOf("stage-deal-covered") < kinds.IndexOf("stage-failed"));
        await AssertLedgerConservedAsync(h);
    }

    [Fact]
    public async Task A_stage_whose_proposal_never_reached_its_deal_is_proposed_again_and_runs()
    {
        // The stage stored its deal id, then the proposal failed before the deal existed (a silo killed as the stage
        // opened: "failed to address message"). Reading the deal would answer "no deal" for ever; the cycle must propose
        // it again. (The fault suite's synergy cycle once waited for ever on such a deal.)
        var h = await RecruitedHouseAsync();
        var dealId = FirstStageDealId(h);
        ClusterFixture.Faults.Arm(FaultPoints.DealProposing, dealId, times: 1_000); // the cycle's reminder fails too, meanwhile
        await Assert.ThrowsAnyAsync<Exception>(() => Cycle(h).Start(h.Organizer));
        var stalled = await Cycle(h).Get();
        Assert.Equal((dealId, (DealState?)null), (stalled.Stages[0].DealId, stalled.Stages[0].DealState));
        Assert.Equal("deal-not-found", await Code(() => h.C.Deal(dealId).Get()));

        ClusterFixture.Faults.Disarm(FaultPoints.DealProposing, dealId);
        var view = await Cycle(h).CheckProgress();
        Assert.Equal(("running", DealState.Accepted), (view.Stages[0].Status, view.Stages[0].DealState));
        for (var i = 0; i < Roles.Length; i++) await RunStageAsync(h, i);
        AssertCompleted(await Cycle(h).Get());
        await AssertLedgerConservedAsync(h);
    }

    // ---- Refusals -------------------------------------------------------------------------------

    [Fact]
    public async Task A_start_whose_reminder_could_not_be_armed_is_repeated_and_the_cycle_runs()
    {
        // The first Start stores "running", then the reminder table does not answer: the reminder that opens and follows
        // the stages is missing. Repeating Start (as a caller does after an error) must arm it, or the cycle never moves.
        var h = await RecruitedHouseAsync();
        ClusterFixture.Faults.Arm(FaultPoints.ReminderArming, h.CycleId);
        await Assert.ThrowsAnyAsync<Exception>(() => Cycle(h).Start(h.Organizer));
        Assert.Equal(CycleState.Running, (await Cycle(h).Get()).State);
        Assert.Null((await Cycle(h).Get()).Stages[0].DealId);

        Assert.Equal(CycleState.Running, (await Cycle(h).Start(h.Organizer)).State);
        var opened = await WaitAsync(Cycle(h), v => v.Stages[0].DealState == DealState.Accepted, "stage 1's deal to be opened by the reminder");
        Assert.Equal("running", opened.Stages[0].Status);
    }

    [Fact]
    public async Task Refusals_change_nothing()
    {
        var h = await HouseAsync(spares: 1);
        Assert.Equal("cycle-not-found", await Code(() => Cycle(h).Get()));
        var designed = await Cycle(h).Design(Design(h));
        Assert.Equal(h.CycleId, designed.Id);
        Assert.Equal(designed.LastEventSeq, (await Cycle(h).Design(Design(h))).LastEventSeq); // idempotent
        Assert.Equal("cycle-exists", await Code(() => Cycle(h).Design(Design(h) with { OperationId = "other" })));

        await Cycle(h).Join(0, h.StageMembers[0]);
        Assert.Equal("stages-not-joined", await Code(() => Cycle(h).Start(h.Organizer)));
        Assert.Equal("not-the-stage-member", await Code(() => Cycle(h).Join(1, h.Spares[0])));
        Assert.Equal("not-the-stage-member", await Code(() => Cycle(h).Join(1, h.StageMembers[0])));
        Assert.Equal("stage-not-found", await Code(() => Cycle(h).Join(4, h.StageMembers[0])));
        Assert.Equal("stage-not-failed", await Code(() => Cycle(h).Reassign(h.Organizer, 1, h.Spares[0])));
        Assert.Equal("not-the-organizer", await Code(() => Cycle(h).Reassign(h.StageMembers[1], 1, h.Spares[0])));
        var before = await Cycle(h).Get();
        Assert.Equal(CycleState.Recruiting, before.State);
        Assert.Equal([true, false, false, false], before.Stages.Select(s => s.Joined));

        for (var i = 1; i < Roles.Length; i++) await Cycle(h).Join(i, h.StageMembers[i]);
        Assert.Equal("not-the-organizer", await Code(() => Cycle(h).Start(h.StageMembers[0])));
        var started = await Cycle(h).Start(h.Organizer);
        Assert.Equal(CycleState.Running, started.State);
        Assert.Equal(started.LastEventSeq, (await Cycle(h).Start(h.Organizer)).LastEventSeq); // starting again changes nothing
        Assert.Equal("not-the-organizer", await Code(() => Cycle(h).Reassign(h.StageMembers[0], 0, h.Spares[0])));
        Assert.Equal("stage-not-failed", await Code(() => Cycle(h).Reassign(h.Organizer, 0, h.Spares[0])));
        Assert.Equal(started.LastEventSeq, (await Cycle(h).Get()).LastEventSeq);

        // Designs the grain refuses: a stage member from another community; the organizer as the last stage.
        var other = await TestCommunity.CreateAsync(Grains, founderDeposit: 0);
        var outsider = await other.SignUpAsync("out");
        var bad = Design(h) with { OperationId = TestCommunity.Unique("op2"), Stages = [new StageSpec("supplier", outsider, 10m), new StageSpec("mason", h.StageMembers[1], 10m)] };
        Assert.Equal("different-community", await Code(() => Grains.GetGrain<ISynergyCycleGrain>(CycleIds.For(h.Organizer, bad.OperationId)).Design(bad)));
        var last = Design(h) with { OperationId = TestCommunity.Unique("op3"), Stages = [new StageSpec("supplier", h.StageMembers[0], 10m), new StageSpec("mason", h.Organizer, 10m)] };
        Assert.Equal("organizer-is-last-stage", await Code(() => Grains.GetGrain<ISynergyCycleGrain>(CycleIds.For(h.Organizer, last.OperationId)).Design(last)));
        Assert.Equal("cycle-not-found", await Code(() => Grains.GetGrain<ISynergyCycleGrain>(CycleIds.For(h.Organizer, last.OperationId)).Get()));
    }

    // ---- Streams --------------------------------------------------------------------------------

    [Fact]
    public async Task Subscribers_from_before_the_design_and_from_mid_way_see_every_event_once_in_order()
    {
        var h = await HouseAsync(spares: 1);
        // The cycle id is known before it exists: subscribe first.
        // Without the feed's periodic checks: everything after the (empty) history must come from the stream itself.
        await using var early = await CycleEventCollector.FromStartAsync(fixture.Client, h.CycleId, streamOnly: true);
        Assert.Empty(early.Events);

        await DesignJoinStartAsync(h);
        await RunStageAsync(h, 0);

        // A subscriber that comes mid-way reads the history, then the stream.
        var midSeq = (await Cycle(h).Get()).LastEventSeq;
        await using var mid = await CycleEventCollector.FromStartAsync(fixture.Client, h.CycleId);
        await using var now = await CycleEventCollector.FromNowAsync(fixture.Client, h.CycleId);
        Assert.True(mid.LastSeq >= midSeq);

        // A failure and a reassignment on the way, so every kind of event is streamed.
        var failedDealId = (await Cycle(h).Get()).Stages[1].DealId!;
        await h.C.Deal(failedDealId).FileClaim(h.StageMembers[2], "claim", 100m, "Cracked bricks.");
        await h.C.Deal(failedDealId).AdmitClaim(h.StageMembers[1]);
        await WaitAsync(Cycle(h), v => v.State == CycleState.Broken, "the cycle to break");
        await Cycle(h).Reassign(h.Organizer, 1, h.Spares[0]);
        await Cycle(h).Join(1, h.Spares[0]);
        for (var i = 1; i < Roles.Length; i++) await RunStageAsync(h, i);

        var final = await Cycle(h).Get();
        Assert.Equal(CycleState.Completed, final.State);
        var n = final.LastEventSeq;
        var history = await Cycle(h).GetEvents(0, 1000);
        Assert.Equal(n, history.Count);
        var expected = Enumerable.Range(1, (int)n).Select(i => (long)i).ToList();
        Assert.Equal(expected, history.Select(e => e.Seq));

        await early.WaitForSeqAsync(n);
        await mid.WaitForSeqAsync(n);
        await now.WaitForSeqAsync(n);
        await Task.Delay(300); // anything repeated or late would arrive by now

        Assert.Equal(expected, early.Events.Select(e => e.Seq));
        Assert.Equal(expected, mid.Events.Select(e => e.Seq));
        Assert.Equal(history.Select(Key), early.Events.Select(Key));
        Assert.Equal(history.Select(Key), mid.Events.Select(Key));
        // The early subscriber got everything from the stream itself: exactly once, in order. (A missing or
        // out-of-order delivery would have been filled from the history, a repeated one dropped and counted.)
        Assert.All(early.Sources, s => Assert.Equal(CycleEventSource.Stream, s));
        Assert.Equal(0, early.RepeatsDropped);
        // From now: only what came after it subscribed, in order, through to the end.
        var fromNow = now.Events.Select(e => e.Seq).ToList();
        Assert.NotEmpty(fromNow);
        Assert.Equal(Enumerable.Range((int)fromNow[0], (int)(n - fromNow[0] + 1)).Select(i => (long)i), fromNow);
        Assert.True(fromNow[0] > midSeq);
        Assert.Equal(history.Skip((int)fromNow[0] - 1).Select(Key), now.Events.Select(Key));

        foreach (var kind in new[] { "designed", "stage-joined", "started", "stage-deal-covered", "stage-completed", "stage-failed", "stage-reassigned", "recovered", "completed" })
            Assert.Contains(early.Events, e => e.Kind == kind);
        Assert.All(early.Events, e => Assert.Equal(h.CycleId, e.CycleId));
        Assert.Equal(CycleState.Completed, early.Events[^1].State);
    }

    private static (long, string, int?, string, CycleState) Key(CycleEvent e) => (e.Seq, e.Kind, e.StageIndex, e.Description, e.State);
}
