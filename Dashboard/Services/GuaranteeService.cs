using OrleansGuarantee.Dashboard.Diagrams;
using OrleansGuarantee.Dashboard.Security;

namespace OrleansGuarantee.Dashboard.Services;

public sealed record FounderInput(string? Id, string? Name, string? Password);

public sealed record CreateCommunityInput(string? Id, string? Name, IReadOnlyList<FounderInput?>? Founders, CommunitySettings? Settings);

public sealed record SignUpInput(string? Id, string? Name, string? Password, IReadOnlyList<string>? Offers, IReadOnlyList<string>? Needs, string? Location);

public sealed record ProposeDealInput(string? OperationId, string? ProviderId, string? ConsumerId, decimal? Value, string? Description, DateTimeOffset? DueAt);

/// <summary>A member as the caller may see it: everything, or (for other members of the community) the public part.</summary>
public sealed record MemberReading(MemberView View, bool Full);

/// <summary>What any member of the community may see of a member on its page: the public part of its view.</summary>
public sealed record MemberCard(
    string Id, string CommunityId, string Name, MemberStatus Status, string StatusReason,
    IReadOnlyList<string> Offers, IReadOnlyList<string> Needs, string? Location,
    int Guarantors, int WithdrawnGuarantors, int Wards, int WithdrawnWards)
{
    public static MemberCard From(MemberView m) => new(m.Id, m.CommunityId, m.Profile.Name, m.Status, m.StatusReason,
        m.Profile.Offers, m.Profile.Needs, m.Profile.Location,
        m.Guarantors.Count(g => !g.Withdrawn), m.Guarantors.Count(g => g.Withdrawn), m.Wards.Count(w => !w.Withdrawn), m.Wards.Count(w => w.Withdrawn));
}

/// <summary>A member's public card and the guarantee tree around it.</summary>
public sealed record MemberTreeReading(MemberCard Card, GuaranteeTree Tree);

/// <summary>A deal with the names and statuses of the members in it (parties and cover holders), by member id.</summary>
public sealed record DealReading(DealView Deal, IReadOnlyDictionary<string, DealParticipant> Members);

/// <summary>
/// Every action of the front door, for the API and the pages alike. Each one checks on the server who
/// the caller is: a member acts only as themselves, an operator manages communities and never acts as a
/// member. Input is validated here before any grain is called, so a refused call changes nothing.
/// </summary>
public sealed class GuaranteeService(IGrainFactory grains, Passwords passwords)
{
    private IMemberGrain Member(string id) => grains.GetGrain<IMemberGrain>(id);
    private IDealGrain Deal(string id) => grains.GetGrain<IDealGrain>(id);
    private ICommunityGrain Community(string id) => grains.GetGrain<ICommunityGrain>(id);

    // ---- Communities --------------------------------------------------------------------------

    public async Task<CommunityView> CreateCommunityAsync(Actor actor, CreateCommunityInput input)
    {
        actor.MustBeOperator();
        ArgumentNullException.ThrowIfNull(input);
        Ids.Validate(input.Id, "community");
        Ids.ValidateText(input.Name, "name", MemberProfile.MaxNameLength, required: true);
        if (input.Founders is null) throw GuaranteeException.Invalid("missing-field", "The founders are required (at least 3).");
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var founders = new List<FounderSpec>();
        foreach (var f in input.Founders)
        {
            if (f is null) throw GuaranteeException.Invalid("missing-field", "Each founder needs an id, a name and a password.");
            Ids.Validate(f.Id, "founder");
            Ids.ValidateText(f.Name, "founder name", MemberProfile.MaxNameLength, required: true);
            Passwords.Validate(f.Password, $"password of founder {f.Id}");
            founders.Add(new FounderSpec(f.Id!, f.Name!));
            hashes[f.Id!] = passwords.Hash(f.Password!);
        }
        var settings = input.Settings ?? CommunitySettings.Default;
        settings.Validate();
        return await Community(input.Id!).Create(new CreateCommunity(input.Name!, founders, settings, hashes));
    }

