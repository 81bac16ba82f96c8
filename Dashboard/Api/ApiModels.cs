namespace OrleansGuarantee.Dashboard.Api;

// Request bodies: every member is nullable so that a missing field is refused with its own message
// (code missing-field) rather than a deserializer error.

public sealed record TokenRequest(string? OperatorKey, string? MemberId, string? Password);

public sealed record FounderRequest(string? Id, string? Name, string? Password);

public sealed record SettingsRequest(
    int? RequiredGuarantors, decimal? CoverageRatio, decimal? StageDiscount, int? VerdictWindowSeconds,
    int? AppealWindowSeconds, int? MaxArbitrationLevels, int? MaxCoverLevels)
{
    public CommunitySettings ToSettings()
    {
        var d = CommunitySettings.Default;
        return new CommunitySettings
        {
            RequiredGuarantors = RequiredGuarantors ?? d.RequiredGuarantors,
            CoverageRatio = CoverageRatio ?? d.CoverageRatio,
            StageDiscount = StageDiscount ?? d.StageDiscount,
            VerdictWindowSeconds = VerdictWindowSeconds ?? d.VerdictWindowSeconds,
            AppealWindowSeconds = AppealWindowSeconds ?? d.AppealWindowSeconds,
            MaxArbitrationLevels = MaxArbitrationLevels ?? d.MaxArbitrationLevels,
            MaxCoverLevels = MaxCoverLevels ?? d.MaxCoverLevels,
        };
    }
}

public sealed record CreateCommunityRequest(string? Id, string? Name, List<FounderRequest?>? Founders, SettingsRequest? Settings);

public sealed record SignUpRequest(string? Id, string? Name, string? Password, List<string>? Offers, List<string>? Needs, string? Location);

public sealed record ProfileRequest(string? Name, List<string>? Offers, List<string>? Needs, string? Location);

public sealed record MoneyRequest(string? OperationId, decimal? Amount);

public sealed record GuaranteeRequestRequest(string? OperationId, string? GuarantorId);

public sealed record AcceptGuaranteeRequest(string? OperationId, string? WardId, decimal? Limit);

public sealed record ContactRequest(string? MemberId);

public sealed record ProposeDealRequest(string? OperationId, string? ProviderId, string? ConsumerId, decimal? Value, string? Description, DateTimeOffset? DueAt);

public sealed record ClaimRequest(string? OperationId, decimal? Damage, string? Reason);

public sealed record VoteRequest(string? Fault, decimal? ProviderShare, decimal? Compensation);

public sealed record StageRequest(string? Role, string? MemberId, decimal? MarketPrice);

public sealed record DesignCycleRequest(string? OperationId, string? CommunityId, string? Product, decimal? ProductValue, decimal? StageDiscount, List<StageRequest?>? Stages);

public sealed record ReassignRequest(string? MemberId);

public sealed record ProposalHopRequest(string? MemberId, string? Offers, string? ToMemberId);

public sealed record DraftFromProposalRequest(string? OperationId, string? CommunityId, List<ProposalHopRequest?>? Hops,
    decimal? MarketPrice, List<decimal>? MarketPrices, string? Product, decimal? ProductValue, decimal? StageDiscount);

// Responses.

public sealed record FounderResponse(string Id, string Name);

public sealed record CommunityResponse(
    string Id, string Name, IReadOnlyList<FounderResponse> Founders, CommunitySettings Settings, DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, int>? MemberCounts)
{
    public static CommunityResponse From(CommunityView c, DirectoryTotals? totals) => new(
        c.Id, c.Name, c.Founders.Select(f => new FounderResponse(f.Id, f.Name)).ToList(), c.Settings, c.CreatedAt,
        totals is null ? null : MemberCountsOf(totals));

    public static IReadOnlyDictionary<string, int> MemberCountsOf(DirectoryTotals totals)
    {
        var counts = Enum.GetValues<MemberStatus>().ToDictionary(s => ApiText.Of(s), s => totals.MembersByStatus.GetValueOrDefault(s));
        counts["total"] = totals.Members;
        return counts;
    }
}

public sealed record LedgerResponse(
    string CommunityId, decimal Deposited, decimal Withdrawn, decimal SumOfBalances, decimal SumOfHeld,
    decimal TransferredIn, decimal TransferredOut, int Members, bool Balanced)
{
    public static LedgerResponse From(string communityId, DirectoryTotals t) => new(
        communityId, t.Deposited, t.Withdrawn, t.SumOfBalances, t.SumOfHeld, t.TransferredIn, t.TransferredOut, t.Members,
        t.Deposited - t.Withdrawn == t.SumOfBalances);
}

