using Microsoft.Extensions.Logging;
using OrleansGuarantee.Domain;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer]
public enum PendingKind
{
    /// <summary>Placing the holds of an acceptance.</summary>
    PlaceHolds = 0,
    /// <summary>Undoing the holds of an acceptance that could not be completed.</summary>
    RollBackHolds = 1,
    /// <summary>Releasing the holds of a completed deal.</summary>
    ReleaseHolds = 2,
    /// <summary>Paying the settlement's compensation from the cover, recording debts, then releasing every hold.</summary>
    Settle = 3,
}

[GenerateSerializer, Alias("og.PendingHolds")]
public sealed class PendingHolds
{
    [Id(0)] public PendingKind Kind { get; set; }
    [Id(1)] public List<CoverHold> Holds { get; set; } = [];
    [Id(2)] public string? Reason { get; set; }
}

[GenerateSerializer, Alias("og.DealGrainState")]
public sealed class DealGrainState
{
    [Id(0)] public string? OperationId { get; set; }
    [Id(1)] public string ProposedBy { get; set; } = "";
    [Id(2)] public string ProviderId { get; set; } = "";
    [Id(3)] public string ConsumerId { get; set; } = "";
    [Id(4)] public decimal Value { get; set; }
    [Id(5)] public string Description { get; set; } = "";
    [Id(6)] public DateTimeOffset DueAt { get; set; }
    [Id(7)] public string CommunityId { get; set; } = "";
    [Id(8)] public DealState State { get; set; }
    [Id(9)] public List<string> ConfirmedBy { get; set; } = [];
    [Id(10)] public List<CoverHold> Cover { get; set; } = [];
    /// <summary>Holds being placed or released; stored before the first member is called.</summary>
    [Id(11)] public PendingHolds? Pending { get; set; }
    [Id(12)] public int Attempts { get; set; }
    [Id(13)] public DateTimeOffset CreatedAt { get; set; }
    [Id(14)] public DateTimeOffset? AcceptedAt { get; set; }
    [Id(15)] public DateTimeOffset? ClosedAt { get; set; }
    [Id(16)] public string? LastAcceptFailure { get; set; }
    [Id(17)] public ClaimView? Claim { get; set; }
    [Id(18)] public string? CaseId { get; set; }
    [Id(19)] public Settlement? Settlement { get; set; }
    [Id(20)] public string? CycleId { get; set; }
    /// <summary>The ticket of the deal's latest recovery book entry (stored with the pending steps it wakes).</summary>
    [Id(21)] public long RecoveryTicket { get; set; }
}

