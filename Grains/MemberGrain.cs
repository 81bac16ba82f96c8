using Microsoft.Extensions.Logging;
using OrleansGuarantee.Domain;
using OrleansGuarantee.Infrastructure;
using OrleansGuarantee.Journal;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.MemberState")]
public sealed class MemberState
{
    /// <summary>Null until the member signs up or is made a founder.</summary>
    [Id(0)] public string? CommunityId { get; set; }
    [Id(1)] public MemberProfile Profile { get; set; } = new("", [], []);
    [Id(2)] public bool IsFounder { get; set; }
    [Id(3)] public bool WasEverActive { get; set; }
    [Id(4)] public bool Expelled { get; set; }
    /// <summary>Guarantees where this member is the ward, by guarantor id (requests included).</summary>
    [Id(5)] public Dictionary<string, GuaranteeRecord> Guarantors { get; set; } = new(StringComparer.Ordinal);
    // The collections below are null until their first entry (most members have no wards, debts, contacts, deals,
    // cases or cycles, and an empty collection per member is memory for nothing); stored empty ones read back as
    // empty, and both mean none.
    /// <summary>Guarantees where this member is the guarantor, by ward id (requests included).</summary>
    [Id(6)] public Dictionary<string, GuaranteeRecord>? Wards { get; set; }
    [Id(7)] public DepositAccount Account { get; set; } = new();
    /// <summary>What this member owes each guarantor that paid for it (rule 16).</summary>
    [Id(8)] public Dictionary<string, decimal>? Debts { get; set; }
    [Id(9)] public DateTimeOffset JoinedAt { get; set; }
    [Id(10)] public int RequiredGuarantors { get; set; } = CommunitySettings.Default.RequiredGuarantors;
    /// <summary>The password hash made by the front door; never a plain password.</summary>
    [Id(11)] public string? PasswordHash { get; set; }
    /// <summary>Contacts asked or established, by the other member's id.</summary>
    [Id(12)] public Dictionary<string, ContactRecord>? Contacts { get; set; }
    /// <summary>Deals this member is a party to, oldest first (at most <see cref="MemberGrain.MaxDealsListed"/>).</summary>
    [Id(13)] public List<string>? Deals { get; set; }
    /// <summary>Grows with every stored change; the directory partition keeps the highest it has seen.</summary>
    [Id(14)] public long Revision { get; set; }
    /// <summary>Debt records applied, by debt id (so a repeat adds nothing).</summary>
    [Id(15)] public HashSet<string>? DebtIds { get; set; }
    [Id(16)] public List<string>? Cases { get; set; }
    /// <summary>Journal records of this member's money movements and guarantee changes not yet confirmed by the journal.</summary>
    [Id(17)] public JournalOutbox Journal { get; set; } = new();
    /// <summary>Synergy cycles this member organizes or has a stage in, oldest first (at most <see cref="MemberGrain.MaxDealsListed"/>).</summary>
    [Id(18)] public List<string>? Cycles { get; set; }
}