public sealed record AccountResponse(decimal Balance, decimal Held, decimal Free, decimal Deposited, decimal Withdrawn, decimal TransferredIn, decimal TransferredOut)
{
    public static AccountResponse From(AccountView a) => new(a.Balance, a.Held, a.Free, a.Deposited, a.Withdrawn, a.TransferredIn, a.TransferredOut);
}

public sealed record GuaranteeLinkResponse(string MemberId, decimal Limit, bool Withdrawn, decimal? Held, DateTimeOffset Since);

public sealed record HoldResponse(string HoldId, string DealId, decimal Amount, string ForParty, string? ViaWardId);

public sealed record DebtResponse(string ToMemberId, decimal Amount);

public sealed record LedgerEntryResponse(string OperationId, string Kind, decimal Amount, decimal BalanceAfter, decimal HeldAfter, DateTimeOffset At, string? Reference);

/// <summary>A member; the parts after <c>wards</c> are present only for the member, its guarantors and operators.</summary>
public sealed record MemberResponse(
    string Id, string CommunityId, string Name, string Status, string StatusReason,
    IReadOnlyList<string> Offers, IReadOnlyList<string> Needs, string? Location,
    IReadOnlyList<GuaranteeLinkResponse> Guarantors, IReadOnlyList<GuaranteeLinkResponse> Wards,
    AccountResponse? Deposit, IReadOnlyList<DebtResponse>? Debts, IReadOnlyList<HoldResponse>? Holds,
    IReadOnlyList<string>? GuaranteeRequestsReceived, IReadOnlyList<string>? GuaranteeRequestsSent,
    IReadOnlyList<string>? Contacts, IReadOnlyList<string>? ContactRequestsReceived, IReadOnlyList<string>? ContactRequestsSent,
    IReadOnlyList<string>? Deals, IReadOnlyList<LedgerEntryResponse>? RecentEntries, IReadOnlyList<string>? Cases)
{
    public static MemberResponse From(MemberView m, bool full) => new(
        m.Id, m.CommunityId, m.Profile.Name, ApiText.Of(m.Status), m.StatusReason, m.Profile.Offers, m.Profile.Needs, m.Profile.Location,
        m.Guarantors.Select(g => new GuaranteeLinkResponse(g.MemberId, g.Limit, g.Withdrawn, null, g.Since)).ToList(),
        m.Wards.Select(g => new GuaranteeLinkResponse(g.MemberId, g.Limit, g.Withdrawn, full ? g.Held : null, g.Since)).ToList(),
        full ? AccountResponse.From(m.Deposit) : null,
        full ? m.Debts.Select(d => new DebtResponse(d.ToMemberId, d.Amount)).ToList() : null,
        full ? m.Holds.Select(h => new HoldResponse(h.HoldId, h.DealId, h.Amount, h.ForPartyId, h.ViaWardId)).ToList() : null,
        full ? m.GuaranteeRequestsReceived : null,
        full ? m.GuaranteeRequestsSent : null,
        full ? m.Contacts : null,
        full ? m.ContactRequestsReceived : null,
        full ? m.ContactRequestsSent : null,
        full ? m.Deals : null,
        full ? m.RecentEntries.Select(e => new LedgerEntryResponse(e.OperationId, e.Kind, e.Amount, e.BalanceAfter, e.HeldAfter, e.At, e.Reference)).ToList() : null,
        full ? m.Cases ?? [] : null);
}

public sealed record GuaranteeResponse(string GuarantorId, string WardId, string State, decimal Limit, DateTimeOffset At)
{
    public static GuaranteeResponse From(GuaranteeRecord g) => new(g.GuarantorId, g.WardId, ApiText.Of(g.State), g.Limit, g.At);
}

public sealed record WaitingWardResponse(string WardId, string Name, string Status, IReadOnlyList<string> Offers, IReadOnlyList<string> Needs)
{
    public static WaitingWardResponse From(MemberView m) => new(m.Id, m.Profile.Name, ApiText.Of(m.Status), m.Profile.Offers, m.Profile.Needs);
}

public sealed record ContactResponse(string MemberId, string OtherMemberId, bool Established, bool AskedByOther)
{
    public static ContactResponse From(ContactRecord c, string me) => new(me, c.Other(me), c.Established, c.AskedBy(c.Other(me)));
}

public sealed record CoverHoldResponse(string MemberId, decimal Amount, string ForParty, string? ViaWardId, int Level);

