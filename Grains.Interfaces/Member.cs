namespace OrleansGuarantee;

[GenerateSerializer]
public enum MemberStatus
{
    Candidate = 0,
    Active = 1,
    Suspended = 2,
    Expelled = 3,
    Founder = 4,
}

[GenerateSerializer]
public enum GuaranteeState
{
    /// <summary>The ward asked; the guarantor has not answered.</summary>
    Requested = 0,
    /// <summary>The guarantor stands behind the ward up to a limit.</summary>
    Accepted = 1,
    Declined = 2,
    /// <summary>Withdrawn for the future: covers no new deal, still stands behind deals already covered.</summary>
    Withdrawn = 3,
}

[GenerateSerializer, Immutable, Alias("og.MemberProfile")]
public sealed record MemberProfile(
    [property: Id(0)] string Name,
    [property: Id(1)] IReadOnlyList<string> Offers,
    [property: Id(2)] IReadOnlyList<string> Needs,
    [property: Id(3)] string? Location = null)
{
    public const int MaxNameLength = 200;
    public const int MaxTags = 50;
    public const int MaxTagLength = 100;

    public void Validate()
    {
        Ids.ValidateText(Name, "name", MaxNameLength, required: true);
        Ids.ValidateText(Location, "location", MaxNameLength, required: false);
        ValidateTags(Offers, "offers");
        ValidateTags(Needs, "needs");
    }

    private static void ValidateTags(IReadOnlyList<string>? tags, string field)
    {
        if (tags is null) return;
        if (tags.Count > MaxTags)
            throw GuaranteeException.Invalid("too-long", $"At most {MaxTags} {field} are allowed (got {tags.Count}).");
        foreach (var tag in tags)
            Ids.ValidateText(tag, $"each of the {field}", MaxTagLength, required: true);
    }
}

/// <summary>One guarantee as both members keep it; the version orders updates from the guarantee's own grain.</summary>
[GenerateSerializer, Immutable, Alias("og.GuaranteeRecord")]
public sealed record GuaranteeRecord(
    [property: Id(0)] string GuarantorId,
    [property: Id(1)] string WardId,
    [property: Id(2)] GuaranteeState State,
    [property: Id(3)] decimal Limit,
    [property: Id(4)] long Version,
    [property: Id(5)] DateTimeOffset At);

[GenerateSerializer, Immutable, Alias("og.GuaranteeView")]
public sealed record GuaranteeView(
    [property: Id(0)] string MemberId,
    [property: Id(1)] decimal Limit,
    [property: Id(2)] bool Withdrawn,
    [property: Id(3)] decimal Held,
    [property: Id(4)] DateTimeOffset Since);

[GenerateSerializer, Immutable, Alias("og.AccountView")]
public sealed record AccountView(
    [property: Id(0)] decimal Balance,
    [property: Id(1)] decimal Held,
    [property: Id(2)] decimal Deposited,
    [property: Id(3)] decimal Withdrawn,
    [property: Id(4)] decimal TransferredIn,
    [property: Id(5)] decimal TransferredOut)
{
    public decimal Free => Balance - Held;
}

[GenerateSerializer, Immutable, Alias("og.HoldView")]
public sealed record HoldView(
    [property: Id(0)] string HoldId,
    [property: Id(1)] string DealId,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] string ForPartyId,
    [property: Id(4)] string? ViaWardId);

[GenerateSerializer, Immutable, Alias("og.DebtView")]
public sealed record DebtView([property: Id(0)] string ToMemberId, [property: Id(1)] decimal Amount);

[GenerateSerializer, Immutable, Alias("og.LedgerEntry")]
public sealed record LedgerEntry(
    [property: Id(0)] string OperationId,
    [property: Id(1)] string Kind,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] decimal BalanceAfter,
    [property: Id(4)] decimal HeldAfter,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] string? Reference);

[GenerateSerializer, Immutable, Alias("og.MemberView")]
public sealed record MemberView(
    [property: Id(0)] string Id,
    [property: Id(1)] string CommunityId,
    [property: Id(2)] MemberProfile Profile,
    [property: Id(3)] MemberStatus Status,
    [property: Id(4)] string StatusReason,
    [property: Id(5)] IReadOnlyList<GuaranteeView> Guarantors,
    [property: Id(6)] IReadOnlyList<GuaranteeView> Wards,
    [property: Id(7)] IReadOnlyList<string> GuaranteeRequestsReceived,
    [property: Id(8)] IReadOnlyList<string> GuaranteeRequestsSent,
    [property: Id(9)] AccountView Deposit,
    [property: Id(10)] IReadOnlyList<HoldView> Holds,
    [property: Id(11)] IReadOnlyList<DebtView> Debts,
    [property: Id(12)] IReadOnlyList<LedgerEntry> RecentEntries,
    /// <summary>Deals this member is a party to, most recent first.</summary>
    [property: Id(13)] IReadOnlyList<string> Deals,
    /// <summary>Mutual contacts (both sides asked).</summary>
    [property: Id(14)] IReadOnlyList<string> Contacts,
    /// <summary>Members who asked this member to be a contact and wait for the same in return.</summary>
    [property: Id(15)] IReadOnlyList<string> ContactRequestsReceived,
    [property: Id(16)] IReadOnlyList<string> ContactRequestsSent,
    /// <summary>Arbitration cases this member is a party to or sits in, most recent first.</summary>
    [property: Id(17)] IReadOnlyList<string>? Cases = null,
    /// <summary>Synergy cycles this member organizes or has (or had) a stage in, most recent first.</summary>
    [property: Id(18)] IReadOnlyList<string>? Cycles = null);

