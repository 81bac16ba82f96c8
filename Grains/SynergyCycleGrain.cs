using Microsoft.Extensions.Logging;
using OrleansGuarantee.Journal;
using Orleans.Streams;
using OrleansGuarantee.Domain;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.CycleStageState")]
public sealed class CycleStageState
{
    [Id(0)] public string Role { get; set; } = "";
    [Id(1)] public string MemberId { get; set; } = "";
    [Id(2)] public decimal MarketPrice { get; set; }
    [Id(3)] public bool Joined { get; set; }
    [Id(4)] public string Status { get; set; } = "waiting";
    [Id(5)] public string? DealId { get; set; }
    [Id(6)] public DealState? DealState { get; set; }
    /// <summary>Why the stage's deal could not be opened or covered yet (retried by the reminder).</summary>
    [Id(7)] public string? Blocked { get; set; }
    /// <summary>How many deals this stage has had (a reassigned stage gets a new one).</summary>
    [Id(8)] public int Runs { get; set; }
}

[GenerateSerializer, Alias("og.SynergyCycleState")]
public sealed class SynergyCycleState
{
    [Id(0)] public string? OperationId { get; set; }
    [Id(1)] public string OrganizerId { get; set; } = "";
    [Id(2)] public string CommunityId { get; set; } = "";
    [Id(3)] public string Product { get; set; } = "";
    [Id(4)] public decimal ProductValue { get; set; }
    [Id(5)] public decimal StageDiscount { get; set; }
    [Id(6)] public List<CycleStageState> Stages { get; set; } = [];
    [Id(7)] public CycleState State { get; set; }
    [Id(8)] public int Current { get; set; }
    [Id(9)] public List<StageFailure> Failures { get; set; } = [];
    [Id(10)] public List<StageReassignment> Reassignments { get; set; } = [];
    /// <summary>Every event of the cycle, numbered from 1 (the outbox of the stream and the history for late subscribers).</summary>
    [Id(11)] public List<CycleEvent> Events { get; set; } = [];
    /// <summary>Events up to this number are known to be on the stream.</summary>
    [Id(12)] public long PublishedSeq { get; set; }
    [Id(13)] public DateTimeOffset CreatedAt { get; set; }
    [Id(14)] public DateTimeOffset? CompletedAt { get; set; }
    [Id(15)] public List<string> DealHistory { get; set; } = [];
    /// <summary>Journal records of this cycle's steps not yet confirmed by the journal (rule 23).</summary>
    [Id(16)] public JournalOutbox Journal { get; set; } = new();
}