public sealed record DealResponse(
    string Id, string CommunityId, string ProviderId, string ConsumerId, string ProposedBy, decimal Value, string Description,
    DateTimeOffset DueAt, string State, IReadOnlyList<string> ConfirmedBy, IReadOnlyList<CoverHoldResponse> Cover,
    DateTimeOffset CreatedAt, DateTimeOffset? AcceptedAt, DateTimeOffset? ClosedAt, string? LastAcceptFailure,
    ClaimResponse? Claim, string? CaseId, SettlementResponse? Settlement)
{
    public static DealResponse From(DealView d) => new(
        d.Id, d.CommunityId, d.ProviderId, d.ConsumerId, d.ProposedBy, d.Value, d.Description, d.DueAt, ApiText.Of(d.State),
        d.ConfirmedBy, d.Cover.Select(h => new CoverHoldResponse(h.MemberId, h.Amount, h.ForParty, h.ViaWardId, h.Level)).ToList(),
        d.CreatedAt, d.AcceptedAt, d.ClosedAt, d.LastAcceptFailure,
        d.Claim is { } c ? new ClaimResponse(c.ClaimantId, c.RespondentId, c.Damage, c.Reason, c.FiledAt, c.Outcome) : null,
        d.CaseId, d.Settlement is { } s ? SettlementResponse.From(s) : null);
}

public sealed record ClaimResponse(string ClaimantId, string RespondentId, decimal Damage, string Reason, DateTimeOffset FiledAt, string Outcome);

public sealed record VerdictResponse(string Fault, decimal ProviderShare, decimal Compensation)
{
    public static VerdictResponse From(Verdict v) => new(ApiText.Of(v.Fault), v.ProviderShare, v.Compensation);
}

public sealed record PaymentResponse(string FromMemberId, string ToMemberId, decimal Amount, int Level);

public sealed record SettlementResponse(VerdictResponse Verdict, string? PayerId, decimal Awarded, IReadOnlyList<PaymentResponse> Payments, decimal Unpaid, DateTimeOffset At)
{
    public static SettlementResponse From(Settlement s) => new(VerdictResponse.From(s.Verdict), s.PayerPartyId, s.Awarded,
        s.Payments.Select(p => new PaymentResponse(p.FromMemberId, p.ToMemberId, p.Amount, p.Level)).ToList(), s.Unpaid, s.At);
}

public sealed record VoteResponse(string JudgeId, string Fault, decimal ProviderShare, decimal Compensation, DateTimeOffset At);

public sealed record CaseLevelResponse(
    int Level, bool IsCouncil, IReadOnlyList<string> Panel, IReadOnlyList<VoteResponse> Votes, DateTimeOffset VerdictDeadline,
    string Outcome, VerdictResponse? Verdict, DateTimeOffset? AppealDeadline, IReadOnlyList<string> AcceptedBy, string? AppealedBy, string? Note);

/// <summary>An arbitration case with every level's panel, votes and outcome.</summary>
public sealed record CaseResponse(
    string Id, string DealId, string CommunityId, string ProviderId, string ConsumerId, string ClaimantId, decimal Damage, string Reason,
    string State, int Level, IReadOnlyList<string> Panel, DateTimeOffset? VerdictDeadline, DateTimeOffset? AppealDeadline,
    VerdictResponse? Verdict, IReadOnlyList<CaseLevelResponse> Levels, SettlementResponse? Settlement, DateTimeOffset OpenedAt)
{
    public static CaseResponse From(CaseView c)
    {
        var current = c.Levels[^1];
        return new(c.Id, c.DealId, c.CommunityId, c.ProviderId, c.ConsumerId, c.ClaimantId, c.Damage, c.Reason, ApiText.Of(c.State),
            c.CurrentLevel, current.Panel, current.VerdictDeadline, current.AppealDeadline,
            c.FinalVerdict is { } f ? VerdictResponse.From(f) : current.Verdict is { } v ? VerdictResponse.From(v) : null,
            c.Levels.Select(l => new CaseLevelResponse(l.Level, l.IsCouncil, l.Panel,
                l.Votes.Select(v => new VoteResponse(v.JudgeId, ApiText.Of(v.Fault), v.ProviderShare, v.Compensation, v.At)).ToList(),
                l.VerdictDeadline, ApiText.Of(l.Outcome), l.Verdict is { } lv ? VerdictResponse.From(lv) : null, l.AppealDeadline,
                l.AcceptedBy, l.AppealedBy, l.Note)).ToList(),
            c.Settlement is { } s ? SettlementResponse.From(s) : null, c.OpenedAt);
    }
}