/// <summary>What the front door needs to sign a member in. The hash never leaves the cluster and the front door.</summary>
[GenerateSerializer, Immutable, Alias("og.MemberCredential")]
public sealed record MemberCredential(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string CommunityId,
    [property: Id(2)] string? PasswordHash,
    [property: Id(3)] MemberStatus Status);

/// <summary>What cover planning needs to know of one member.</summary>
[GenerateSerializer, Immutable, Alias("og.MemberCoverInfo")]
public sealed record MemberCoverInfo(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string CommunityId,
    [property: Id(2)] MemberStatus Status,
    [property: Id(3)] decimal Free,
    /// <summary>Guarantors whose guarantee is accepted and not withdrawn.</summary>
    [property: Id(4)] IReadOnlyList<string> Guarantors,
    /// <summary>For each ward asked about: the limit not yet used by holds, 0 when withdrawn or unknown.</summary>
    [property: Id(5)] IReadOnlyDictionary<string, decimal> RemainingLimits);

/// <summary>A hold of part of a member's free deposit for a deal's cover.</summary>
[GenerateSerializer, Immutable, Alias("og.HoldCommand")]
public sealed record HoldCommand(
    [property: Id(0)] string HoldId,
    [property: Id(1)] string DealId,
    [property: Id(2)] decimal Amount,
    /// <summary>The deal party whose performance this hold covers.</summary>
    [property: Id(3)] string ForPartyId,
    /// <summary>When the member holds as a guarantor: the ward whose limit this hold counts against.</summary>
    [property: Id(4)] string? ViaWardId);

/// <summary>
/// A member of a community: profile, status, guarantees given and received, and the deposit account.
/// Member grains never call deals or guarantees, so those can call members without deadlock.
/// </summary>
[Alias("og.IMemberGrain")]
public interface IMemberGrain : IGrainWithStringKey
{
    /// <summary>
    /// Self sign-up: the member becomes a candidate of the community. <paramref name="passwordHash"/> is
    /// already hashed by the front door (never a plain password).
    /// </summary>
    [Alias("SignUp")]
    Task<MemberView> SignUp(string communityId, MemberProfile profile, string? passwordHash);

    /// <summary>Called by the community at creation. Idempotent.</summary>
    [Alias("JoinAsFounder")]
    Task JoinAsFounder(string communityId, string name, string? passwordHash);

    [Alias("GetCredential"), AlwaysInterleave]
    Task<MemberCredential> GetCredential();

    /// <summary>What the member's directory partition keeps of it.</summary>
    [Alias("GetSummary"), AlwaysInterleave]
    Task<MemberSummary> GetSummary();

    /// <summary>Called by a deal once it is stored, so the member can list its deals. Idempotent.</summary>
    [Alias("NoteDeal")]
    Task NoteDeal(string dealId);

    /// <summary>Records money a guarantor paid for this member as this member's debt to it (rule 16). Idempotent by <paramref name="debtId"/>.</summary>
    [Alias("AddDebt")]
    Task AddDebt(string debtId, string toMemberId, decimal amount);

    /// <summary>Reduces this member's debt to <paramref name="toMemberId"/> for a repayment, before its money moves; refuses
    /// (above-debt) more than is owed. Idempotent by <paramref name="repaymentId"/>.</summary>
    [Alias("ReduceDebt")]
    Task ReduceDebt(string repaymentId, string toMemberId, decimal amount);

    /// <summary>Called by an arbitration case in which this member is a party or sits as a judge. Idempotent.</summary>
    [Alias("NoteCase")]
    Task NoteCase(string caseId);

    /// <summary>Called by a synergy cycle this member organizes or has a stage in (the member's "my cycles"). Idempotent.</summary>
    [Alias("NoteCycle")]
    Task NoteCycle(string cycleId);

    /// <summary>Applies a contact's new state (from its contact grain); older versions are ignored.</summary>
    [Alias("ApplyContact")]
    Task ApplyContact(ContactRecord record);

    /// <summary>Called by a community whose creation failed, to free a founder id it had taken. Idempotent.</summary>
    [Alias("LeaveAsFounder")]
    Task LeaveAsFounder(string communityId);

    [Alias("UpdateProfile")]
    Task<MemberView> UpdateProfile(MemberProfile profile);

    [Alias("Get"), AlwaysInterleave]
    Task<MemberView> Get();

    [Alias("GetCoverInfo"), AlwaysInterleave]
    Task<MemberCoverInfo> GetCoverInfo(IReadOnlyList<string> wards);

    [Alias("Deposit")]
    Task<AccountView> Deposit(string operationId, decimal amount);

    [Alias("Withdraw")]
    Task<AccountView> Withdraw(string operationId, decimal amount);

    /// <summary>Holds free deposit for a deal. Idempotent by hold id; a hold id once released or voided is refused.</summary>
    [Alias("Hold")]
    Task<AccountView> Hold(HoldCommand command);

    /// <summary>Releases a hold. Idempotent; releasing an unknown hold voids its id so a late Hold cannot place it.</summary>
    [Alias("Release")]
    Task<AccountView> Release(string holdId);

    /// <summary>First half of a transfer: takes money out (from a hold of this member when <paramref name="fromHoldId"/> is set).</summary>
    [Alias("TransferOut")]
    Task<AccountView> TransferOut(string transferId, string toMemberId, decimal amount, string? fromHoldId);

    /// <summary>Second half of a transfer: puts the money in. Idempotent by transfer id.</summary>
    [Alias("TransferIn")]
    Task<AccountView> TransferIn(string transferId, string fromMemberId, decimal amount);

    /// <summary>Applies a guarantee's new state (from its guarantee grain); older versions are ignored.</summary>
    [Alias("ApplyGuarantee")]
    Task ApplyGuarantee(GuaranteeRecord record);
}