/// <summary>
/// A synergy cycle (rules 17-20). Each running stage is a deal of the core, opened and covered by the
/// cycle; the deal's completion (a one-way message, or the cycle's reminder reading the deal) moves the
/// cycle on, and a settled claim breaks the stage until the organizer reassigns it. Every change is
/// stored as a numbered event first and then published on the cycle's stream, so a crash between the
/// two only delays the event: it is published again on the next change, activation or reminder tick,
/// and subscribers drop numbers they have seen.
/// </summary>
public sealed class SynergyCycleGrain(
    [PersistentState("cycle", StorageNames.Store)] IPersistentState<SynergyCycleState> state,
    TimeProvider clock,
    IFaultInjector faults,
    ILogger<SynergyCycleGrain> logger) : Grain, ISynergyCycleGrain, IRemindable
{
    private const string ProgressReminder = "cycle-progress";
    /// <summary>How long a stage's deal has to be delivered.</summary>
    public static readonly TimeSpan StageDue = TimeSpan.FromDays(30);

    private SynergyCycleState S => state.State;
    private string Id => this.GetPrimaryKeyString();
    private bool Exists => S.OperationId is not null;

    private JournalDelivery? _journal;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _journal = new JournalDelivery(this, GrainFactory, $"cycle:{Id}", () => S.Journal, () => Exists ? S.CommunityId : null, logger);
        if (Exists && (S.PublishedSeq < S.Events.Count || S.Journal.Pending.Count > 0))
            this.RegisterGrainTimer(async _ =>
            {
                await PublishAsync();
                await _journal.FlushAsync();
            }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task<CycleView> Design(DesignCycle command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Ids.ValidateOperationId(command.OperationId);
        Ids.Validate(command.OrganizerId, "organizer");
        Ids.Validate(command.CommunityId, "community");
        if (Exists)
        {
            if (S.OperationId == command.OperationId && S.OrganizerId == command.OrganizerId)
            {
                await NotifyMembersAsync(); // a repeat after a failed notification lists the cycle at last
                return View();
            }
            throw GuaranteeException.Conflict("cycle-exists", $"Cycle {Id} already exists.");
        }
        var community = await GrainFactory.GetGrain<ICommunityGrain>(command.CommunityId).Get();
        var discount = command.StageDiscount ?? community.Settings.StageDiscount;
        SynergyMath.Validate(command.OrganizerId, command.Product, command.ProductValue, discount, command.Stages);
        var organizer = await Members(command.OrganizerId).Get();
        if (organizer.CommunityId != command.CommunityId)
            throw GuaranteeException.Invalid("different-community", $"{command.OrganizerId} is not a member of community {command.CommunityId}.");
        foreach (var memberId in command.Stages.Select(s => s.MemberId).Distinct(StringComparer.Ordinal))
        {
            var member = await Members(memberId).Get();
            if (member.CommunityId != command.CommunityId)
                throw GuaranteeException.Invalid("different-community", $"{memberId} is not a member of community {command.CommunityId}.");
        }

        S.OperationId = command.OperationId;
        S.OrganizerId = command.OrganizerId;
        S.CommunityId = command.CommunityId;
        S.Product = command.Product.Trim();
        S.ProductValue = command.ProductValue;
        S.StageDiscount = discount;
        S.Stages = command.Stages.Select(s => new CycleStageState { Role = s.Role.Trim(), MemberId = s.MemberId, MarketPrice = s.MarketPrice }).ToList();
        S.State = CycleState.Recruiting;
        S.CreatedAt = clock.GetUtcNow();
        Record("designed", null, $"{S.OrganizerId} designed '{S.Product}' in {S.Stages.Count} stages at a {S.StageDiscount:P0} stage discount.");
        await SaveAsync();
        await NotifyMembersAsync();
        return View();
    }

    public async Task<CycleView> Join(int stageIndex, string memberId)
    {
        EnsureExists();
        var stage = StageAt(stageIndex);
        if (stage.MemberId != memberId)
            throw GuaranteeException.Forbidden("not-the-stage-member", $"Stage {stageIndex + 1} is taken by {stage.MemberId}, not {memberId}.");
        if (stage.Joined) return View();
        if (S.State == CycleState.Completed || stage.Status == "done")
            throw GuaranteeException.Conflict("stage-done", $"Stage {stageIndex + 1} is done.");
        stage.Joined = true;
        Record("stage-joined", stageIndex, $"{memberId} joined stage {stageIndex + 1} ({stage.Role}).");
        if (S.State == CycleState.Broken && stageIndex == S.Current && S.Stages.All(s => s.Joined))
        {
            // The reassigned stage's new member agreed: the cycle continues from that stage.
            S.State = CycleState.Running;
            Record("recovered", stageIndex, $"The cycle continues from stage {stageIndex + 1} with {memberId}.");
            await SaveAsync();
            await OpenStageAsync();
            return View();
        }
        await SaveAsync();
        return View();
    }

    public async Task<CycleView> Start(string organizerId)
    {
        EnsureExists();
        EnsureOrganizer(organizerId);
        if (S.State != CycleState.Recruiting)
        {
            if (S.State == CycleState.Running)
            {
                // A first Start may have stored "running" and then failed to arm the reminder that opens and follows the
                // stages (the reminder table did not answer): repeating Start arms it, or the cycle would never move.
                await ArmReminderAsync();
                return View();
            }
            throw GuaranteeException.Conflict("cycle-not-recruiting", $"Cycle {Id} is {Word(S.State)}; only a recruiting cycle can start.");
        }
        var waiting = S.Stages.Select((s, i) => (s, i)).Where(x => !x.s.Joined).Select(x => $"{x.i + 1} ({x.s.MemberId})").ToList();
        if (waiting.Count > 0)
            throw GuaranteeException.Conflict("stages-not-joined", $"Every stage must join first; waiting for stage {string.Join(", ", waiting)}.");
        await NotifyMembersAsync();
        S.State = CycleState.Running;
        S.Current = 0;
        Record("started", 0, $"The cycle started: stage 1 of {S.Stages.Count}.");
        await SaveAsync();
        await ArmReminderAsync();
        await OpenStageAsync();
        return View();
    }

    public async Task<CycleView> Reassign(string organizerId, int stageIndex, string memberId)
    {
        EnsureExists();
        EnsureOrganizer(organizerId);
        var stage = StageAt(stageIndex);
        Ids.Validate(memberId, "member");
        if (S.State != CycleState.Broken || stageIndex != S.Current)
            throw GuaranteeException.Conflict("stage-not-failed", $"Only the failed stage of a broken cycle can be reassigned (cycle {Id} is {Word(S.State)}).");
        if (stage.MemberId == memberId && stage.Joined)
            throw GuaranteeException.Conflict("same-member", $"{memberId} already has stage {stageIndex + 1}.");
        if (stage.MemberId == memberId && S.Reassignments.LastOrDefault(r => r.Index == stageIndex)?.ToMemberId == memberId)
        {
            // A repeat (say after a timeout): the stage is already given to this member, who has not joined yet.
            await NotifyMembersAsync();
            return View();
        }
        var member = await Members(memberId).Get();
        if (member.CommunityId != S.CommunityId)
            throw GuaranteeException.Invalid("different-community", $"{memberId} is not a member of community {S.CommunityId}.");
        var neighbours = new[] { stageIndex > 0 ? S.Stages[stageIndex - 1].MemberId : null, stageIndex + 1 < S.Stages.Count ? S.Stages[stageIndex + 1].MemberId : S.OrganizerId };
        if (neighbours.Contains(memberId))
            throw GuaranteeException.Invalid("member-twice-in-a-row", $"{memberId} is on a neighbouring stage; a stage passes its work to another member.");
        if (stageIndex > 0 && S.Stages[stageIndex - 1].Status != "done")
            throw GuaranteeException.Conflict("stage-not-failed", "Only the failed stage can be reassigned.");
        S.Reassignments.Add(new StageReassignment(stageIndex, stage.MemberId, memberId, clock.GetUtcNow()));
        Record("stage-reassigned", stageIndex, $"{S.OrganizerId} gave stage {stageIndex + 1} ({stage.Role}) from {stage.MemberId} to {memberId}; it runs once {memberId} joins.");
        stage.MemberId = memberId;
        stage.Joined = false;
        stage.Status = "waiting";
        stage.DealId = null;
        stage.DealState = null;
        await SaveAsync();
        await NotifyMembersAsync();
        return View();
    }

    public async Task StageDealChanged(string dealId)
    {
        if (!Exists || S.State != CycleState.Running || S.Stages[S.Current].DealId != dealId) return;
        try
        {
            await ProgressAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Cycle {Cycle}: reading stage deal {Deal} failed; the reminder will try again", Id, dealId);
        }
    }

    public async Task<CycleView> CheckProgress()
    {
        EnsureExists();
        await ProgressAsync();
        await PublishAsync();
        return View();
    }

    public Task<CycleView> Get()
    {
        EnsureExists();
        return Task.FromResult(View());
    }

    public Task<IReadOnlyList<CycleEvent>> GetEvents(long afterSeq, int limit)
    {
        EnsureExists();
        limit = Math.Clamp(limit, 1, 1000);
        IReadOnlyList<CycleEvent> events = S.Events.Where(e => e.Seq > afterSeq).Take(limit).ToList();
        return Task.FromResult(events);
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ProgressReminder || !Exists) return;
        try
        {
            await ProgressAsync();
            await PublishAsync();
            if (S.State is CycleState.Completed)
            {
                var reminder = await this.GetReminder(ProgressReminder);
                if (reminder is not null) await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Cycle {Cycle}: the progress check failed; the reminder will try again", Id);
        }
    }

    /// <summary>Opens (or retries) the current stage's deal, or reads it and moves on when it completed or failed.</summary>
    private async Task ProgressAsync()
    {
        if (S.State != CycleState.Running) return;
        var stage = S.Stages[S.Current];
        // No deal state yet: the proposal may never have reached the deal (a silo died as the stage opened), so the deal
        // may not exist. Proposing again (idempotent by its operation id) creates it, or answers the deal as it is.
        if (stage.DealId is null || stage.DealState is null or DealState.Proposed)
        {
            await OpenStageAsync();
            return;
        }
        await ApplyStageDealAsync(stage, await GrainFactory.GetGrain<IDealGrain>(stage.DealId).Get());
    }

    /// <summary>Moves the current stage on from what its deal is now: covered, delivered, claimed, settled or cancelled.</summary>
    private async Task ApplyStageDealAsync(CycleStageState stage, DealView deal)
    {
        // An acceptance that was interrupted (a crash, a lost reply) and finished by the deal's own recovery: the stage runs.
        var covered = stage.Status == "opening" && deal.State is not (DealState.Proposed or DealState.Accepting or DealState.Cancelled);
        if (deal.State == stage.DealState && !covered) return;
        stage.DealState = deal.State;
        if (covered)
        {
            stage.Status = "running";
            stage.Blocked = null;
            Record("stage-deal-covered", S.Current, $"Stage {S.Current + 1}'s deal {deal.Id} ({deal.ProviderId} to {deal.ConsumerId}, {deal.Value:0.00}) is accepted and covered.");
        }
        switch (deal.State)
        {
            case DealState.Completed:
                stage.Status = "done";
                Record("stage-completed", S.Current, $"Stage {S.Current + 1} ({stage.Role}) delivered: deal {deal.Id} completed.");
                S.Current++;
                if (S.Current == S.Stages.Count)
                {
                    S.State = CycleState.Completed;
                    S.CompletedAt = clock.GetUtcNow();
                    var figures = SynergyMath.Compute(S.Stages.Select(s => s.MarketPrice).ToList(), S.StageDiscount, S.ProductValue);
                    Record("completed", null, $"'{S.Product}' is complete. Shares: " +
                        string.Join(", ", S.Stages.Select((s, i) => $"{s.MemberId} {figures[i].Share:P2} (gain {figures[i].SynergyGain:0.00})")) + ".");
                    await SaveAsync();
                    return;
                }
                Record("stage-started", S.Current, $"Stage {S.Current + 1} of {S.Stages.Count} ({S.Stages[S.Current].Role}) starts.");
                await SaveAsync();
                await OpenStageAsync();
                return;
            case DealState.Claimed:
                Record("stage-claimed", S.Current, $"A defect was reported on stage {S.Current + 1}'s deal {deal.Id}.");
                break;
            case DealState.Disputed:
                Record("stage-disputed", S.Current, $"Stage {S.Current + 1}'s claim is disputed: case {deal.CaseId}.");
                break;
            case DealState.Settled:
                FailStage(stage, deal.Id, deal.Settlement is { } st ? $"compensated {st.Awarded:0.00} from its cover" : "its claim was settled");
                break;
            case DealState.Cancelled:
                FailStage(stage, deal.Id, CancelledReason);
                break;
        }
        await SaveAsync();
    }

    private const string CancelledReason = "its deal was cancelled by a party before it was covered";

    /// <summary>The current stage failed: the cycle is broken until the organizer reassigns the stage (rule 20).</summary>
    private void FailStage(CycleStageState stage, string dealId, string reason)
    {
        stage.Status = "failed";
        stage.Blocked = null;
        S.State = CycleState.Broken;
        S.Failures.Add(new StageFailure(S.Current, stage.MemberId, dealId, clock.GetUtcNow(), reason));
        Record("stage-failed", S.Current, $"Stage {S.Current + 1} ({stage.Role}) failed: {reason}. The organizer reassigns it.");
    }

    /// <summary>Proposes the current stage's deal (from its member to the next stage's, or to the organizer) and accepts it, covered.</summary>
    private async Task OpenStageAsync()
    {
        var index = S.Current;
        var stage = S.Stages[index];
        if (stage.DealId is null)
        {
            stage.Runs++;
            var operationId = $"{Id}:s{index}:r{stage.Runs}";
            stage.DealId = DealIds.For(stage.MemberId, operationId);
            stage.Status = "opening"; // until its deal is accepted and covered
            S.DealHistory.Add(stage.DealId);
            await SaveAsync();
        }
        var consumer = index + 1 < S.Stages.Count ? S.Stages[index + 1].MemberId : S.OrganizerId;
        var figures = SynergyMath.Compute(S.Stages.Select(s => s.MarketPrice).ToList(), S.StageDiscount, S.ProductValue);
        var deal = GrainFactory.GetGrain<IDealGrain>(stage.DealId);
        try
        {
            var proposed = await deal.Propose(new ProposeDeal($"{Id}:s{index}:r{stage.Runs}", stage.MemberId, stage.MemberId, consumer, figures[index].CyclePrice,
                $"{S.Product}: stage {index + 1} of {S.Stages.Count} ({stage.Role})", clock.GetUtcNow().Add(StageDue), Id));
            if (proposed.State == DealState.Cancelled)
            {
                // Waiting for cover, the deal was cancelled by a party: retrying it would wait forever.
                stage.DealState = DealState.Cancelled;
                FailStage(stage, proposed.Id, CancelledReason);
                await SaveAsync();
                return;
            }
            if (proposed.State != DealState.Proposed)
            {
                // An earlier acceptance whose reply was lost (a crash, a timeout) went through, or is going through,
                // and the deal may have moved on since (delivered, claimed, even settled): follow the deal, never accept
                // it again, or the stage would wait forever on a deal that is no longer proposed.
                await ApplyStageDealAsync(stage, proposed);
                return;
            }
            var accepted = await deal.Accept(consumer);
            stage.DealState = accepted.State;
            stage.Status = "running";
            stage.Blocked = null;
            Record("stage-deal-covered", index, $"Stage {index + 1}'s deal {accepted.Id} ({stage.MemberId} to {consumer}, {figures[index].CyclePrice:0.00}) is accepted and covered.");
        }
        catch (GuaranteeException ex) when (ex.Kind is ErrorKind.Conflict or ErrorKind.Invalid or ErrorKind.Forbidden)
        {
            if (stage.Blocked != ex.Message)
                Record("stage-blocked", index, $"Stage {index + 1}'s deal cannot be covered yet: {ex.Message} It is retried.");
            stage.Blocked = ex.Message;
            stage.DealState = DealState.Proposed;
        }
        await SaveAsync();
    }

    private void Record(string kind, int? stage, string description)
    {
        var e = new CycleEvent(Id, S.Events.Count + 1, kind, stage, description, S.State, clock.GetUtcNow());
        S.Events.Add(e);
        if (kind is "stage-started" or "stage-completed" or "stage-failed")
            GuaranteeMetrics.CycleStages.Add(1, GuaranteeMetrics.Outcome(kind["stage-".Length..]));
        // Every cycle step is journalled (rule 23), stored in the same write as the step.
        S.Journal.Add($"cycle:{Id}", "cycle-" + kind, new { cycle = Id, eventSeq = e.Seq, stage, state = e.State.ToString(), description }, e.At);
    }

    /// <summary>Stores the state (events included), then publishes the events not yet on the stream.</summary>
    private async Task SaveAsync()
    {
        await state.PersistAsync(this);
        await PublishAsync();
        await _journal!.FlushAsync();
    }

    private async Task PublishAsync()
    {
        if (S.PublishedSeq >= S.Events.Count) return;
        try
        {
            var stream = this.GetStreamProvider(CycleStreams.Provider).GetStream<CycleEvent>(StreamId.Create(CycleStreams.Namespace, Id));
            foreach (var e in S.Events.Where(e => e.Seq > S.PublishedSeq).ToList())
            {
                await stream.OnNextAsync(e);
                S.PublishedSeq = e.Seq; // stored with the next write; a repeat after a crash is dropped by subscribers
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Cycle {Cycle}: publishing events after {Seq} failed; they are published again later", Id, S.PublishedSeq);
        }
    }

    private async Task ArmReminderAsync()
    {
        var period = ReminderPeriods.Shortest(ServiceProvider);
        faults.At(FaultPoints.ReminderArming, Id);
        await this.RegisterOrUpdateReminder(ProgressReminder, period, period);
    }

    private CycleStageState StageAt(int index) =>
        index >= 0 && index < S.Stages.Count
            ? S.Stages[index]
            : throw GuaranteeException.NotFound("stage-not-found", $"Cycle {Id} has stages 0 to {S.Stages.Count - 1}; there is no stage {index}.");

    private void EnsureExists()
    {
        if (!Exists) throw GuaranteeException.NotFound("cycle-not-found", $"There is no synergy cycle '{Id}'.");
    }

    private void EnsureOrganizer(string memberId)
    {
        if (memberId != S.OrganizerId)
            throw GuaranteeException.Forbidden("not-the-organizer", $"Only the organizer ({S.OrganizerId}) can do this.");
    }

    private IMemberGrain Members(string id) => GrainFactory.GetGrain<IMemberGrain>(id);

    /// <summary>
    /// Makes sure the organizer and every stage's member, reassigned ones included, list the cycle ("my cycles").
    /// Each member keeps its own list, so no grain is written for every cycle of the community; a failure
    /// fails the command, and repeating it (idempotent) notifies again.
    /// </summary>
    private Task NotifyMembersAsync() =>
        Task.WhenAll(S.Stages.Select(s => s.MemberId).Concat(S.Reassignments.Select(r => r.FromMemberId)).Append(S.OrganizerId)
            .Distinct(StringComparer.Ordinal).Select(m => Members(m).NoteCycle(Id)));

    private static string Word(CycleState state) => state.ToString().ToLowerInvariant();

    private CycleView View()
    {
        var figures = SynergyMath.Compute(S.Stages.Select(s => s.MarketPrice).ToList(), S.StageDiscount, S.ProductValue);
        var stages = S.Stages.Select((s, i) => new StageView(i, s.Role, s.MemberId, s.MarketPrice, figures[i].CyclePrice, figures[i].Saving,
            figures[i].CumulativeSaving, figures[i].Share, figures[i].ShareOfProduct, figures[i].SynergyGain, s.Joined, s.Status, s.DealId,
            s.DealState, s.Blocked)).ToList();
        return new CycleView(Id, S.CommunityId, S.OrganizerId, S.Product, S.ProductValue, S.StageDiscount, S.State, S.Current, stages,
            S.Stages.Sum(s => s.MarketPrice), figures.Sum(f => f.CyclePrice), S.Failures.ToList(), S.Reassignments.ToList(),
            S.Events.Count, S.CreatedAt, S.CompletedAt, S.DealHistory.ToList());
    }
}
