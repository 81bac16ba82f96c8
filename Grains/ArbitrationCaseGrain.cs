using Microsoft.Extensions.Logging;
using OrleansGuarantee.Journal;
using OrleansGuarantee.Domain;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.CaseLevelState")]
public sealed class CaseLevelState
{
    [Id(0)] public int Level { get; set; }
    [Id(1)] public bool IsCouncil { get; set; }
    [Id(2)] public List<string> Panel { get; set; } = [];
    [Id(3)] public Dictionary<string, VoteRecord> Votes { get; set; } = new(StringComparer.Ordinal);
    [Id(4)] public DateTimeOffset VerdictDeadline { get; set; }
    [Id(5)] public CaseLevelOutcome Outcome { get; set; }
    [Id(6)] public Verdict? Verdict { get; set; }
    [Id(7)] public DateTimeOffset? AppealDeadline { get; set; }
    [Id(8)] public List<string> AcceptedBy { get; set; } = [];
    [Id(9)] public string? AppealedBy { get; set; }
    [Id(10)] public string? Note { get; set; }

    public CaseLevelView View() => new(Level, IsCouncil, Panel.ToList(), Votes.Values.OrderBy(v => v.At).ToList(), VerdictDeadline,
        Outcome, Verdict, AppealDeadline, AcceptedBy.ToList(), AppealedBy, Note);
}