public sealed class MemberGrain(
    [PersistentState("member", StorageNames.Store)] IPersistentState<MemberState> state,
    TimeProvider clock,
    IFaultInjector faults,
    ILogger<MemberGrain> logger) : Grain, IMemberGrain
{
    public const int MaxDealsListed = 1000;
    private static readonly TimeSpan ReportRetryPeriod = TimeSpan.FromSeconds(5);

    private long _reportedRevision = -1;
    private IGrainTimer? _reportRetry;
    /// <summary>Only while journal records are being delivered or wait for a retry (not kept by every idle member).</summary>
    private JournalDelivery? _journal;
    private string? _id;
    private string? _journalSource;

    private MemberState S => state.State;
    /// <summary>The key, decoded once per activation (each decoding makes a new string).</summary>
    private string Id => _id ??= this.GetPrimaryKeyString();
    private bool Registered => S.CommunityId is not null;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The last report before a crash may have been lost: report once more, soon after activation. Journal records
        // stored but not confirmed before a crash are delivered again the same way.
        if (Registered) ScheduleReport(TimeSpan.Zero);
        return base.OnActivateAsync(cancellationToken);
    }

    private string JournalSource => _journalSource ??= $"member:{Id}";

    public async Task<MemberView> SignUp(string communityId, MemberProfile profile, string? passwordHash)
    {
        Ids.Validate(Id, "member");
        Ids.Validate(communityId, "community");
        ArgumentNullException.ThrowIfNull(profile);
        profile.Validate();
        if (Registered)
            throw GuaranteeException.Conflict("member-exists", $"The member id '{Id}' is already taken; choose another.");
        var community = await GrainFactory.GetGrain<ICommunityGrain>(communityId).Get();
        S.CommunityId = communityId;
        S.Profile = Normalize(profile);
        S.JoinedAt = clock.GetUtcNow();
        S.RequiredGuarantors = community.Settings.RequiredGuarantors;
        S.PasswordHash = passwordHash;
        await SaveAsync();
        return View();
    }

    public async Task JoinAsFounder(string communityId, string name, string? passwordHash)
    {
        if (Registered)
        {
            if (S.CommunityId == communityId && S.IsFounder) return;
            throw GuaranteeException.Conflict("member-exists", $"The member id '{Id}' is already taken; choose another founder id.");
        }
        S.CommunityId = communityId;
        S.IsFounder = true;
        S.Profile = new MemberProfile(name, [], []);
        S.JoinedAt = clock.GetUtcNow();
        S.PasswordHash = passwordHash;
        await SaveAsync();
    }

    public async Task LeaveAsFounder(string communityId)
    {
        if (S.CommunityId != communityId || !S.IsFounder) return;
        if (S.Account.Operations is { Count: > 0 } || S.Wards is { Count: > 0 })
            throw GuaranteeException.Conflict("member-in-use", $"Founder {Id} has already acted and cannot be removed.");
        await GrainFactory.GetGrain<IMemberDirectoryGrain>(MemberDirectory.KeyOf(communityId, Id)).Remove(Id);
        await state.ClearStateAsync();
        state.State = new MemberState();
    }

    public async Task<MemberView> UpdateProfile(MemberProfile profile)
    {
        EnsureRegistered();
        ArgumentNullException.ThrowIfNull(profile);
        profile.Validate();
        S.Profile = Normalize(profile);
        await SaveAsync();
        return View();
    }

    public Task<MemberView> Get()
    {
        EnsureRegistered();
        return Task.FromResult(View());
    }

    public Task<MemberCredential> GetCredential()
    {
        EnsureRegistered();
        return Task.FromResult(new MemberCredential(Id, S.CommunityId!, S.PasswordHash, Status().Status));
    }

    public Task<MemberSummary> GetSummary()
    {
        EnsureRegistered();
        return Task.FromResult(Summary());
    }

    /// <summary>The list (made when null) with <paramref name="id"/> added last, keeping the newest
    /// <see cref="MaxDealsListed"/>; null when the id is listed already (nothing to store).</summary>
    private static List<string>? WithNoted(List<string>? list, string id)
    {
        if (list?.Contains(id) == true) return null;
        list ??= [];
        list.Add(id);
        if (list.Count > MaxDealsListed) list.RemoveRange(0, list.Count - MaxDealsListed);
        return list;
    }

    public async Task NoteDeal(string dealId)
    {
        EnsureRegistered();
        if (WithNoted(S.Deals, dealId) is not { } list) return;
        S.Deals = list;
        await SaveAsync();
    }

    public async Task AddDebt(string debtId, string toMemberId, decimal amount)
    {
        EnsureRegistered();
        Ids.ValidateOperationId(debtId);
        Money.Validate(amount);
        if (!(S.DebtIds ??= new(StringComparer.Ordinal)).Add(debtId)) return;
        var debts = S.Debts ??= new(StringComparer.Ordinal);
        debts[toMemberId] = debts.GetValueOrDefault(toMemberId) + amount;
        if (Status().Status == MemberStatus.Expelled) S.Expelled = true;
        await SaveAsync();
    }

    public async Task ReduceDebt(string repaymentId, string toMemberId, decimal amount)
    {
        EnsureRegistered();
        Ids.ValidateOperationId(repaymentId);
        Money.Validate(amount);
        if (S.DebtIds?.Contains(repaymentId) == true) return;
        // Checked here, where every change of the debt happens one at a time: two repayments of one debt at once
        // cannot both take it, so no member repays more than it owes.
        var owed = S.Debts?.GetValueOrDefault(toMemberId) ?? 0m;
        if (amount > owed)
            throw GuaranteeException.Conflict("above-debt", $"{Id} owes {toMemberId} {owed:0.00}; a repayment of {amount:0.00} is more than that.");
        (S.DebtIds ??= new(StringComparer.Ordinal)).Add(repaymentId);
        var left = owed - amount;
        if (left > 0) (S.Debts ??= new(StringComparer.Ordinal))[toMemberId] = left;
        else S.Debts?.Remove(toMemberId);
        await SaveAsync();
    }

    public async Task NoteCase(string caseId)
    {
        EnsureRegistered();
        if (WithNoted(S.Cases, caseId) is not { } list) return;
        S.Cases = list;
        await SaveAsync();
    }

    public async Task NoteCycle(string cycleId)
    {
        EnsureRegistered();
        if (WithNoted(S.Cycles, cycleId) is not { } list) return;
        S.Cycles = list;
        await SaveAsync();
    }

    public async Task ApplyContact(ContactRecord record)
    {
        EnsureRegistered();
        if (record.MemberA != Id && record.MemberB != Id)
            throw GuaranteeException.Invalid("not-a-party", $"Member {Id} is not a side of this contact.");
        var other = record.Other(Id);
        if (S.Contacts is not null && S.Contacts.TryGetValue(other, out var known) && known.Version >= record.Version) return;
        (S.Contacts ??= new(StringComparer.Ordinal))[other] = record;
        await SaveAsync();
    }

    public Task<MemberCoverInfo> GetCoverInfo(IReadOnlyList<string> wards)
    {
        EnsureRegistered();
        var remaining = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var ward in wards)
            remaining[ward] = S.Wards is not null && S.Wards.TryGetValue(ward, out var g) && g.State == GuaranteeState.Accepted
                ? Math.Max(0, g.Limit - S.Account.HeldForWard(ward))
                : 0;
        var guarantors = S.Guarantors.Values.Where(g => g.State == GuaranteeState.Accepted).Select(g => g.GuarantorId).Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(new MemberCoverInfo(Id, S.CommunityId!, Status().Status, S.Account.Free, guarantors, remaining));
    }

    public Task<AccountView> Deposit(string operationId, decimal amount) =>
        Move(() => S.Account.Deposit(operationId, amount, clock.GetUtcNow()));

    public Task<AccountView> Withdraw(string operationId, decimal amount) =>
        Move(() => S.Account.Withdraw(operationId, amount, clock.GetUtcNow()));

    public Task<AccountView> Hold(HoldCommand command)
    {
        decimal? wardLimit = command.ViaWardId is { } ward && S.Wards is not null && S.Wards.TryGetValue(ward, out var g) && g.State == GuaranteeState.Accepted
            ? g.Limit
            : null;
        return Move(() => S.Account.Hold(command, wardLimit, clock.GetUtcNow()));
    }

    public Task<AccountView> Release(string holdId) =>
        Move(() => S.Account.Release(holdId, clock.GetUtcNow()));

    public Task<AccountView> TransferOut(string transferId, string toMemberId, decimal amount, string? fromHoldId) =>
        Move(() => S.Account.TransferOut(transferId, toMemberId, amount, fromHoldId, clock.GetUtcNow()));

    public Task<AccountView> TransferIn(string transferId, string fromMemberId, decimal amount) =>
        Move(() => S.Account.TransferIn(transferId, fromMemberId, amount, clock.GetUtcNow()));

    public async Task ApplyGuarantee(GuaranteeRecord record)
    {
        EnsureRegistered();
        var book = record.WardId == Id ? S.Guarantors : record.GuarantorId == Id ? (S.Wards ??= new(StringComparer.Ordinal)) : null;
        if (book is null)
            throw GuaranteeException.Invalid("not-a-party", $"Member {Id} is neither the guarantor nor the ward of this guarantee.");
        var other = record.WardId == Id ? record.GuarantorId : record.WardId;
        if (book.TryGetValue(other, out var known) && known.Version >= record.Version) return;
        book[other] = record;
        // Each guarantee change is journalled once, by its ward (the guarantor's copy is the same change).
        if (record.WardId == Id)
            S.Journal.Add(JournalSource, GuaranteeKind(record.State), new
            {
                guarantor = record.GuarantorId,
                ward = record.WardId,
                limit = record.Limit,
                version = record.Version,
            }, record.At);
        if (Status().Status == MemberStatus.Active) S.WasEverActive = true;
        if (Status().Status == MemberStatus.Expelled) S.Expelled = true; // rule 5: expulsion stays
        await SaveAsync();
    }

    private async Task<AccountView> Move(Func<AccountView> entry)
    {
        EnsureRegistered();
        var before = S.Account.Version;
        var lastBefore = S.Account.RecentEntries.LastOrDefault();
        var result = entry();
        if (S.Account.Version != before)
        {
            // The movement and its journal record are stored in the same write (rule 23). A change without a new entry
            // (releasing a hold id that was never placed only voids the id) moves no money and is not journalled.
            var moved = S.Account.RecentEntries.LastOrDefault();
            if (moved is not null && !ReferenceEquals(moved, lastBefore))
                S.Journal.Add(JournalSource, moved.Kind, new
                {
                    member = Id,
                    amount = moved.Amount,
                    balanceAfter = moved.BalanceAfter,
                    heldAfter = moved.HeldAfter,
                    operationId = moved.OperationId,
                    reference = moved.Reference,
                }, moved.At);
            await SaveAsync(report: false);
            faults.At(FaultPoints.MemberAfterWrite, Id);
            await ReportAsync();
            await FlushJournalAsync();
        }
        return result;
    }

    /// <summary>Stores the state and (unless the caller does it later) reports the change to the directory.</summary>
    private async Task SaveAsync(bool report = true)
    {
        S.Revision++;
        await state.PersistAsync(this);
        if (report)
        {
            await ReportAsync();
            await FlushJournalAsync();
        }
    }

    /// <summary>Delivers the pending journal records, if any. The delivery (and its retry timer) lives only while
    /// records are pending; an idle member keeps none.</summary>
    private async Task FlushJournalAsync()
    {
        if (S.Journal.Pending.Count == 0) return;
        var delivery = _journal ??= new JournalDelivery(this, GrainFactory, JournalSource, () => S.Journal, () => S.CommunityId, logger);
        await delivery.FlushAsync();
        if (!delivery.Retrying && ReferenceEquals(_journal, delivery)) _journal = null;
    }

    private static string GuaranteeKind(GuaranteeState state) => state switch
    {
        GuaranteeState.Requested => "guarantee-requested",
        GuaranteeState.Accepted => "guarantee-accepted",
        GuaranteeState.Declined => "guarantee-declined",
        GuaranteeState.Withdrawn => "guarantee-withdrawn",
        _ => "guarantee-" + state.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Tells the member's directory partition its current status and account. A failure does not fail the
    /// member's command (that is stored): the report is retried by a timer until it gets through.
    /// </summary>
    private async Task ReportAsync()
    {
        if (!Registered || _reportedRevision >= S.Revision) return;
        var summary = Summary();
        try
        {
            await GrainFactory.GetGrain<IMemberDirectoryGrain>(MemberDirectory.KeyOf(S.CommunityId!, Id)).Report(summary);
            _reportedRevision = Math.Max(_reportedRevision, summary.Revision);
            _reportRetry?.Dispose();
            _reportRetry = null;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Member {Member} could not report revision {Revision} to its directory; retrying", Id, summary.Revision);
            ScheduleReport(ReportRetryPeriod);
        }
    }

    private void ScheduleReport(TimeSpan dueTime)
    {
        if (_reportRetry is not null) return;
        _reportRetry = this.RegisterGrainTimer(async _ =>
        {
            _reportRetry?.Dispose();
            _reportRetry = null;
            await ReportAsync();
            await FlushJournalAsync();
        }, new GrainTimerCreationOptions(dueTime, Timeout.InfiniteTimeSpan));
    }

    private MemberSummary Summary() => new(Id, S.CommunityId!, Status().Status, S.Account.View(), S.Revision,
        ContactEdges(), S.Profile.Offers ?? [], S.Profile.Needs ?? [],
        S.Guarantors.Values.Where(g => g.State == GuaranteeState.Accepted).Sum(g => g.Limit));

    /// <summary>Rule 21: established contacts (strength 0) and accepted guarantees either way (strength = limit),
    /// one edge per other member, the strongest.</summary>
    private DirectoryEdge[] ContactEdges()
    {
        var edges = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(string other, decimal strength)
        {
            if (other == Id) return;
            edges[other] = edges.TryGetValue(other, out var known) ? Math.Max(known, strength) : strength;
        }
        if (S.Contacts is not null)
            foreach (var c in S.Contacts.Values)
                if (c.Established) Add(c.Other(Id), 0m);
        foreach (var g in S.Guarantors.Values)
            if (g.State == GuaranteeState.Accepted) Add(g.GuarantorId, g.Limit);
        if (S.Wards is not null)
            foreach (var g in S.Wards.Values)
                if (g.State == GuaranteeState.Accepted) Add(g.WardId, g.Limit);
        return edges.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new DirectoryEdge(e.Key, e.Value)).ToArray();
    }

    private (MemberStatus Status, string Reason) Status()
    {
        var active = S.Guarantors.Values.Count(g => g.State == GuaranteeState.Accepted);
        return MemberStatusRules.Evaluate(S.IsFounder, S.WasEverActive, S.Expelled, active, S.RequiredGuarantors, S.Debts?.Values.Sum() ?? 0m);
    }

    private MemberView View()
    {
        var (status, reason) = Status();
        var guarantors = S.Guarantors.Values
            .Where(g => g.State is GuaranteeState.Accepted or GuaranteeState.Withdrawn)
            .Select(g => new GuaranteeView(g.GuarantorId, g.Limit, g.State == GuaranteeState.Withdrawn, 0, g.At))
            .OrderBy(g => g.MemberId, StringComparer.Ordinal).ToList();
        var wardRecords = S.Wards?.Values ?? Enumerable.Empty<GuaranteeRecord>();
        var contactRecords = S.Contacts?.Values ?? Enumerable.Empty<ContactRecord>();
        var wards = wardRecords
            .Where(g => g.State is GuaranteeState.Accepted or GuaranteeState.Withdrawn)
            .Select(g => new GuaranteeView(g.WardId, g.Limit, g.State == GuaranteeState.Withdrawn, S.Account.HeldForWard(g.WardId), g.At))
            .OrderBy(g => g.MemberId, StringComparer.Ordinal).ToList();
        var received = wardRecords.Where(g => g.State == GuaranteeState.Requested).Select(g => g.WardId).Order(StringComparer.Ordinal).ToList();
        var sent = S.Guarantors.Values.Where(g => g.State == GuaranteeState.Requested).Select(g => g.GuarantorId).Order(StringComparer.Ordinal).ToList();
        var holds = (S.Account.Holds ?? Enumerable.Empty<KeyValuePair<string, HoldRecord>>()).Select(h => new HoldView(h.Key, h.Value.DealId, h.Value.Amount, h.Value.ForPartyId, h.Value.ViaWardId))
            .OrderBy(h => h.HoldId, StringComparer.Ordinal).ToList();
        var debts = (S.Debts ?? Enumerable.Empty<KeyValuePair<string, decimal>>()).Where(d => d.Value > 0).Select(d => new DebtView(d.Key, d.Value)).ToList();
        var contacts = contactRecords.Where(c => c.Established).Select(c => c.Other(Id)).Order(StringComparer.Ordinal).ToList();
        var contactsReceived = contactRecords.Where(c => !c.Established && !c.AskedBy(Id)).Select(c => c.Other(Id)).Order(StringComparer.Ordinal).ToList();
        var contactsSent = contactRecords.Where(c => !c.Established && c.AskedBy(Id)).Select(c => c.Other(Id)).Order(StringComparer.Ordinal).ToList();
        return new MemberView(Id, S.CommunityId!, S.Profile, status, reason, guarantors, wards, received, sent,
            S.Account.View(), holds, debts, S.Account.RecentEntries.ToList(), Enumerable.Reverse(S.Deals ?? []).ToList(),
            contacts, contactsReceived, contactsSent, Enumerable.Reverse(S.Cases ?? []).ToList(),
            Enumerable.Reverse(S.Cycles ?? []).ToList());
    }

    private void EnsureRegistered()
    {
        if (!Registered) throw GuaranteeException.NotFound("member-not-found", $"There is no member '{Id}'.");
    }

    private static MemberProfile Normalize(MemberProfile p) => p with
    {
        Name = p.Name.Trim(),
        Offers = (p.Offers ?? []).Select(t => t.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
        Needs = (p.Needs ?? []).Select(t => t.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
    };
}

public static class StorageNames
{
    /// <summary>The grain storage every grain of this system persists into.</summary>
    public const string Store = "store";
}