/// <summary>Enum values as the API spells them: lower camel case (<c>candidate</c>, <c>proposed</c>).</summary>
public static class ApiText
{
    public static string Of<T>(T value) where T : struct, Enum
    {
        var s = value.ToString();
        return char.ToLowerInvariant(s[0]) + s[1..];
    }
}

public sealed record StageResponse(
    int Index, string Role, string MemberId, decimal MarketPrice, decimal CyclePrice, decimal Saving, decimal CumulativeSaving,
    decimal Share, decimal ShareOfProduct, decimal SynergyGain, bool Joined, string Status, string? DealId, string? DealState, string? Blocked);

/// <summary>A synergy cycle with, per stage, market price, cycle price, cumulative saving, share, synergy gain, deal id and state.</summary>
public sealed record CycleResponse(
    string Id, string CommunityId, string OrganizerId, string Product, decimal ProductValue, decimal StageDiscount, string State,
    int CurrentStage, IReadOnlyList<StageResponse> Stages, decimal TotalMarketPrice, decimal TotalCyclePrice, decimal TotalSaving,
    IReadOnlyList<StageFailure> Failures, IReadOnlyList<StageReassignment> Reassignments, IReadOnlyList<string> DealHistory,
    long LastEventSeq, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt)
{
    public static CycleResponse From(CycleView c) => new(c.Id, c.CommunityId, c.OrganizerId, c.Product, c.ProductValue, c.StageDiscount,
        ApiText.Of(c.State), c.CurrentStage,
        c.Stages.Select(s => new StageResponse(s.Index, s.Role, s.MemberId, s.MarketPrice, s.CyclePrice, s.Saving, s.CumulativeSaving,
            s.Share, s.ShareOfProduct, s.SynergyGain, s.Joined, s.Status, s.DealId, s.DealState is { } d ? ApiText.Of(d) : null, s.Blocked)).ToList(),
        c.TotalMarketPrice, c.TotalCyclePrice, c.TotalMarketPrice - c.TotalCyclePrice, c.Failures, c.Reassignments, c.DealHistory,
        c.LastEventSeq, c.CreatedAt, c.CompletedAt);
}

public sealed record CycleEventResponse(long Seq, string Kind, int? StageIndex, string Description, string State, DateTimeOffset At)
{
    public static CycleEventResponse From(CycleEvent e) => new(e.Seq, e.Kind, e.StageIndex, e.Description, ApiText.Of(e.State), e.At);
}

public sealed record PathResponse(IReadOnlyList<string> MemberIds, IReadOnlyList<decimal> Strengths, int Hops)
{
    public static PathResponse From(PathView p) => new(p.MemberIds, p.Strengths, p.Hops);
}

public sealed record CycleHopResponse(string MemberId, string Offers, string ToMemberId);

public sealed record CycleProposalResponse(IReadOnlyList<CycleHopResponse> Hops, decimal WeakestBacking, string WeakestMemberId)
{
    public static CycleProposalResponse From(CycleProposalView p) =>
        new(p.Hops.Select(h => new CycleHopResponse(h.MemberId, h.Offers, h.ToMemberId)).ToList(), p.WeakestBacking, p.WeakestMemberId);
}

/// <summary>A journal entry (API.md "Journal"); <c>chain</c>, <c>source</c> and <c>sourceSeq</c> say which chain holds it
/// and which grain recorded it.</summary>
public sealed record JournalEntryResponse(long Seq, DateTimeOffset At, string Kind, System.Text.Json.JsonElement Data,
    string PreviousHash, string Hash, int Chain, string Source, long SourceSeq)
{
    public static JournalEntryResponse From(JournalEntry e)
    {
        System.Text.Json.JsonElement data;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(e.Data);
            data = doc.RootElement.Clone();
        }
        catch (System.Text.Json.JsonException)
        {
            // A changed entry may no longer be JSON: show it as it is stored (verify names it).
            data = System.Text.Json.JsonSerializer.SerializeToElement(e.Data);
        }
        return new JournalEntryResponse(e.Seq, e.At, e.Kind, data, e.PreviousHash, e.Hash, e.Partition, e.SourceId, e.SourceSeq);
    }
}

public sealed record JournalVerifyResponse(bool Ok, long Entries, long? FirstBadSeq, string? Problem)
{
    public static JournalVerifyResponse From(JournalVerification v) => new(v.Ok, v.Entries, v.FirstBadSeq, v.Problem);
}
