using Microsoft.Extensions.Logging;
using OrleansGuarantee.Domain;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.GuaranteeGrainState")]
public sealed class GuaranteeGrainState
{
    [Id(0)] public GuaranteeRecord? Record { get; set; }
    /// <summary>Operation ids already applied, with the answer they gave.</summary>
    [Id(1)] public Dictionary<string, GuaranteeRecord> Operations { get; set; } = new(StringComparer.Ordinal);
    /// <summary>True until both members hold the current version of the record.</summary>
    [Id(2)] public bool Propagating { get; set; }
}

/// <summary>
/// Owns the guarantee between two members (rules 2-4). Calls go one way only: this grain reads and
/// updates member grains; members never call it, so no call chain can come back here.
/// </summary>
public sealed class GuaranteeGrain(
    [PersistentState("guarantee", StorageNames.Store)] IPersistentState<GuaranteeGrainState> state,
    TimeProvider clock,
    IFaultInjector faults,
    ILogger<GuaranteeGrain> logger) : RecoverableGrain(logger), IGuaranteeGrain
{
    /// <summary>How far up the hierarchy the cycle check looks (far beyond any real hierarchy).</summary>
    public const int MaxAncestorSearch = 100_000;

    private GuaranteeGrainState S => state.State;
    protected override bool HasPendingSteps => S.Propagating;

    public async Task<GuaranteeRecord> Request(string operationId, string wardId, string guarantorId)
    {
        Ids.ValidateOperationId(operationId);
        ValidatePair(wardId, guarantorId);
        if (Repeat(operationId) is { } first) return first;

        if (S.Record is { State: GuaranteeState.Requested or GuaranteeState.Accepted } current)
        {
            if (current.WardId != wardId)
                throw GuaranteeException.Conflict("guarantee-cycle", current.State == GuaranteeState.Accepted
                    ? $"{guarantorId} is guaranteed by {wardId}: no one can guarantee their own guarantor."
                    : $"{guarantorId} has already asked {wardId} for a guarantee: two members cannot guarantee each other.");
            throw GuaranteeException.Conflict(current.State == GuaranteeState.Accepted ? "duplicate-guarantee" : "duplicate-request",
                current.State == GuaranteeState.Accepted
                    ? $"{guarantorId} already guarantees {wardId}."
                    : $"{wardId} has already asked {guarantorId}; wait for the answer.");
        }

        var ward = await Members(wardId).Get();
        if (ward.Status == MemberStatus.Founder)
            throw GuaranteeException.Conflict("founder-needs-no-guarantor", $"{wardId} is a founder: founders need no guarantors.");
        if (ward.Status == MemberStatus.Expelled)
            throw GuaranteeException.Conflict("not-active", $"{wardId} is expelled and cannot ask for guarantees.");
        await CheckGuarantorAsync(guarantorId, ward);

        return await ChangeAsync(operationId, new GuaranteeRecord(guarantorId, wardId, GuaranteeState.Requested, 0, NextVersion, clock.GetUtcNow()));
    }

    public async Task<GuaranteeRecord> Accept(string operationId, string guarantorId, string wardId, decimal limit)
    {
        Ids.ValidateOperationId(operationId);
        ValidatePair(wardId, guarantorId);
        Money.Validate(limit, "limit");
        if (Repeat(operationId) is { } first) return first;
        var current = S.Record;
        if (current is { State: GuaranteeState.Accepted } && current.WardId == wardId)
            throw GuaranteeException.Conflict("duplicate-guarantee", $"{guarantorId} already guarantees {wardId}.");
        if (current is not { State: GuaranteeState.Requested } || current.WardId != wardId)
            throw GuaranteeException.Conflict("no-guarantee-request", $"{wardId} has not asked {guarantorId} for a guarantee.");

        var ward = await Members(wardId).Get();
        if (ward.Status == MemberStatus.Expelled)
            throw GuaranteeException.Conflict("not-active", $"{wardId} is expelled and cannot be guaranteed.");
        await CheckGuarantorAsync(guarantorId, ward);

        return await ChangeAsync(operationId, current with { State = GuaranteeState.Accepted, Limit = limit, Version = NextVersion, At = clock.GetUtcNow() });
    }

    public async Task<GuaranteeRecord> Decline(string guarantorId, string wardId)
    {
        ValidatePair(wardId, guarantorId);
        var current = S.Record;
        if (current is { State: GuaranteeState.Declined } && current.WardId == wardId) return current;
        if (current is not { State: GuaranteeState.Requested } || current.WardId != wardId)
            throw GuaranteeException.Conflict("no-guarantee-request", $"{wardId} has no open request to {guarantorId}.");
        return await ChangeAsync(null, current with { State = GuaranteeState.Declined, Version = NextVersion, At = clock.GetUtcNow() });
    }

    public async Task<GuaranteeRecord> Withdraw(string guarantorId, string wardId)
    {
        ValidatePair(wardId, guarantorId);
        var current = S.Record;
        if (current is { State: GuaranteeState.Withdrawn } && current.WardId == wardId)
        {
            if (S.Propagating) await PropagateAsync();
            return current;
        }
        if (current is not { State: GuaranteeState.Accepted } || current.WardId != wardId)
            throw GuaranteeException.NotFound("guarantee-not-found", $"{guarantorId} does not guarantee {wardId}.");
        return await ChangeAsync(null, current with { State = GuaranteeState.Withdrawn, Version = NextVersion, At = clock.GetUtcNow() });
    }

    public Task<GuaranteeRecord?> Get() => Task.FromResult(S.Record);

    protected override Task ResumePendingStepsAsync() => PropagateAsync();

    private long NextVersion => (S.Record?.Version ?? 0) + 1;

    private void ValidatePair(string wardId, string guarantorId)
    {
        Ids.Validate(wardId, "ward");
        Ids.Validate(guarantorId, "guarantor");
        if (wardId == guarantorId)
            throw GuaranteeException.Invalid("self-guarantee", $"{wardId} cannot guarantee themselves.");
        if (GuaranteeKeys.For(wardId, guarantorId) != this.GetPrimaryKeyString())
            throw new ArgumentException("This guarantee grain is not the one for these two members.");
    }

    private GuaranteeRecord? Repeat(string operationId)
    {
        return S.Operations.GetValueOrDefault(operationId);
    }

    private async Task CheckGuarantorAsync(string guarantorId, MemberView ward)
    {
        var guarantor = await Members(guarantorId).Get();
        if (guarantor.CommunityId != ward.CommunityId)
            throw GuaranteeException.Invalid("different-community", $"{guarantorId} and {ward.Id} are not members of the same community.");
        if (!MemberStatusRules.CanGuarantee(guarantor.Status))
            throw GuaranteeException.Conflict("guarantor-not-eligible",
                $"{guarantorId} cannot guarantee others now ({guarantor.StatusReason}) Only active members and founders can.");
        if (await IsAncestorAsync(ward.Id, guarantorId))
            throw GuaranteeException.Conflict("guarantee-cycle",
                $"{ward.Id} stands (directly or through others) behind {guarantorId}: a member cannot be guaranteed by its own ward.");
    }

    /// <summary>Is <paramref name="candidate"/> among the guarantors, their guarantors and so on, of <paramref name="memberId"/>?</summary>
    private async Task<bool> IsAncestorAsync(string candidate, string memberId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { memberId };
        var frontier = new List<string> { memberId };
        while (frontier.Count > 0 && seen.Count < MaxAncestorSearch)
        {
            var infos = await Task.WhenAll(frontier.Select(id => Members(id).GetCoverInfo([])));
            frontier = [];
            foreach (var guarantor in infos.SelectMany(i => i.Guarantors))
            {
                if (guarantor == candidate) return true;
                if (seen.Add(guarantor)) frontier.Add(guarantor);
            }
        }
        return false;
    }

    private async Task<GuaranteeRecord> ChangeAsync(string? operationId, GuaranteeRecord record)
    {
        S.Record = record;
        if (operationId is not null) S.Operations[operationId] = record;
        S.Propagating = true;
        await ArmRecoveryAsync();
        await state.PersistAsync(this);
        faults.At(FaultPoints.GuaranteeStored, this.GetPrimaryKeyString());
        await PropagateAsync();
        // Accepted, declined or withdrawn, and both members hold it: nothing is left for this activation to do (the
        // members keep their copies; a later withdrawal or a repeated call reads the stored state again), so it
        // is not kept in memory for the collection age. An open request stays active for its answer.
        if (!S.Propagating && record.State != GuaranteeState.Requested) DeactivateOnIdle();
        return record;
    }

    /// <summary>Brings both members' copies to the current version (guarantor first: it stops new holds soonest).</summary>
    private async Task PropagateAsync()
    {
        var record = S.Record!;
        await Members(record.GuarantorId).ApplyGuarantee(record);
        await Members(record.WardId).ApplyGuarantee(record);
        S.Propagating = false;
        await state.PersistAsync(this);
        await DisarmRecoveryAsync();
    }

    private IMemberGrain Members(string id) => GrainFactory.GetGrain<IMemberGrain>(id);
}
