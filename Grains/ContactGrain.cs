using Microsoft.Extensions.Logging;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.ContactGrainState")]
public sealed class ContactGrainState
{
    [Id(0)] public ContactRecord? Record { get; set; }
    /// <summary>True until both members hold the current version of the record.</summary>
    [Id(1)] public bool Propagating { get; set; }
}

/// <summary>
/// The contact between two members (rule 21). Like a guarantee, it is owned here and copied to both
/// members; members never call it, so no call chain comes back.
/// </summary>
public sealed class ContactGrain(
    [PersistentState("contact", StorageNames.Store)] IPersistentState<ContactGrainState> state,
    TimeProvider clock,
    ILogger<ContactGrain> logger) : RecoverableGrain(logger), IContactGrain
{
    private ContactGrainState S => state.State;
    protected override bool HasPendingSteps => S.Propagating;

    public async Task<ContactRecord> Ask(string memberId, string otherId)
    {
        Ids.Validate(memberId, "member");
        Ids.Validate(otherId, "contact's member");
        if (memberId == otherId)
            throw GuaranteeException.Invalid("self-contact", $"{memberId} cannot be their own contact.");
        if (GuaranteeKeys.For(memberId, otherId) != this.GetPrimaryKeyString())
            throw new ArgumentException("This contact grain is not the one for these two members.");

        if (S.Record is { } known && known.AskedBy(memberId))
        {
            if (S.Propagating) await PropagateAsync();
            return known;
        }

        var me = await GrainFactory.GetGrain<IMemberGrain>(memberId).Get();
        var other = await GrainFactory.GetGrain<IMemberGrain>(otherId).Get();
        if (me.CommunityId != other.CommunityId)
            throw GuaranteeException.Invalid("different-community", $"{memberId} and {otherId} are not members of the same community.");
        if (me.Status == MemberStatus.Expelled || other.Status == MemberStatus.Expelled)
            throw GuaranteeException.Conflict("not-active", "Expelled members cannot make contacts.");

        var (a, b) = string.CompareOrdinal(memberId, otherId) < 0 ? (memberId, otherId) : (otherId, memberId);
        var record = S.Record ?? new ContactRecord(a, b, false, false, 0, clock.GetUtcNow());
        record = record with
        {
            AskedByA = record.AskedByA || memberId == a,
            AskedByB = record.AskedByB || memberId == b,
            Version = record.Version + 1,
            At = clock.GetUtcNow(),
        };
        S.Record = record;
        S.Propagating = true;
        await ArmRecoveryAsync();
        await state.PersistAsync(this);
        await PropagateAsync();
        return record;
    }

    public Task<ContactRecord?> Get() => Task.FromResult(S.Record);

    protected override Task ResumePendingStepsAsync() => PropagateAsync();

    private async Task PropagateAsync()
    {
        var record = S.Record!;
        await Task.WhenAll(
            GrainFactory.GetGrain<IMemberGrain>(record.MemberA).ApplyContact(record),
            GrainFactory.GetGrain<IMemberGrain>(record.MemberB).ApplyContact(record));
        S.Propagating = false;
        await state.PersistAsync(this);
        await DisarmRecoveryAsync();
    }
}