    public async Task<(CommunityView Community, DirectoryTotals Totals)> GetCommunityAsync(Actor actor, string id)
    {
        Ids.Validate(id, "community");
        MustSeeCommunity(actor, id);
        var community = await Community(id).Get();
        return (community, await Community(id).GetTotals(refresh: false));
    }

    public async Task<DirectoryTotals> GetLedgerAsync(Actor actor, string id, bool refresh)
    {
        Ids.Validate(id, "community");
        MustSeeCommunity(actor, id);
        return await Community(id).GetTotals(refresh);
    }

    /// <summary>Every community, oldest first (operators only): the operators' overview.</summary>
    public async Task<IReadOnlyList<CommunityListing>> ListCommunitiesAsync(Actor actor)
    {
        actor.MustBeOperator();
        return await grains.GetGrain<ICommunityRegistryGrain>(CommunityRegistry.Key).List();
    }

    private static void MustSeeCommunity(Actor actor, string communityId)
    {
        if (actor.IsOperator || actor.CommunityId == communityId) return;
        throw GuaranteeException.Forbidden("other-community", $"Only members of community {communityId} and operators can see it.");
    }

    // ---- Members ------------------------------------------------------------------------------

    public async Task<MemberView> SignUpAsync(string communityId, SignUpInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Ids.Validate(communityId, "community");
        Ids.Validate(input.Id, "member");
        var profile = new MemberProfile(input.Name ?? "", input.Offers ?? [], input.Needs ?? [], input.Location);
        profile.Validate();
        Passwords.Validate(input.Password);
        return await Member(input.Id!).SignUp(communityId, profile, passwords.Hash(input.Password!));
    }