[GenerateSerializer, Alias("og.ArbitrationCaseState")]
public sealed class ArbitrationCaseState
{
    [Id(0)] public string? DealId { get; set; }
    [Id(1)] public string CommunityId { get; set; } = "";
    [Id(2)] public string ProviderId { get; set; } = "";
    [Id(3)] public string ConsumerId { get; set; } = "";
    [Id(4)] public string ClaimantId { get; set; } = "";
    [Id(5)] public decimal Damage { get; set; }
    [Id(6)] public string Reason { get; set; } = "";
    [Id(7)] public DateTimeOffset OpenedAt { get; set; }
    [Id(8)] public int VerdictWindowSeconds { get; set; }
    [Id(9)] public int AppealWindowSeconds { get; set; }
    [Id(10)] public int MaxLevels { get; set; }
    [Id(11)] public List<string> Founders { get; set; } = [];
    [Id(12)] public List<CaseLevelState> Levels { get; set; } = [];
    [Id(13)] public CaseState State { get; set; }
    [Id(14)] public Verdict? FinalVerdict { get; set; }
    [Id(15)] public Settlement? Settlement { get; set; }
    /// <summary>Everyone who sat on a panel of this case (never sits again).</summary>
    [Id(16)] public HashSet<string> Sat { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Journal records of votes, verdicts and escalations not yet confirmed by the journal (rule 23).</summary>
    [Id(17)] public JournalOutbox Journal { get; set; } = new();
}

/// <summary>
/// An arbitration case (rules 13-15). Calls go one way: the case reads members and the community, and
/// drives the deal (dispute, then settlement); nothing calls the case back. Deadlines are acted on by a
/// durable reminder, with "now" from <see cref="TimeProvider"/>; acting on a deadline is idempotent, so a
/// reminder that fires twice (or late, after a restart) escalates once.
/// </summary>
public sealed class ArbitrationCaseGrain(
    [PersistentState("case", StorageNames.Store)] IPersistentState<ArbitrationCaseState> state,
    TimeProvider clock,
    ILogger<ArbitrationCaseGrain> logger) : Grain, IArbitrationCaseGrain, IRemindable
{
    private const string DeadlineReminder = "case-deadlines";

    private JournalDelivery? _journal;

    private ArbitrationCaseState S => state.State;
    private string Id => this.GetPrimaryKeyString();
    private bool Exists => S.DealId is not null;
    private CaseLevelState Current => S.Levels[^1];

    public async Task<CaseView> Open(string dealId, string disputedBy)
    {
        Ids.Validate(dealId, "deal");
        Ids.Validate(disputedBy, "member");
        if (CaseIds.For(dealId) != Id) throw new ArgumentException("This case grain is not the one for that deal.");
        if (Exists)
        {
            if (disputedBy != S.ProviderId && disputedBy != S.ConsumerId)
                throw GuaranteeException.Forbidden("not-a-party", $"{disputedBy} is not a party of deal {dealId}.");
            if (disputedBy == S.ClaimantId)
                throw GuaranteeException.Forbidden("not-the-respondent", $"{disputedBy} filed the claim; only the other party can dispute it.");
            await NotifyAsync();
            return View();
        }

        var deal = await GrainFactory.GetGrain<IDealGrain>(dealId).BeginDispute(disputedBy, Id);
        var claim = deal.Claim!;
        var community = await GrainFactory.GetGrain<ICommunityGrain>(deal.CommunityId).Get();
        S.DealId = dealId;
        S.CommunityId = deal.CommunityId;
        S.ProviderId = deal.ProviderId;
        S.ConsumerId = deal.ConsumerId;
        S.ClaimantId = claim.ClaimantId;
        S.Damage = claim.Damage;
        S.Reason = claim.Reason;
        S.OpenedAt = clock.GetUtcNow();
        S.VerdictWindowSeconds = community.Settings.VerdictWindowSeconds;
        S.AppealWindowSeconds = community.Settings.AppealWindowSeconds;
        S.MaxLevels = community.Settings.MaxArbitrationLevels;
        S.Founders = community.Founders.Select(f => f.Id).ToList();
        var candidates = await GuarantorsOfAsync([S.ProviderId, S.ConsumerId]);
        Convene(1, candidates, "The guarantors of both parties.");
        await ArmDeadlinesAsync();
        await SaveAsync();
        await NotifyAsync();
        return View();
    }

    public async Task<CaseView> Vote(string judgeId, Fault fault, decimal? providerShare, decimal compensation)
    {
        EnsureExists();
        Ids.Validate(judgeId, "judge");
        var before = Current;
        await ActOnDeadlinesAsync();
        if ((!ReferenceEquals(before, Current) || before.Outcome != CaseLevelOutcome.Voting)
            && before.Panel.Contains(judgeId) && !before.Votes.ContainsKey(judgeId))
            throw GuaranteeException.Conflict("voting-closed",
                $"Voting at level {before.Level} of case {Id} has closed ({Word(before.Outcome)}): {before.Note}");
        var level = Current;
        if (!level.Panel.Contains(judgeId))
        {
            // A judge of an earlier level (escalated or appealed before this call) is too late, or has voted there.
            if (S.Levels.LastOrDefault(l => l.Panel.Contains(judgeId)) is { } earlier)
                throw earlier.Votes.ContainsKey(judgeId)
                    ? GuaranteeException.Conflict("already-voted", $"{judgeId} has already voted at level {earlier.Level}; a judge votes once.")
                    : GuaranteeException.Conflict("voting-closed",
                        $"Voting at level {earlier.Level} of case {Id} has closed ({Word(earlier.Outcome)}): {earlier.Note}");
            throw GuaranteeException.Forbidden("not-a-judge", $"{judgeId} does not sit on the current panel (level {level.Level}) of case {Id}.");
        }
        if (level.Votes.ContainsKey(judgeId))
            throw GuaranteeException.Conflict("already-voted", $"{judgeId} has already voted at level {level.Level}; a judge votes once.");
        if (S.State != CaseState.Voting || level.Outcome != CaseLevelOutcome.Voting)
            throw GuaranteeException.Conflict("voting-closed", $"Voting at level {level.Level} of case {Id} is closed ({Word(level.Outcome)}).");
        if (!Enum.IsDefined(fault)) throw GuaranteeException.Invalid("invalid-fault", "fault must be provider, consumer, both or neither.");
        if (compensation < 0 || compensation != decimal.Round(compensation, 2))
            throw GuaranteeException.Invalid("invalid-amount", $"The compensation must be zero or more with at most 2 decimal places (got {compensation}).");
        if (compensation > S.Damage)
            throw GuaranteeException.Invalid("compensation-above-claim", $"The compensation may be at most the claimed damage ({S.Damage:0.00}).");
        var share = fault switch
        {
            Fault.Both when providerShare is not { } s => throw GuaranteeException.Invalid("missing-field", "With fault 'both', providerShare (between 0 and 1) is required."),
            Fault.Both when providerShare is <= 0 or >= 1 => throw GuaranteeException.Invalid("invalid-share", $"providerShare must be above 0 and below 1 (got {providerShare})."),
            Fault.Both => providerShare!.Value,
            Fault.Provider => 1m,
            _ => 0m,
        };

        level.Votes[judgeId] = new VoteRecord(judgeId, fault, share, fault == Fault.Neither ? 0 : compensation, clock.GetUtcNow());
        Journal("vote", new { @case = Id, level = level.Level, judge = judgeId, fault = fault.ToString(), providerShare = share,
            compensation = level.Votes[judgeId].Compensation });
        await DecideAsync(deadlinePassed: false);
        return View();
    }

    public async Task<CaseView> Accept(string partyId)
    {
        EnsureExists();
        EnsureParty(partyId);
        await ActOnDeadlinesAsync();
        var level = Current;
        if (S.State is CaseState.Executing or CaseState.Closed) return View();
        if (S.State != CaseState.AwaitingParties)
            throw GuaranteeException.Conflict("no-verdict", $"Case {Id} has no verdict to accept yet (level {level.Level} is voting).");
        if (!level.AcceptedBy.Contains(partyId))
        {
            level.AcceptedBy.Add(partyId);
            Journal("verdict-accepted", new { @case = Id, level = level.Level, party = partyId });
        }
        if (level.AcceptedBy.Contains(S.ProviderId) && level.AcceptedBy.Contains(S.ConsumerId))
        {
            level.Outcome = CaseLevelOutcome.Final;
            level.Note = "Both parties accepted the verdict.";
            await FinalizeAsync(level.Verdict!);
        }
        else
        {
            await SaveAsync();
        }
        return View();
    }

    public async Task<CaseView> Appeal(string partyId)
    {
        EnsureExists();
        EnsureParty(partyId);
        await ActOnDeadlinesAsync();
        var level = Current;
        if (S.State is CaseState.Executing or CaseState.Closed)
            throw GuaranteeException.Conflict("appeal-window-closed", $"The verdict of case {Id} is final; it can no longer be appealed.");
        if (S.State != CaseState.AwaitingParties)
            throw GuaranteeException.Conflict("no-verdict", $"Case {Id} has no verdict to appeal yet (level {level.Level} is voting).");
        if (level.AcceptedBy.Contains(partyId))
            throw GuaranteeException.Conflict("already-accepted", $"{partyId} has accepted this verdict and cannot appeal it.");
        level.Outcome = CaseLevelOutcome.Appealed;
        level.AppealedBy = partyId;
        Journal("appeal", new { @case = Id, level = level.Level, party = partyId });
        await EscalateAsync($"{partyId} appealed the verdict of level {level.Level}.");
        return View();
    }

    public async Task<CaseView> CheckDeadlines()
    {
        EnsureExists();
        await ActOnDeadlinesAsync();
        await NotifyAsync();
        return View();
    }

    public Task<CaseView> Get()
    {
        EnsureExists();
        return Task.FromResult(View());
    }

    async Task IRemindable.ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != DeadlineReminder || !Exists) return;
        try
        {
            await ActOnDeadlinesAsync();
            await NotifyAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Case {Case}: acting on its deadlines failed; the reminder will try again", Id);
        }
    }

    /// <summary>Acts on passed deadlines (each at most once), and finishes an interrupted execution.</summary>
    private async Task ActOnDeadlinesAsync()
    {
        var now = clock.GetUtcNow();
        if (S.State == CaseState.Voting && now >= Current.VerdictDeadline)
            await DecideAsync(deadlinePassed: true);
        if (S.State == CaseState.AwaitingParties && Current.AppealDeadline is { } appealBy && now >= appealBy)
        {
            Current.Outcome = CaseLevelOutcome.Final;
            Current.Note = "The appeal window passed without an appeal.";
            await FinalizeAsync(Current.Verdict!);
        }
        if (S.State == CaseState.Executing) await ExecuteAsync();
    }

    /// <summary>Counts the current panel's votes and moves the case on: a verdict, an escalation, or nothing yet.</summary>
    private async Task DecideAsync(bool deadlinePassed)
    {
        var level = Current;
        var tally = VerdictTally.Tally(level.Panel, level.Votes.Values, S.Damage, deadlinePassed, level.IsCouncil);
        switch (tally.Status)
        {
            case TallyStatus.Open:
                await SaveAsync();
                return;
            case TallyStatus.Deadlocked:
                level.Outcome = CaseLevelOutcome.Escalated;
                level.Note = tally.Explanation;
                await EscalateAsync(tally.Explanation);
                return;
        }
        level.Verdict = tally.Verdict;
        level.Note = tally.Explanation;
        Journal("verdict", new { @case = Id, level = level.Level, council = level.IsCouncil, fault = tally.Verdict!.Fault.ToString(),
            providerShare = tally.Verdict.ProviderShare, compensation = tally.Verdict.Compensation, why = tally.Explanation });
        if (level.IsCouncil)
        {
            level.Outcome = CaseLevelOutcome.Final;
            await FinalizeAsync(tally.Verdict!);
            return;
        }
        level.Outcome = CaseLevelOutcome.Decided;
        level.AppealDeadline = clock.GetUtcNow().AddSeconds(S.AppealWindowSeconds);
        S.State = CaseState.AwaitingParties;
        await SaveAsync();
    }

    /// <summary>The next panel sits: the guarantors of the current panel's judges (or the founders' council).</summary>
    private async Task EscalateAsync(string why)
    {
        var candidates = await GuarantorsOfAsync(Current.Panel);
        Convene(Current.Level + 1, candidates, why);
        S.State = CaseState.Voting;
        await SaveAsync();
        await NotifyAsync();
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _journal = new JournalDelivery(this, GrainFactory, $"case:{Id}", () => S.Journal, () => Exists ? S.CommunityId : null, logger);
        if (Exists && S.Journal.Pending.Count > 0)
            this.RegisterGrainTimer(async _ => await _journal.FlushAsync(), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        return base.OnActivateAsync(cancellationToken);
    }

    /// <summary>Stores the case (its journal records with it), then delivers the records.</summary>
    private async Task SaveAsync()
    {
        await state.PersistAsync(this);
        await _journal!.FlushAsync();
    }

    private void Journal(string kind, object data) => S.Journal.Add($"case:{Id}", kind, data, clock.GetUtcNow());

    private void Convene(int levelNumber, IReadOnlyList<string> candidates, string why)
    {
        var parties = new HashSet<string>(StringComparer.Ordinal) { S.ProviderId, S.ConsumerId };
        var (panel, council) = PanelSelector.Select(levelNumber, S.MaxLevels, candidates, parties, S.Sat,
            new HashSet<string>(S.Founders, StringComparer.Ordinal));
        foreach (var judge in panel) S.Sat.Add(judge);
        if (S.Levels.Count > 0) GuaranteeMetrics.CasesOpen.Add(-1, GuaranteeMetrics.Level(Current.Level));
        GuaranteeMetrics.CasesOpen.Add(1, GuaranteeMetrics.Level(levelNumber));
        Journal(levelNumber == 1 ? "case-opened" : "case-escalated",
            new { @case = Id, deal = S.DealId, level = levelNumber, council, panel, why });
        S.Levels.Add(new CaseLevelState
        {
            Level = levelNumber,
            IsCouncil = council,
            Panel = panel.ToList(),
            VerdictDeadline = clock.GetUtcNow().AddSeconds(S.VerdictWindowSeconds),
            Outcome = CaseLevelOutcome.Voting,
            Note = council ? $"{why} The founders' council sits; its verdict is final." : why,
        });
        S.State = CaseState.Voting;
    }

    private async Task FinalizeAsync(Verdict verdict)
    {
        S.FinalVerdict = verdict;
        Journal("final-verdict", new { @case = Id, deal = S.DealId, fault = verdict.Fault.ToString(), providerShare = verdict.ProviderShare,
            compensation = verdict.Compensation });
        S.State = CaseState.Executing;
        await SaveAsync();
        try
        {
            await ExecuteAsync();
        }
        catch (Exception ex) when (ex is not GuaranteeException { Kind: ErrorKind.Invalid })
        {
            // The final verdict is stored; the reminder executes it later. The caller's action stands.
            logger.LogWarning(ex, "Case {Case}: executing the final verdict failed; the reminder will try again", Id);
        }
    }

    /// <summary>Executes the final verdict on the deal (idempotent there), then closes the case.</summary>
    private async Task ExecuteAsync()
    {
        var deal = await GrainFactory.GetGrain<IDealGrain>(S.DealId!).Settle(Id, S.FinalVerdict!);
        S.Settlement = deal.Settlement;
        if (S.State != CaseState.Closed) GuaranteeMetrics.CasesOpen.Add(-1, GuaranteeMetrics.Level(Current.Level));
        S.State = CaseState.Closed;
        await SaveAsync();
        var reminder = await this.GetReminder(DeadlineReminder);
        if (reminder is not null) await this.UnregisterReminder(reminder);
    }

    private async Task ArmDeadlinesAsync()
    {
        var period = ReminderPeriods.Shortest(ServiceProvider);
        var dueTime = TimeSpan.FromSeconds(Math.Max(1, Math.Min(S.VerdictWindowSeconds, S.AppealWindowSeconds)));
        await this.RegisterOrUpdateReminder(DeadlineReminder, dueTime < period ? dueTime : period, period);
    }

    /// <summary>Makes sure the parties and every judge so far list the case (idempotent on the members).</summary>
    private Task NotifyAsync() =>
        Task.WhenAll(S.Levels.SelectMany(l => l.Panel).Append(S.ProviderId).Append(S.ConsumerId).Distinct(StringComparer.Ordinal)
            .Select(m => GrainFactory.GetGrain<IMemberGrain>(m).NoteCase(Id)));

    private async Task<IReadOnlyList<string>> GuarantorsOfAsync(IEnumerable<string> members)
    {
        var infos = await Task.WhenAll(members.Select(m => GrainFactory.GetGrain<IMemberGrain>(m).GetCoverInfo([])));
        return infos.SelectMany(i => i.Guarantors).Distinct(StringComparer.Ordinal).ToList();
    }

    private void EnsureExists()
    {
        if (!Exists) throw GuaranteeException.NotFound("case-not-found", $"There is no arbitration case '{Id}'.");
    }

    private void EnsureParty(string memberId)
    {
        if (memberId != S.ProviderId && memberId != S.ConsumerId)
            throw GuaranteeException.Forbidden("not-a-party", $"{memberId} is not a party of case {Id}; only the parties accept or appeal.");
    }

    private static string Word<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private CaseView View() => new(Id, S.DealId!, S.CommunityId, S.ProviderId, S.ConsumerId, S.ClaimantId, S.Damage, S.Reason,
        S.State, S.Levels.Count, S.Levels.Select(l => l.View()).ToList(), S.FinalVerdict, S.Settlement, S.OpenedAt);
}