/// <summary>
/// A deal (rules 9-11). Calls go one way: the deal reads and holds on member grains, members never call
/// deals. Placing or releasing several holds is stored as pending steps first, so a crash or a lost
/// reply at any point is finished (or rolled back) on recovery; hold ids make every step idempotent.
/// </summary>
public sealed class DealGrain(
    [PersistentState("deal", StorageNames.Store)] IPersistentState<DealGrainState> state,
    TimeProvider clock,
    IFaultInjector faults,
    ILogger<DealGrain> logger) : RecoverableGrain(logger), IDealGrain
{
    /// <summary>How many times acceptance re-plans when cover changed between planning and holding.</summary>
    public const int MaxAcceptAttempts = 3;

    private DealGrainState S => state.State;
    private string Id => this.GetPrimaryKeyString();
    private bool Exists => S.OperationId is not null;

    protected override bool HasPendingSteps => S.Pending is not null;

    /// <summary>Deals are the hot path: their wake-up is a group-committed recovery book entry, not a reminder each.</summary>
    protected override bool UsesRecoveryBook => true;

    protected override long RecoveryTicket { get => S.RecoveryTicket; set => S.RecoveryTicket = value; }

    public async Task<DealView> Propose(ProposeDeal command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Ids.ValidateOperationId(command.OperationId);
        Ids.Validate(command.ProposedBy, "proposer");
        Ids.Validate(command.ProviderId, "provider");
        Ids.Validate(command.ConsumerId, "consumer");
        Money.Validate(command.Value, "value");
        Ids.ValidateText(command.Description, "description", ProposeDeal.MaxDescriptionLength, required: false);
        if (Exists)
        {
            if (S.OperationId == command.OperationId && S.ProposedBy == command.ProposedBy)
            {
                await NoteDealAsync(); // the first proposal may have stopped before the parties listed it
                return View();
            }
            throw GuaranteeException.Conflict("deal-exists", $"Deal {Id} already exists.");
        }
        if (command.ProviderId == command.ConsumerId)
            throw GuaranteeException.Invalid("same-party", "The provider and the consumer must be different members.");
        if (command.ProposedBy != command.ProviderId && command.ProposedBy != command.ConsumerId)
            throw GuaranteeException.Forbidden("not-a-party", $"{command.ProposedBy} is neither the provider nor the consumer of this deal.");
        var now = clock.GetUtcNow();
        if (command.DueAt <= now)
            throw GuaranteeException.Invalid("due-in-past", $"The due date {command.DueAt:u} must be in the future.");

        faults.At(FaultPoints.DealProposing, Id);
        // The parties' status and community, read at once and without building their whole views.
        var (provider, consumer) = await PartiesAsync(command.ProviderId, command.ConsumerId);
        if (provider.CommunityId != consumer.CommunityId)
            throw GuaranteeException.Invalid("different-community", "The provider and the consumer are not members of the same community.");
        var proposer = command.ProposedBy == provider.MemberId ? provider : consumer;
        var other = ReferenceEquals(proposer, provider) ? consumer : provider;
        if (!MemberStatusRules.CanOpenDeals(proposer.Status))
            throw await CannotOpenDealsAsync(proposer.MemberId);
        if (other.Status == MemberStatus.Expelled)
            throw GuaranteeException.Conflict("not-active", $"{other.MemberId} is expelled and cannot take part in deals.");

        S.OperationId = command.OperationId;
        S.ProposedBy = command.ProposedBy;
        S.ProviderId = command.ProviderId;
        S.ConsumerId = command.ConsumerId;
        S.Value = command.Value;
        S.Description = command.Description ?? "";
        S.DueAt = command.DueAt;
        S.CommunityId = provider.CommunityId;
        S.State = DealState.Proposed;
        S.CreatedAt = now;
        S.CycleId = command.CycleId;
        await state.PersistAsync(this);
        await NoteDealAsync();
        return View();
    }

    private Task NoteDealAsync() => Task.WhenAll(Members(S.ProviderId).NoteDeal(Id), Members(S.ConsumerId).NoteDeal(Id));

    public async Task<DealView> Accept(string memberId)
    {
        EnsureExists();
        EnsureParty(memberId);
        if (S.Pending is not null) await ResumePendingStepsAsync();
        if (S.State is DealState.Accepted or DealState.Delivered or DealState.Completing or DealState.Completed
            && memberId != S.ProposedBy)
            return View(); // accepting again answers the same
        if (S.State != DealState.Proposed)
            throw GuaranteeException.Conflict("deal-not-proposed", $"Deal {Id} is {S.State.ToString().ToLowerInvariant()}; only a proposed deal can be accepted.");
        if (memberId == S.ProposedBy)
            throw GuaranteeException.Forbidden("own-proposal", $"{memberId} proposed this deal; the other party must accept it.");

        var (provider, consumer) = await PartiesAsync(S.ProviderId, S.ConsumerId);
        foreach (var party in new[] { provider, consumer })
            if (!MemberStatusRules.CanOpenDeals(party.Status))
                throw await CannotOpenDealsAsync(party.MemberId);
        var settings = (await GrainFactory.GetGrain<ICommunityGrain>(S.CommunityId).Get()).Settings;
        var required = Money.Cents(S.Value * settings.CoverageRatio);
        var parties = new[]
        {
            new CoverParty(S.ProviderId, "provider", required),
            new CoverParty(S.ConsumerId, "consumer", required),
        };

        for (var attempt = 1; ; attempt++)
        {
            // The first plan uses the parties' cover just read for their status (the same question the planner asks);
            // a re-plan, after the cover changed under a hold, reads everything again.
            var source = new MemberCoverSource(this, attempt == 1 ? [provider, consumer] : []);
            var plan = await CoverPlanner.PlanAsync(parties, source, settings.MaxCoverLevels);
            if (!plan.IsComplete)
            {
                GuaranteeMetrics.CoverShortfalls.Add(1);
                throw new GuaranteeException(ErrorKind.Conflict, "insufficient-cover", CoverPlanner.Describe(plan.Shortfalls), plan.Shortfalls);
            }

            S.Attempts++;
            S.State = DealState.Accepting;
            S.Pending = new PendingHolds
            {
                Kind = PendingKind.PlaceHolds,
                Holds = plan.Holds.Select((h, i) => new CoverHold($"{Id}:a{S.Attempts}:{i}", h.MemberId, h.Amount, h.ForPartyId, h.ViaWardId, h.Level)).ToList(),
            };
            await ArmRecoveryAsync();
            await state.PersistAsync(this);
            faults.At(FaultPoints.DealAcceptPlanned, Id);

            await RunPendingAsync();
            if (S.State == DealState.Accepted) return View();
            if (attempt >= MaxAcceptAttempts)
                throw GuaranteeException.Conflict("cover-contended",
                    $"The cover of deal {Id} changed while it was being held, {attempt} times; no hold remains. Try again.");
        }
    }

    public async Task<DealView> Confirm(string memberId)
    {
        EnsureExists();
        EnsureParty(memberId);
        if (S.Pending is not null) await ResumePendingStepsAsync();
        if (S.ConfirmedBy.Contains(memberId))
            throw GuaranteeException.Conflict("already-confirmed", $"{memberId} has already confirmed deal {Id}.");
        if (S.State is not (DealState.Accepted or DealState.Delivered))
            throw GuaranteeException.Conflict("deal-not-accepted", $"Deal {Id} is {S.State.ToString().ToLowerInvariant()}; only an accepted deal can be confirmed.");

        S.ConfirmedBy.Add(memberId);
        if (S.ConfirmedBy.Contains(S.ProviderId) && S.ConfirmedBy.Contains(S.ConsumerId))
        {
            S.State = DealState.Completing;
            S.Pending = new PendingHolds { Kind = PendingKind.ReleaseHolds, Holds = S.Cover.ToList() };
            await ArmRecoveryAsync();
            await state.PersistAsync(this);
            await RunPendingAsync();
        }
        else
        {
            if (S.ConfirmedBy.Contains(S.ProviderId)) S.State = DealState.Delivered;
            await state.PersistAsync(this);
        }
        return View();
    }

    public async Task<DealView> Cancel(string memberId)
    {
        EnsureExists();
        EnsureParty(memberId);
        if (S.Pending is not null) await ResumePendingStepsAsync();
        if (S.State == DealState.Cancelled) return View();
        if (S.State != DealState.Proposed)
            throw GuaranteeException.Conflict("deal-not-cancellable",
                $"Deal {Id} is {S.State.ToString().ToLowerInvariant()}; only a deal not yet accepted can be cancelled.");
        S.State = DealState.Cancelled;
        S.ClosedAt = clock.GetUtcNow();
        await state.PersistAsync(this);
        return View();
    }

    public Task<DealView> Get()
    {
        EnsureExists();
        return Task.FromResult(View());
    }

    public async Task<DealView> FileClaim(string memberId, string operationId, decimal damage, string reason)
    {
        EnsureExists();
        EnsureParty(memberId);
        Ids.ValidateOperationId(operationId);
        Money.Validate(damage, "damage");
        Ids.ValidateText(reason, "reason", ProposeDeal.MaxDescriptionLength, required: true);
        if (S.Pending is not null) await ResumePendingStepsAsync();
        if (S.Claim is { } existing)
        {
            if (existing.OperationId == operationId && existing.ClaimantId == memberId && existing.Damage == damage) return View();
            throw GuaranteeException.Conflict("claim-exists", $"Deal {Id} already has a claim by {existing.ClaimantId}; a deal takes one claim.");
        }
        if (S.State is not (DealState.Accepted or DealState.Delivered))
            throw GuaranteeException.Conflict("deal-not-covered",
                $"Deal {Id} is {Word(S.State)}; a defect can be claimed only on an accepted (covered) deal that is not completed.");
        if (damage > S.Value)
            throw GuaranteeException.Invalid("damage-above-value", $"The damage ({damage:0.00}) may be at most the deal value ({S.Value:0.00}).");
        S.Claim = new ClaimView(operationId, memberId, Other(memberId), damage, reason.Trim(), clock.GetUtcNow(), "open");
        S.State = DealState.Claimed;
        await state.PersistAsync(this);
        return View();
    }

    public async Task<DealView> AdmitClaim(string memberId)
    {
        EnsureExists();
        EnsureParty(memberId);
        if (S.Pending is not null) await ResumePendingStepsAsync();
        var claim = S.Claim ?? throw GuaranteeException.Conflict("no-claim", $"Deal {Id} has no claim to admit.");
        if (memberId != claim.RespondentId)
            throw GuaranteeException.Forbidden("not-the-respondent", $"Only {claim.RespondentId}, the other party, can admit or dispute the claim.");
        if (claim.Outcome == "admitted") return View();
        if (S.State != DealState.Claimed)
            throw GuaranteeException.Conflict("claim-not-open", $"The claim on deal {Id} is {claim.Outcome}; it can no longer be admitted.");
        var respondentFault = memberId == S.ProviderId ? Fault.Provider : Fault.Consumer;
        S.Claim = claim with { Outcome = "admitted" };
        await StartSettlementAsync(new Verdict(respondentFault, respondentFault == Fault.Provider ? 1 : 0, claim.Damage));
        return View();
    }

    public async Task<DealView> BeginDispute(string memberId, string caseId)
    {
        EnsureExists();
        EnsureParty(memberId);
        var claim = S.Claim ?? throw GuaranteeException.Conflict("no-claim", $"Deal {Id} has no claim to dispute.");
        if (memberId != claim.RespondentId)
            throw GuaranteeException.Forbidden("not-the-respondent", $"Only {claim.RespondentId}, the other party, can admit or dispute the claim.");
        if (S.CaseId == caseId) return View();
        if (S.State != DealState.Claimed)
            throw GuaranteeException.Conflict("claim-not-open", $"The claim on deal {Id} is {claim.Outcome}; it can no longer be disputed.");
        S.Claim = claim with { Outcome = "disputed" };
        S.CaseId = caseId;
        S.State = DealState.Disputed;
        await state.PersistAsync(this);
        return View();
    }

    public async Task<DealView> Settle(string caseId, Verdict verdict)
    {
        EnsureExists();
        ArgumentNullException.ThrowIfNull(verdict);
        if (S.CaseId != caseId)
            throw GuaranteeException.Conflict("not-this-case", $"Deal {Id} is not disputed in case {caseId}.");
        if (S.Pending is not null) await ResumePendingStepsAsync();
        if (S.State is DealState.Settled) return View();
        if (S.State != DealState.Disputed)
            throw GuaranteeException.Conflict("claim-not-open", $"Deal {Id} is {Word(S.State)}; there is no dispute to settle.");
        S.Claim = S.Claim! with { Outcome = "decided" };
        await StartSettlementAsync(verdict);
        return View();
    }

    /// <summary>Plans the compensation (rule 15) and stores it with the holds to release, then runs it.</summary>
    private async Task StartSettlementAsync(Verdict verdict)
    {
        var claim = S.Claim!;
        var payments = new List<CompensationPayment>();
        var unpaid = 0m;
        var payment = CompensationRule.Payment(verdict, claim.ClaimantId, S.ProviderId, S.ConsumerId);
        if (payment is { } owed)
        {
            var holds = S.Cover.Where(h => h.ForParty == owed.PayerId).Select(h => new WaterfallHold(h.HoldId, h.MemberId, h.Amount, h.Level));
            var (parts, left) = CompensationWaterfall.Plan(holds, owed.Amount);
            payments = parts.Select((p, i) => new CompensationPayment($"{Id}:comp:{i}", p.MemberId, p.HoldId, claim.ClaimantId, p.Amount, p.Level)).ToList();
            unpaid = left;
        }
        S.Settlement = new Settlement(verdict, payment?.PayerId, payment?.Amount ?? 0, payments, unpaid, clock.GetUtcNow());
        S.State = DealState.Settling;
        S.Pending = new PendingHolds { Kind = PendingKind.Settle, Holds = S.Cover.ToList() };
        await ArmRecoveryAsync();
        await state.PersistAsync(this);
        await RunPendingAsync();
    }

    /// <summary>
    /// Pays each part of the compensation (a transfer from a hold, idempotent by its id), records what the
    /// at-fault party owes each guarantor who paid for it (rule 16) and any unpaid rest, then the caller releases the holds.
    /// </summary>
    private async Task PaySettlementAsync()
    {
        var settlement = S.Settlement!;
        foreach (var p in settlement.Payments)
            await GrainFactory.GetGrain<ITransferGrain>(p.TransferId).Execute(p.FromMemberId, p.ToMemberId, p.Amount, p.FromHoldId);
        if (settlement.PayerPartyId is not { } payer) return;
        // Debt ids number the guarantors in the stored order of the payments: a member id (up to 64 characters)
        // would not fit in an operation id, and the number is the same on every retry.
        foreach (var (byMember, i) in settlement.Payments.Where(p => p.FromMemberId != payer).GroupBy(p => p.FromMemberId).Select((g, i) => (g, i)))
            await Members(payer).AddDebt($"{Id}:debt:{i}", byMember.Key, byMember.Sum(p => p.Amount));
        if (settlement.Unpaid > 0)
            await Members(payer).AddDebt($"{Id}:unpaid", S.Claim!.ClaimantId, settlement.Unpaid);
    }

    private string Other(string memberId) => memberId == S.ProviderId ? S.ConsumerId : S.ProviderId;

    private static string Word(DealState state) => state.ToString().ToLowerInvariant();

    protected override Task ResumePendingStepsAsync() => RunPendingAsync();

    /// <summary>
    /// Runs the stored pending steps to their end: placed holds make the deal accepted; a refused hold
    /// turns placing into rolling back; released holds end in the next state. Any other failure leaves
    /// the steps stored (recovery resumes them) and reports the interruption.
    /// </summary>
    private async Task RunPendingAsync()
    {
        while (S.Pending is { } pending)
        {
            GuaranteeException? refusal = null;
            try
            {
                if (pending.Kind == PendingKind.PlaceHolds)
                {
                    await Task.WhenAll(pending.Holds.Select(async h =>
                    {
                        try
                        {
                            faults.At(FaultPoints.DealHoldPlacing, Id);
                            await Members(h.MemberId).Hold(new HoldCommand(h.HoldId, Id, h.Amount, h.ForParty, h.ViaWardId));
                        }
                        catch (GuaranteeException ex)
                        {
                            refusal ??= ex;
                        }
                    }));
                }
                else
                {
                    if (pending.Kind == PendingKind.Settle) await PaySettlementAsync();
                    await Task.WhenAll(pending.Holds.Select(async h =>
                    {
                        faults.At(FaultPoints.DealReleasing, Id);
                        await Members(h.MemberId).Release(h.HoldId);
                    }));
                }
            }
            catch (Exception ex)
            {
                Logger.LogWarning(ex, "Deal {Deal}: {Kind} was interrupted; recovery will resume it", Id, pending.Kind);
                DeactivateOnIdle();
                throw new GuaranteeException(ErrorKind.Interrupted, "operation-interrupted",
                    $"Deal {Id} was interrupted while {Describe(pending.Kind)}; it will be completed or rolled back automatically. Read the deal again.");
            }

            var now = clock.GetUtcNow();
            switch (pending.Kind)
            {
                case PendingKind.PlaceHolds when refusal is null:
                    S.State = DealState.Accepted;
                    S.Cover = pending.Holds;
                    S.AcceptedAt = now;
                    S.LastAcceptFailure = null;
                    S.Pending = null;
                    break;
                case PendingKind.PlaceHolds:
                    S.Pending = new PendingHolds { Kind = PendingKind.RollBackHolds, Holds = pending.Holds, Reason = $"The cover could not be held, so every hold was released: {refusal!.Message}" };
                    break;
                case PendingKind.RollBackHolds:
                    S.State = DealState.Proposed;
                    S.LastAcceptFailure = pending.Reason;
                    S.Pending = null;
                    break;
                case PendingKind.ReleaseHolds:
                    S.State = DealState.Completed;
                    S.ClosedAt = now;
                    S.Pending = null;
                    break;
                case PendingKind.Settle:
                    S.State = DealState.Settled;
                    S.ClosedAt = now;
                    S.Pending = null;
                    break;
            }
            await state.PersistAsync(this);
            switch (pending.Kind)
            {
                case PendingKind.PlaceHolds when refusal is null: GuaranteeMetrics.DealsAccepted.Add(1); break;
                case PendingKind.ReleaseHolds: GuaranteeMetrics.DealsCompleted.Add(1); break;
                case PendingKind.Settle: GuaranteeMetrics.DealsSettled.Add(1); break;
            }
            if (S.CycleId is { } cycle && S.State is DealState.Completed or DealState.Settled or DealState.Claimed)
                _ = GrainFactory.GetGrain<ISynergyCycleGrain>(cycle).StageDealChanged(Id); // one way: never waits on the cycle
        }
        await DisarmRecoveryAsync();
    }

    private static string Describe(PendingKind kind) => kind switch
    {
        PendingKind.PlaceHolds => "placing its cover",
        PendingKind.RollBackHolds => "undoing a cover that could not be completed",
        PendingKind.Settle => "paying the compensation from its cover",
        _ => "releasing its cover",
    };

    private void EnsureExists()
    {
        if (!Exists) throw GuaranteeException.NotFound("deal-not-found", $"There is no deal '{Id}'.");
    }

    private void EnsureParty(string memberId)
    {
        if (memberId != S.ProviderId && memberId != S.ConsumerId)
            throw GuaranteeException.Forbidden("not-a-party", $"{memberId} is not a party of deal {Id}.");
    }

    private DealView View() => new(Id, S.CommunityId, S.ProviderId, S.ConsumerId, S.ProposedBy, S.Value, S.Description, S.DueAt,
        S.State, S.ConfirmedBy.ToList(), S.Cover.ToList(), S.CreatedAt, S.AcceptedAt, S.ClosedAt, S.LastAcceptFailure,
        S.Claim, S.CaseId, S.Settlement, S.CycleId);

    /// <summary>Member references of this activation (the parties and their guarantors are called several times per
    /// lifecycle; making a reference resolves the interface type each time).</summary>
    private readonly Dictionary<string, IMemberGrain> _members = new(StringComparer.Ordinal);

    private IMemberGrain Members(string id)
    {
        if (!_members.TryGetValue(id, out var member))
        {
            if (_members.Count > 64) _members.Clear();
            _members[id] = member = GrainFactory.GetGrain<IMemberGrain>(id);
        }
        return member;
    }

    /// <summary>Both parties' status, community and free deposit (no wards), read in parallel.</summary>
    private async Task<(MemberCoverInfo Provider, MemberCoverInfo Consumer)> PartiesAsync(string providerId, string consumerId)
    {
        var provider = Members(providerId).GetCoverInfo([]);
        var consumer = Members(consumerId).GetCoverInfo([]);
        await Task.WhenAll(provider, consumer);
        return (await provider, await consumer);
    }

    /// <summary>The refusal for a party that cannot open deals, with the reason its view gives.</summary>
    private async Task<GuaranteeException> CannotOpenDealsAsync(string memberId)
    {
        var member = await Members(memberId).Get();
        return GuaranteeException.Conflict("not-active", $"{member.Id} cannot open new deals: {member.StatusReason}");
    }

    /// <summary>Reads members for the planner; a party's own cover (no wards) read just before is used once.</summary>
    private sealed class MemberCoverSource(DealGrain deal, IReadOnlyList<MemberCoverInfo> known) : ICoverSource
    {
        private readonly List<MemberCoverInfo> _known = known.ToList();

        public Task<MemberCoverInfo> GetAsync(string memberId, IReadOnlyList<string> wards)
        {
            if (wards.Count == 0 && _known.FindIndex(k => k.MemberId == memberId) is var i and >= 0)
            {
                var info = _known[i];
                _known.RemoveAt(i);
                return Task.FromResult(info);
            }
            return deal.Members(memberId).GetCoverInfo(wards);
        }
    }
}