    /// <summary>The member's credential when the password is right; null otherwise (unknown member included).</summary>
    public async Task<MemberCredential?> CheckPasswordAsync(string? memberId, string? password)
    {
        Ids.Validate(memberId, "member");
        if (string.IsNullOrEmpty(password)) throw GuaranteeException.Invalid("missing-field", "The password is required.");
        MemberCredential credential;
        try
        {
            credential = await Member(memberId!).GetCredential();
        }
        catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            passwords.Verify(UnknownMemberHash, password); // same work either way: no hint which ids exist
            return null;
        }
        return passwords.Verify(credential.PasswordHash, password) ? credential : null;
    }

    private string UnknownMemberHash => _unknownMemberHash ??= passwords.Hash(Guid.NewGuid().ToString());
    private string? _unknownMemberHash;

    public async Task<MemberReading> GetMemberAsync(Actor actor, string id)
    {
        Ids.Validate(id, "member");
        if (!actor.IsOperator && !actor.IsMember) throw GuaranteeException.Forbidden("not-signed-in", "Sign in first.");
        var view = await Member(id).Get();
        if (actor.IsOperator || actor.MemberId == id || view.Guarantors.Any(g => g.MemberId == actor.MemberId))
            return new MemberReading(view, Full: true);
        if (actor.CommunityId == view.CommunityId) return new MemberReading(view, Full: false);
        throw GuaranteeException.Forbidden("other-community", $"{id} is a member of another community.");
    }

    /// <summary>
    /// A member's public card and its guarantee tree (guarantors up to 3 levels, wards down to 2), for a signed-in
    /// member of the same community or an operator: only the public part of each member (name, status, the limits
    /// of its guarantees), which every member of the community may read anyway.
    /// </summary>
    public async Task<MemberTreeReading> GetMemberTreeAsync(Actor actor, string id, int maxNodes = GuaranteeTreeWalker.DefaultMaxNodes)
    {
        Ids.Validate(id, "member");
        if (!actor.IsOperator && !actor.IsMember) throw GuaranteeException.Forbidden("not-signed-in", "Sign in first.");
        var view = await Member(id).Get();
        if (!actor.IsOperator && actor.CommunityId != view.CommunityId)
            throw GuaranteeException.Forbidden("other-community", $"{id} is a member of another community.");
        var tree = await GuaranteeTreeWalker.WalkAsync(view, ReadMemberOrNullAsync, maxNodes);
        return new MemberTreeReading(MemberCard.From(view), tree);
    }

    /// <summary>A member's view, or null when there is no such member (a guarantee pointing at it is then left out).</summary>
    private async Task<MemberView?> ReadMemberOrNullAsync(string id)
    {
        try { return await Member(id).Get(); }
        catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound) { return null; }
    }

    public async Task<MemberView> UpdateProfileAsync(Actor actor, string id, SignUpInput input)
    {
        actor.MustBe(id);
        var profile = new MemberProfile(input.Name ?? "", input.Offers ?? [], input.Needs ?? [], input.Location);
        profile.Validate();
        return await Member(id).UpdateProfile(profile);
    }

    public async Task<AccountView> DepositAsync(Actor actor, string id, string? operationId, decimal? amount)
    {
        actor.MustBe(id);
        Ids.ValidateOperationId(operationId);
        Money.Validate(Required(amount, "amount"));
        return await Member(id).Deposit(operationId!, amount!.Value);
    }

    public async Task<AccountView> WithdrawAsync(Actor actor, string id, string? operationId, decimal? amount)
    {
        actor.MustBe(id);
        Ids.ValidateOperationId(operationId);
        Money.Validate(Required(amount, "amount"));
        return await Member(id).Withdraw(operationId!, amount!.Value);
    }

    // ---- Guarantees ---------------------------------------------------------------------------

    public async Task<GuaranteeRecord> RequestGuaranteeAsync(Actor actor, string wardId, string? operationId, string? guarantorId)
    {
        actor.MustBe(wardId);
        Ids.ValidateOperationId(operationId);
        Ids.Validate(guarantorId, "guarantor");
        if (guarantorId == wardId) throw GuaranteeException.Invalid("self-guarantee", "No one can guarantee themselves.");
        var record = await Guarantee(wardId, guarantorId!).Request(operationId!, wardId, guarantorId!);
        // A repeated operation id is answered with its first answer, whatever was asked this time.
        if (record.State != GuaranteeState.Requested || record.WardId != wardId)
            throw OperationIdReused(operationId!, $"a guarantee {ApiWord(record.State)} between {record.WardId} and {record.GuarantorId}");
        return record;
    }

    /// <summary>The members waiting for <paramref name="guarantorId"/> to answer their guarantee request.</summary>
    public async Task<IReadOnlyList<MemberView>> GuaranteeRequestsAsync(Actor actor, string guarantorId)
    {
        actor.MustBe(guarantorId);
        var me = await Member(guarantorId).Get();
        return await Task.WhenAll(me.GuaranteeRequestsReceived.Select(w => Member(w).Get()));
    }

    public async Task<GuaranteeRecord> AcceptGuaranteeAsync(Actor actor, string guarantorId, string? operationId, string? wardId, decimal? limit)
    {
        actor.MustBe(guarantorId);
        Ids.ValidateOperationId(operationId);
        Ids.Validate(wardId, "ward");
        Money.Validate(Required(limit, "limit"), "limit");
        if (guarantorId == wardId) throw GuaranteeException.Invalid("self-guarantee", "No one can guarantee themselves.");
        var record = await Guarantee(wardId!, guarantorId).Accept(operationId!, guarantorId, wardId!, limit!.Value);
        // A repeated operation id is answered with its first answer, whatever was asked this time.
        if (record.State != GuaranteeState.Accepted || record.WardId != wardId || record.Limit != limit.Value)
            throw OperationIdReused(operationId!, record.State == GuaranteeState.Accepted
                ? $"accepting {record.WardId} with the limit {record.Limit:0.00}"
                : $"a guarantee {ApiWord(record.State)} between {record.WardId} and {record.GuarantorId}");
        return record;
    }

    public async Task<GuaranteeRecord> DeclineGuaranteeAsync(Actor actor, string guarantorId, string wardId)
    {
        actor.MustBe(guarantorId);
        Ids.Validate(wardId, "ward");
        if (guarantorId == wardId) throw GuaranteeException.Invalid("self-guarantee", "No one can guarantee themselves.");
        return await Guarantee(wardId, guarantorId).Decline(guarantorId, wardId);
    }

    public async Task<GuaranteeRecord> WithdrawGuaranteeAsync(Actor actor, string guarantorId, string wardId)
    {
        actor.MustBe(guarantorId);
        Ids.Validate(wardId, "ward");
        if (guarantorId == wardId) throw GuaranteeException.Invalid("self-guarantee", "No one can guarantee themselves.");
        return await Guarantee(wardId, guarantorId).Withdraw(guarantorId, wardId);
    }

    private IGuaranteeGrain Guarantee(string wardId, string guarantorId) => grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(wardId, guarantorId));

    // ---- Contacts -----------------------------------------------------------------------------

    public async Task<ContactRecord> AskContactAsync(Actor actor, string memberId, string? otherId)
    {
        actor.MustBe(memberId);
        Ids.Validate(otherId, "contact's member");
        if (otherId == memberId) throw GuaranteeException.Invalid("self-contact", "You cannot be your own contact.");
        return await grains.GetGrain<IContactGrain>(GuaranteeKeys.For(memberId, otherId!)).Ask(memberId, otherId!);
    }

    // ---- Journal (rule 23) ---------------------------------------------------------------------

    /// <summary>The community's journal entries numbered above <paramref name="after"/>, in order: each chain is read
    /// from the first of its entries above that number, and the chains' pages are merged.</summary>
    public async Task<IReadOnlyList<JournalEntry>> JournalAsync(Actor actor, string communityId, long? after, int? limit)
    {
        await CommunityAsync(actor, communityId);
        var from = after ?? 0;
        var take = limit ?? 100;
        if (from < 0) throw GuaranteeException.Invalid("invalid-parameter", "after must be 0 or more.");
        if (take is < 1 or > 1000) throw GuaranteeException.Invalid("invalid-limit", "limit must be between 1 and 1000.");
        var pages = await Task.WhenAll(Enumerable.Range(0, JournalPartitions.Count).Select(p =>
            grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(communityId, p)).Read(JournalPartitions.LocalAtOrBelow(p, from), take)));
        return pages.SelectMany(page => page).Where(e => e.Seq > from).OrderBy(e => e.Seq).Take(take).ToList();
    }

    /// <summary>Re-hashes every chain of the community's journal; the first bad entry is the lowest-numbered one found.</summary>
    public async Task<JournalVerification> VerifyJournalAsync(Actor actor, string communityId)
    {
        await CommunityAsync(actor, communityId);
        var chains = await Task.WhenAll(Enumerable.Range(0, JournalPartitions.Count).Select(p =>
            grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(communityId, p)).Verify()));
        var bad = chains.Where(c => !c.Ok).OrderBy(c => c.FirstBadSeq ?? long.MaxValue).FirstOrDefault();
        return new JournalVerification(bad is null, chains.Sum(c => c.Entries), bad?.FirstBadSeq, bad?.Problem);
    }

    /// <summary>The community, if the caller may see it (its members and operators); refused otherwise.</summary>
    private async Task<CommunityView> CommunityAsync(Actor actor, string communityId)
    {
        Ids.Validate(communityId, "community");
        MustSeeCommunity(actor, communityId);
        return await grains.GetGrain<ICommunityGrain>(communityId).Get();
    }

    // ---- Navigator (rules 21-22) --------------------------------------------------------------

    /// <summary>The caller's shortest chains of contacts to a named member or to members offering a skill.</summary>
    public async Task<IReadOnlyList<PathView>> FindPathsAsync(Actor actor, string memberId, string? toMember, string? skill, int? maxHops, int? limit)
    {
        actor.MustBe(memberId);
        if (!string.IsNullOrWhiteSpace(toMember)) Ids.Validate(toMember, "target member");
        return await grains.GetGrain<INavigatorGrain>(actor.CommunityId!)
            .FindPaths(memberId, toMember, skill?.Trim(), maxHops ?? 6, limit ?? 5);
    }

    /// <summary>Closed offer/need loops of the community (its members and operators).</summary>
    public async Task<IReadOnlyList<CycleProposalView>> ProposeCyclesAsync(Actor actor, string communityId, int? maxLength, int? limit)
    {
        Ids.Validate(communityId, "community");
        MustSeeCommunity(actor, communityId);
        return await grains.GetGrain<INavigatorGrain>(communityId).ProposeCycles(maxLength ?? 6, limit ?? 20);
    }

    /// <summary>The caller (a member of the loop) turns a proposed loop into a draft cycle they organise (rule 22).</summary>
    public async Task<CycleView> DraftCycleFromProposalAsync(Actor actor, string? operationId, string? communityId,
        IReadOnlyList<CycleHopView?>? hops, IReadOnlyList<decimal>? marketPrices, string? product, decimal? productValue, decimal? stageDiscount)
    {
        var organizer = actor.MustBeMember();
        operationId ??= Guid.NewGuid().ToString("N");
        Ids.ValidateOperationId(operationId);
        Ids.Validate(communityId, "community");
        if (communityId != actor.CommunityId)
            throw GuaranteeException.Forbidden("other-community", $"You can organize cycles only in your own community ({actor.CommunityId}).");
        return await grains.GetGrain<INavigatorGrain>(communityId!)
            .DraftCycle(new DraftCycleFromLoop(operationId, organizer, hops, marketPrices, product, productValue, stageDiscount));
    }

    // ---- Deals --------------------------------------------------------------------------------

    public async Task<DealView> ProposeDealAsync(Actor actor, ProposeDealInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        actor.MustBeMember();
        Ids.ValidateOperationId(input.OperationId);
        Ids.Validate(input.ProviderId, "provider");
        Ids.Validate(input.ConsumerId, "consumer");
        if (actor.MemberId != input.ProviderId && actor.MemberId != input.ConsumerId)
            throw GuaranteeException.Forbidden("not-a-party", $"You ({actor.MemberId}) can propose only deals where you are the provider or the consumer.");
        Money.Validate(Required(input.Value, "value"), "value");
        var dueAt = input.DueAt ?? throw GuaranteeException.Invalid("missing-field", "The dueAt is required (an ISO 8601 date and time).");
        Ids.ValidateText(input.Description, "description", ProposeDeal.MaxDescriptionLength, required: false);
        var command = new ProposeDeal(input.OperationId!, actor.MemberId!, input.ProviderId!, input.ConsumerId!, input.Value!.Value, input.Description ?? "", dueAt);
        var deal = await Deal(DealIds.For(actor.MemberId!, input.OperationId!)).Propose(command);
        // A repeated operation id is answered with the deal it first proposed, whatever was asked this time.
        if (deal.ProviderId != command.ProviderId || deal.ConsumerId != command.ConsumerId || deal.Value != command.Value
            || deal.Description != command.Description || deal.DueAt != command.DueAt)
            throw OperationIdReused(command.OperationId, $"deal {deal.Id} ({deal.ProviderId} to {deal.ConsumerId}, {deal.Value:0.00}, due {deal.DueAt:u})");
        return deal;
    }

    public async Task<DealView> GetDealAsync(Actor actor, string dealId)
    {
        Ids.Validate(dealId, "deal");
        var deal = await Deal(dealId).Get();
        if (actor.IsOperator || actor.MemberId == deal.ProviderId || actor.MemberId == deal.ConsumerId
            || deal.Cover.Any(h => h.MemberId == actor.MemberId))
            return deal;
        throw GuaranteeException.Forbidden("not-a-party", "Only the deal's parties, the members covering it and operators can see it.");
    }

    /// <summary>
    /// A deal (for whoever may see it: <see cref="GetDealAsync"/>) with the names and statuses of its parties and of
    /// every member holding its cover or passed through to reach a holder, read in parallel.
    /// </summary>
    public async Task<DealReading> GetDealWithMembersAsync(Actor actor, string dealId)
    {
        var deal = await GetDealAsync(actor, dealId);
        var ids = new[] { deal.ProviderId, deal.ConsumerId }
            .Concat(deal.Cover.SelectMany(h => h.ViaWardId is { } ward ? new[] { h.MemberId, ward } : [h.MemberId]))
            .Distinct(StringComparer.Ordinal);
        var members = await Task.WhenAll(ids.Select(async id => await ReadMemberOrNullAsync(id) is { } m
            ? new DealParticipant(m.Id, m.Profile.Name, m.Status)
            : new DealParticipant(id, id, null)));
        return new DealReading(deal, members.ToDictionary(m => m.Id, StringComparer.Ordinal));
    }

    public Task<DealView> AcceptDealAsync(Actor actor, string dealId) => ActOnDealAsync(actor, dealId, (d, m) => d.Accept(m));

    public Task<DealView> ConfirmDealAsync(Actor actor, string dealId) => ActOnDealAsync(actor, dealId, (d, m) => d.Confirm(m));

    public Task<DealView> CancelDealAsync(Actor actor, string dealId) => ActOnDealAsync(actor, dealId, (d, m) => d.Cancel(m));

    private async Task<DealView> ActOnDealAsync(Actor actor, string dealId, Func<IDealGrain, string, Task<DealView>> act)
    {
        Ids.Validate(dealId, "deal");
        actor.MustBeMember();
        var deal = await Deal(dealId).Get();
        if (actor.MemberId != deal.ProviderId && actor.MemberId != deal.ConsumerId)
            throw GuaranteeException.Forbidden("not-a-party", $"You ({actor.MemberId}) are not a party to deal {dealId}.");
        return await act(Deal(dealId), actor.MemberId!);
    }

    /// <summary>The member's deals, most recent first (deals that cannot be read are left out).</summary>
    public async Task<IReadOnlyList<DealView>> MemberDealsAsync(Actor actor, string memberId)
    {
        actor.MustBe(memberId);
        var me = await Member(memberId).Get();
        var deals = await Task.WhenAll(me.Deals.Select(async id =>
        {
            try { return await Deal(id).Get(); }
            catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound) { return null; }
        }));
        return deals.OfType<DealView>().ToList();
    }

    // ---- Claims and arbitration -----------------------------------------------------------------

    public async Task<DealView> FileClaimAsync(Actor actor, string dealId, string? operationId, decimal? damage, string? reason)
    {
        Ids.Validate(dealId, "deal");
        var me = actor.MustBeMember();
        Ids.ValidateOperationId(operationId);
        Money.Validate(Required(damage, "damage"), "damage");
        Ids.ValidateText(reason, "reason", ProposeDeal.MaxDescriptionLength, required: true);
        var current = await MustBePartyAsync(me, dealId);
        // The same operation id with other terms is not a repeat (the deal would answer claim-exists).
        if (current.Claim is { } first && first.OperationId == operationId && first.ClaimantId == me
            && (first.Damage != damage || first.Reason != reason!.Trim()))
            throw OperationIdReused(operationId!, $"the claim of {first.ClaimantId} on deal {dealId} ({first.Damage:0.00}: {first.Reason})");
        var deal = await Deal(dealId).FileClaim(me, operationId!, damage!.Value, reason!);
        if (deal.Claim is { } claim && (claim.OperationId != operationId || claim.Damage != damage))
            throw OperationIdReused(operationId!, $"the claim of {claim.ClaimantId} on deal {dealId}");
        return deal;
    }

    public async Task<DealView> AdmitClaimAsync(Actor actor, string dealId)
    {
        Ids.Validate(dealId, "deal");
        var me = actor.MustBeMember();
        await MustBePartyAsync(me, dealId);
        return await Deal(dealId).AdmitClaim(me);
    }

    public async Task<CaseView> DisputeClaimAsync(Actor actor, string dealId)
    {
        Ids.Validate(dealId, "deal");
        var me = actor.MustBeMember();
        var deal = await MustBePartyAsync(me, dealId);
        if (deal.Claim is null) throw GuaranteeException.Conflict("no-claim", $"Deal {dealId} has no claim to dispute.");
        return await grains.GetGrain<IArbitrationCaseGrain>(CaseIds.For(dealId)).Open(dealId, me);
    }

    public async Task<CaseView> GetCaseAsync(Actor actor, string caseId)
    {
        Ids.Validate(caseId, "case");
        var view = await Case(caseId).Get();
        if (actor.IsOperator || actor.MemberId == view.ProviderId || actor.MemberId == view.ConsumerId
            || view.Levels.Any(l => l.Panel.Contains(actor.MemberId ?? "")))
            return view;
        throw GuaranteeException.Forbidden("not-in-case", "Only the parties, the judges of the case and operators can see it.");
    }

    public async Task<CaseView> VoteAsync(Actor actor, string caseId, string? fault, decimal? providerShare, decimal? compensation)
    {
        Ids.Validate(caseId, "case");
        var me = actor.MustBeMember();
        var parsed = ParseFault(fault);
        var amount = Required(compensation, "compensation");
        return await Case(caseId).Vote(me, parsed, providerShare, amount);
    }

    public async Task<CaseView> AppealAsync(Actor actor, string caseId)
    {
        Ids.Validate(caseId, "case");
        return await Case(caseId).Appeal(actor.MustBeMember());
    }

    public async Task<CaseView> AcceptVerdictAsync(Actor actor, string caseId)
    {
        Ids.Validate(caseId, "case");
        return await Case(caseId).Accept(actor.MustBeMember());
    }

    /// <summary>The cases the member is a party to or sits in, most recent first (as the member).</summary>
    public async Task<IReadOnlyList<CaseView>> MemberCasesAsync(Actor actor, string memberId)
    {
        actor.MustBe(memberId);
        var me = await Member(memberId).Get();
        return await ReadListedAsync(me.Cases, id => Case(id).Get());
    }

    private IArbitrationCaseGrain Case(string id) => grains.GetGrain<IArbitrationCaseGrain>(id);

    /// <summary>Reads the grains a member lists (its cases, its cycles) in parallel, in the list's order, skipping any
    /// that no longer exists.</summary>
    private static async Task<IReadOnlyList<T>> ReadListedAsync<T>(IReadOnlyList<string>? ids, Func<string, Task<T>> read) where T : class
    {
        var views = await Task.WhenAll((ids ?? []).Select(async id =>
        {
            try { return await read(id); }
            catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound) { return null; }
        }));
        return views.OfType<T>().ToList();
    }

    private async Task<DealView> MustBePartyAsync(string memberId, string dealId)
    {
        var deal = await Deal(dealId).Get();
        if (memberId != deal.ProviderId && memberId != deal.ConsumerId)
            throw GuaranteeException.Forbidden("not-a-party", $"You ({memberId}) are not a party to deal {dealId}.");
        return deal;
    }

    public static Fault ParseFault(string? fault) => fault?.Trim().ToLowerInvariant() switch
    {
        "provider" => Fault.Provider,
        "consumer" => Fault.Consumer,
        "both" => Fault.Both,
        "neither" => Fault.Neither,
        null or "" => throw GuaranteeException.Invalid("missing-field", "The fault is required: provider, consumer, both or neither."),
        _ => throw GuaranteeException.Invalid("invalid-fault", $"The fault must be provider, consumer, both or neither (got '{fault}')."),
    };

    /// <summary>The member repays (part of) its debt to a member that paid for it (rule 16). Idempotent by operation id.</summary>
    public async Task<RepaymentView> RepayDebtAsync(Actor actor, string memberId, string toMemberId, string? operationId, decimal? amount)
    {
        actor.MustBe(memberId);
        Ids.Validate(toMemberId, "creditor");
        Ids.ValidateOperationId(operationId);
        Money.Validate(Required(amount, "amount"));
        return await grains.GetGrain<IDebtRepaymentGrain>(RepaymentIds.For(memberId, operationId!)).Execute(memberId, toMemberId, amount!.Value);
    }

    // ---- Synergy cycles ------------------------------------------------------------------------

    public async Task<CycleView> DesignCycleAsync(Actor actor, string? operationId, string? communityId, string? product, decimal? productValue,
        decimal? stageDiscount, IReadOnlyList<StageSpec?>? stages)
    {
        var organizer = actor.MustBeMember();
        operationId ??= Guid.NewGuid().ToString("N");
        Ids.ValidateOperationId(operationId);
        Ids.Validate(communityId, "community");
        if (communityId != actor.CommunityId)
            throw GuaranteeException.Forbidden("other-community", $"You can organize cycles only in your own community ({actor.CommunityId}).");
        Money.Validate(Required(productValue, "productValue"), "productValue");
        if (stages is null || stages.Count == 0) throw GuaranteeException.Invalid("no-stages", "A cycle needs at least one stage.");
        if (stages.Any(s => s is null)) throw GuaranteeException.Invalid("missing-field", "Each stage needs a role, a memberId and a marketPrice.");
        var command = new DesignCycle(operationId, organizer, communityId!, product ?? "", productValue!.Value, stageDiscount, stages!.Select(s => s!).ToList());
        return await Cycle(CycleIds.For(organizer, operationId)).Design(command);
    }

    public async Task<CycleView> GetCycleAsync(Actor actor, string cycleId)
    {
        Ids.Validate(cycleId, "cycle");
        var cycle = await Cycle(cycleId).Get();
        MustSeeCommunity(actor, cycle.CommunityId);
        return cycle;
    }

    public async Task<IReadOnlyList<CycleEvent>> CycleEventsAsync(Actor actor, string cycleId, long after, int limit)
    {
        await GetCycleAsync(actor, cycleId);
        if (after < 0) throw GuaranteeException.Invalid("invalid-parameter", "after must be 0 or more.");
        if (limit is < 1 or > 1000) throw GuaranteeException.Invalid("invalid-parameter", "limit must be between 1 and 1000.");
        return await Cycle(cycleId).GetEvents(after, limit);
    }

    public async Task<CycleView> JoinStageAsync(Actor actor, string cycleId, int index)
    {
        Ids.Validate(cycleId, "cycle");
        return await Cycle(cycleId).Join(index, actor.MustBeMember());
    }

    public async Task<CycleView> StartCycleAsync(Actor actor, string cycleId)
    {
        Ids.Validate(cycleId, "cycle");
        return await Cycle(cycleId).Start(actor.MustBeMember());
    }

    public async Task<CycleView> ReassignStageAsync(Actor actor, string cycleId, int index, string? memberId)
    {
        Ids.Validate(cycleId, "cycle");
        var organizer = actor.MustBeMember();
        Ids.Validate(memberId, "member");
        return await Cycle(cycleId).Reassign(organizer, index, memberId!);
    }

    /// <summary>The cycles the member organizes or has (or had) a stage in, most recent first (as the member).</summary>
    public async Task<IReadOnlyList<CycleView>> MemberCyclesAsync(Actor actor, string memberId)
    {
        actor.MustBe(memberId);
        var me = await Member(memberId).Get();
        return await ReadListedAsync(me.Cycles, id => Cycle(id).Get());
    }

    private ISynergyCycleGrain Cycle(string id) => grains.GetGrain<ISynergyCycleGrain>(id);

    // ---- Health -------------------------------------------------------------------------------

    public Task<string> ProbeAsync(string probeKey) => grains.GetGrain<IHealthProbeGrain>(probeKey).Check();

    private static GuaranteeException OperationIdReused(string operationId, string firstUse) => GuaranteeException.Conflict("operation-id-reused",
        $"Operation id '{operationId}' was already used for {firstUse}; use a new operation id.");

    private static string ApiWord(GuaranteeState state) => state.ToString().ToLowerInvariant();

    private static decimal Required(decimal? value, string field) =>
        value ?? throw GuaranteeException.Invalid("missing-field", $"The {field} is required.");
}
