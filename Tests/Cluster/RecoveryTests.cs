using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// Multi-grain money steps interrupted at every point between them (an injected fault stands for a crash
/// or a lost reply), then recovered by reactivating the grain: nothing leaks, nothing is created or lost.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RecoveryTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;
    private static TestFaults Faults => ClusterFixture.Faults;

    private async Task<(TestCommunity C, string Provider, string Consumer, DealView Deal)> ProposedDealAsync(decimal providerDeposit = 50)
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var provider = await c.ActiveMemberAsync("prov", deposit: providerDeposit, limit: 200m);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500);
        var deal = await c.ProposeAsync(provider, provider, consumer, 100m);
        return (c, provider, consumer, deal);
    }

    /// <summary>Drops the activation, as a silo crash would, and reads the deal again (activation resumes pending steps).</summary>
    private async Task<DealView> CrashAndReadAsync(TestCommunity c, string dealId)
    {
        await fixture.Cluster.DeactivateAsync(c.Deal(dealId));
        return await c.Deal(dealId).Get();
    }

    private static async Task AssertHoldsMatchCoverAsync(TestCommunity c, DealView deal, params string[] members)
    {
        foreach (var member in members)
        {
            var view = await c.Member(member).Get();
            var expected = deal.Cover.Where(h => h.MemberId == member).Sum(h => h.Amount);
            Assert.Equal(expected, view.Holds.Where(h => h.DealId == deal.Id).Sum(h => h.Amount));
            Assert.InRange(view.Deposit.Held, 0m, view.Deposit.Balance);
        }
    }

    [Fact]
    public async Task A_crash_after_the_plan_is_stored_and_before_any_hold_is_finished_on_recovery()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        Faults.Arm(FaultPoints.DealAcceptPlanned, deal.Id);
        await Assert.ThrowsAnyAsync<Exception>(() => c.Deal(deal.Id).Accept(consumer));
        var recovered = await CrashAndReadAsync(c, deal.Id);
        Assert.Equal(DealState.Accepted, recovered.State);
        await AssertHoldsMatchCoverAsync(c, recovered, provider, consumer, c.Founders[0], c.Founders[1]);
        Assert.Equal(200m, recovered.Cover.Sum(h => h.Amount));
    }

    [Fact]
    public async Task A_crash_between_holds_is_finished_on_recovery_with_each_hold_placed_once()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        Faults.Arm(FaultPoints.DealHoldPlacing, deal.Id);
        var ex = await Assert.ThrowsAsync<GuaranteeException>(() => c.Deal(deal.Id).Accept(consumer));
        Assert.Equal(("operation-interrupted", ErrorKind.Interrupted), (ex.Code, ex.Kind));
        // Until the check, every retry fails too: a recovery book tick (every 2 s) must not finish the holds before it.
        Faults.Arm(FaultPoints.DealHoldPlacing, deal.Id, times: int.MaxValue);
        var heldBefore = await c.HeldByAsync(provider, consumer, c.Founders[0], c.Founders[1]);
        Assert.InRange(heldBefore, 0.01m, 199.99m); // some holds placed, one not
        Faults.Disarm(FaultPoints.DealHoldPlacing, deal.Id);
        var recovered = await CrashAndReadAsync(c, deal.Id);
        Assert.Equal(DealState.Accepted, recovered.State);
        await AssertHoldsMatchCoverAsync(c, recovered, provider, consumer, c.Founders[0], c.Founders[1]);
    }

    [Fact]
    public async Task With_nobody_calling_the_deal_its_reminder_finishes_an_interrupted_acceptance()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        Faults.Arm(FaultPoints.DealHoldPlacing, deal.Id);
        await Assert.ThrowsAsync<GuaranteeException>(() => c.Deal(deal.Id).Accept(consumer));
        // The interrupted deal dropped its own activation; nothing calls it from here on. Until the check, the book's
        // ticks fail as well, so they cannot finish the holds before it.
        Faults.Arm(FaultPoints.DealHoldPlacing, deal.Id, times: int.MaxValue);
        var parties = new[] { provider, consumer, c.Founders[0], c.Founders[1] };
        var held = await c.HeldByAsync(parties);
        Assert.InRange(held, 0.01m, 199.99m); // one hold is missing
        Faults.Disarm(FaultPoints.DealHoldPlacing, deal.Id);

        // Only the members are read (that does not wake the deal): the reminder must do it.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(250);
            held = await c.HeldByAsync(parties);
        } while (held < 200m && DateTime.UtcNow < deadline);
        Assert.Equal(200m, held);
        Assert.Equal(DealState.Accepted, (await c.Deal(deal.Id).Get()).State);
    }

    private static IRecoveryBookGrain BookOf(IAddressable grain, IGrainFactory grains) =>
        grains.GetGrain<IRecoveryBookGrain>(RecoveryBooks.KeyOf(grain.GetGrainId()));

    private static Task<long?> BookTicketAsync(IAddressable grain, IGrainFactory grains) => BookTicketAsync(grain.GetGrainId(), grains);

    private static async Task<long?> BookTicketAsync(GrainId grain, IGrainFactory grains)
    {
        var id = grain.ToString();
        return (await grains.GetGrain<IRecoveryBookGrain>(RecoveryBooks.KeyOf(grain)).Entries()).FirstOrDefault(e => e.GrainId == id)?.Ticket;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task A_crash_after_the_plan_is_stored_is_finished_by_the_recovery_book_with_nobody_calling_the_deal()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        var parties = new[] { provider, consumer, c.Founders[0], c.Founders[1] };
        Faults.Arm(FaultPoints.DealAcceptPlanned, deal.Id);
        // Until the "crash" below, every hold fails, so a tick (every 2 s) cannot finish the steps early.
        Faults.Arm(FaultPoints.DealHoldPlacing, deal.Id, times: int.MaxValue);
        await Assert.ThrowsAnyAsync<Exception>(() => c.Deal(deal.Id).Accept(consumer));
        // The pending steps are stored with a book entry; then the deal's silo "crashes" and so does the book's.
        Assert.NotNull(await BookTicketAsync(c.Deal(deal.Id), Grains));
        await fixture.Cluster.DeactivateAsync(c.Deal(deal.Id));
        await fixture.Cluster.DeactivateAsync(BookOf(c.Deal(deal.Id), Grains));
        Faults.Disarm(FaultPoints.DealHoldPlacing, deal.Id);

        // Only the members are read (that does not wake the deal): the book's tick must.
        await WaitUntilAsync(async () => await c.HeldByAsync(parties) == 200m, "the cover is held");
        var recovered = await c.Deal(deal.Id).Get();
        Assert.Equal(DealState.Accepted, recovered.State);
        await AssertHoldsMatchCoverAsync(c, recovered, parties);
        // The entry goes once the deal has nothing pending.
        await WaitUntilAsync(async () => await BookTicketAsync(c.Deal(deal.Id), Grains) is null, "the book dropped the entry");
    }

    [Fact]
    public async Task A_crash_while_releasing_is_finished_by_the_recovery_book_with_nobody_calling_the_deal()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        var parties = new[] { provider, consumer, c.Founders[0], c.Founders[1] };
        await c.Deal(deal.Id).Accept(consumer);
        await c.Deal(deal.Id).Confirm(provider);
        Faults.Arm(FaultPoints.DealReleasing, deal.Id);
        await Assert.ThrowsAsync<GuaranteeException>(() => c.Deal(deal.Id).Confirm(consumer));
        await fixture.Cluster.DeactivateAsync(c.Deal(deal.Id));

        await WaitUntilAsync(async () => await c.HeldByAsync(parties) == 0m, "every hold is released");
        Assert.Equal(DealState.Completed, (await c.Deal(deal.Id).Get()).State);
        foreach (var m in parties)
            Assert.Empty((await c.Member(m).Get()).Holds);
    }

    [Fact]
    public async Task A_finished_deal_leaves_no_entry_in_its_recovery_book()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        await c.Deal(deal.Id).Accept(consumer);
        await c.Deal(deal.Id).Confirm(provider);
        await c.Deal(deal.Id).Confirm(consumer);
        // "Done" is one way: wait for it rather than for a tick (a tick would drop the entry as well).
        await WaitUntilAsync(async () => await BookTicketAsync(c.Deal(deal.Id), Grains) is null, "the book dropped the entry");
    }

    [Fact]
    public async Task A_late_done_of_earlier_steps_does_not_drop_a_newer_recovery_book_entry()
    {
        // A grain of a type no silo hosts: every poke of a tick fails, and a grain the book cannot wake keeps its entry,
        // so only Done can drop it. (With a real grain that has nothing pending, a tick every 2 s could drop the entry
        // between two lines of this test: CI once saw exactly that.)
        var grain = GrainId.Create("og-test-unwakeable", TestCommunity.Unique("book-entry"));
        var book = Grains.GetGrain<IRecoveryBookGrain>(RecoveryBooks.KeyOf(grain));
        await book.Add(grain, 2);
        await book.Done(grain, 1);
        Assert.Equal(2, await BookTicketAsync(grain, Grains));
        await book.Add(grain, 1); // a late, lower ticket does not lower it either
        Assert.Equal(2, await BookTicketAsync(grain, Grains));
        await book.Done(grain, 2);
        await WaitUntilAsync(async () => await BookTicketAsync(grain, Grains) is null, "the done of the latest steps dropped the entry");
    }

    [Fact]
    public async Task The_recovery_book_drops_an_entry_whose_grain_has_nothing_pending_on_its_tick()
    {
        var grain = Grains.GetGrain<IDealGrain>(TestCommunity.Unique("book-stale"));
        await BookOf(grain, Grains).Add(grain.GetGrainId(), 1); // as if its "done" was lost
        await WaitUntilAsync(async () => await BookTicketAsync(grain, Grains) is null, "the tick dropped the stale entry");
    }

    [Fact]
    public async Task When_the_recovery_reminder_cannot_be_stored_the_deal_stays_as_stored_and_is_accepted_again()
    {
        // The reminder table does not answer (Azurite down) after the deal marked itself "accepting" in memory: nothing
        // was stored, so nothing may stay changed. (It once stayed "accepting" in memory with no step and no reminder to
        // finish it, and a synergy cycle waiting on it never moved.)
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        Faults.Arm(FaultPoints.ReminderArming, deal.Id);
        await Assert.ThrowsAnyAsync<Exception>(() => c.Deal(deal.Id).Accept(consumer));
        var read = await c.Deal(deal.Id).Get();
        Assert.Equal(DealState.Proposed, read.State);
        Assert.Empty(read.Cover);
        Assert.Equal(0m, await c.HeldByAsync(provider, consumer, c.Founders[0], c.Founders[1]));

        var accepted = await c.Deal(deal.Id).Accept(consumer);
        Assert.Equal(DealState.Accepted, accepted.State);
        await AssertHoldsMatchCoverAsync(c, accepted, provider, consumer, c.Founders[0], c.Founders[1]);
    }

    [Fact]
    public async Task A_hold_whose_reply_is_lost_is_not_placed_twice()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        Faults.Arm(FaultPoints.MemberAfterWrite, provider);
        await Assert.ThrowsAsync<GuaranteeException>(() => c.Deal(deal.Id).Accept(consumer));
        var recovered = await CrashAndReadAsync(c, deal.Id);
        Assert.Equal(DealState.Accepted, recovered.State);
        Assert.Equal(50m, (await c.AccountOf(provider)).Held);
        await AssertHoldsMatchCoverAsync(c, recovered, provider, consumer, c.Founders[0], c.Founders[1]);
    }

    [Fact]
    public async Task When_cover_vanishes_during_a_crash_recovery_rolls_every_hold_back()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        Faults.Arm(FaultPoints.DealAcceptPlanned, deal.Id);
        await Assert.ThrowsAnyAsync<Exception>(() => c.Deal(deal.Id).Accept(consumer));
        // While the deal is down, the provider takes its money out: its planned hold will be refused.
        await c.Member(provider).Withdraw("take-it-out", 50m);

        var recovered = await CrashAndReadAsync(c, deal.Id);
        Assert.Equal(DealState.Proposed, recovered.State);
        Assert.Contains("could not be held", recovered.LastAcceptFailure ?? "");
        foreach (var m in new[] { provider, consumer, c.Founders[0], c.Founders[1] })
            Assert.Equal(0m, (await c.AccountOf(m)).Held);

        // and the deal can be accepted again later: guarantors now cover all of the provider's part
        var accepted = await c.Deal(deal.Id).Accept(consumer);
        Assert.Equal(DealState.Accepted, accepted.State);
        Assert.Equal(100m, accepted.Cover.Where(h => h.ForParty == provider && h.MemberId != provider).Sum(h => h.Amount));
    }

    [Fact]
    public async Task A_crash_while_releasing_a_completed_deal_is_finished_on_recovery()
    {
        var (c, provider, consumer, deal) = await ProposedDealAsync();
        await c.Deal(deal.Id).Accept(consumer);
        await c.Deal(deal.Id).Confirm(provider);
        Faults.Arm(FaultPoints.DealReleasing, deal.Id);
        await Assert.ThrowsAsync<GuaranteeException>(() => c.Deal(deal.Id).Confirm(consumer));
        var recovered = await CrashAndReadAsync(c, deal.Id);
        Assert.Equal(DealState.Completed, recovered.State);
        foreach (var m in new[] { provider, consumer, c.Founders[0], c.Founders[1] })
            Assert.Empty((await c.Member(m).Get()).Holds);
    }

    [Fact]
    public async Task A_transfer_interrupted_between_debit_and_credit_is_completed_and_conserves_money()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var payer = await c.SignUpAsync("payer", 100);
        var payee = await c.SignUpAsync("payee", 10);
        var id = TestCommunity.Unique("t");
        var transfer = Grains.GetGrain<ITransferGrain>(id);
        Faults.Arm(FaultPoints.TransferDebited, id);
        await Assert.ThrowsAsync<GuaranteeException>(() => transfer.Execute(payer, payee, 30m, null));
        Assert.Equal(70m, (await c.AccountOf(payer)).Balance);
        Assert.Equal(10m, (await c.AccountOf(payee)).Balance); // money in flight, recorded by the transfer

        await fixture.Cluster.DeactivateAsync(transfer);
        Assert.Equal(TransferStage.Completed, (await transfer.Get())!.Stage);
        Assert.Equal(40m, (await c.AccountOf(payee)).Balance);
        Assert.Equal(TransferStage.Completed, (await transfer.Execute(payer, payee, 30m, null)).Stage); // repeat: no effect
        Assert.Equal(70m, (await c.AccountOf(payer)).Balance);
        Assert.Equal(40m, (await c.AccountOf(payee)).Balance);
    }

    [Fact]
    public async Task A_refused_transfer_moves_nothing()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var payer = await c.SignUpAsync("payer", 10);
        var payee = await c.SignUpAsync("payee");
        var ex = await Assert.ThrowsAsync<GuaranteeException>(() => Grains.GetGrain<ITransferGrain>(TestCommunity.Unique("t")).Execute(payer, payee, 30m, null));
        Assert.Equal("transfer-refused", ex.Code);
        Assert.Equal(10m, (await c.AccountOf(payer)).Balance);
        Assert.Equal(0m, (await c.AccountOf(payee)).Balance);
    }

    [Fact]
    public async Task A_guarantee_stored_but_not_yet_told_to_the_members_reaches_them_on_recovery()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var ward = await c.SignUpAsync();
        var g = c.GuaranteeBetween(ward, c.Founders[0]);
        await g.Request("r", ward, c.Founders[0]);
        Faults.Arm(FaultPoints.GuaranteeStored, GuaranteeKeys.For(ward, c.Founders[0]));
        await Assert.ThrowsAnyAsync<Exception>(() => g.Accept("a", c.Founders[0], ward, 100m));
        Assert.Empty((await c.Member(ward).Get()).Guarantors);

        await fixture.Cluster.DeactivateAsync(g);
        Assert.Equal(GuaranteeState.Accepted, (await g.Get())!.State);
        Assert.Single((await c.Member(ward).Get()).Guarantors);
        Assert.Single((await c.Member(c.Founders[0]).Get()).Wards);
    }

    [Fact]
    public async Task A_community_stored_before_its_founders_exist_is_finished_on_recovery()
    {
        var id = TestCommunity.Unique("c");
        var founders = Enumerable.Range(0, 3).Select(i => new FounderSpec(TestCommunity.Unique("f"), $"F{i}")).ToList();
        var grain = Grains.GetGrain<ICommunityGrain>(id);
        Faults.Arm(FaultPoints.CommunityStored, id);
        await Assert.ThrowsAnyAsync<Exception>(() => grain.Create(new CreateCommunity("X", founders, null)));
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(3, (await grain.Get()).Founders.Count);
        foreach (var f in founders)
            Assert.Equal(MemberStatus.Founder, (await Grains.GetGrain<IMemberGrain>(f.Id).Get()).Status);
    }
}
