namespace OrleansGuarantee;

/// <summary>A contact between two members (rule 21): it exists once both have asked for it.</summary>
[GenerateSerializer, Immutable, Alias("og.ContactRecord")]
public sealed record ContactRecord(
    [property: Id(0)] string MemberA,
    [property: Id(1)] string MemberB,
    [property: Id(2)] bool AskedByA,
    [property: Id(3)] bool AskedByB,
    [property: Id(4)] long Version,
    [property: Id(5)] DateTimeOffset At)
{
    public bool Established => AskedByA && AskedByB;

    public string Other(string memberId) => memberId == MemberA ? MemberB : MemberA;

    public bool AskedBy(string memberId) => memberId == MemberA ? AskedByA : memberId == MemberB && AskedByB;
}

/// <summary>
/// The one contact between two members, keyed by <see cref="GuaranteeKeys.For"/>. It records who asked
/// and brings both members' copies up to date; members never call it back.
/// </summary>
[Alias("og.IContactGrain")]
public interface IContactGrain : IGrainWithStringKey
{
    /// <summary><paramref name="memberId"/> asks <paramref name="otherId"/> to be a contact. Repeating it changes nothing.</summary>
    [Alias("Ask")]
    Task<ContactRecord> Ask(string memberId, string otherId);

    [Alias("Get"), AlwaysInterleave]
    Task<ContactRecord?> Get();
}
