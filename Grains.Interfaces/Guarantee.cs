namespace OrleansGuarantee;

/// <summary>
/// The one guarantee that may exist between two members, in either direction (never both: no 2-cycles).
/// Keyed by <see cref="GuaranteeKeys.For"/>. It owns the request/accept/decline/withdraw life cycle
/// and brings both members' copies up to date.
/// </summary>
[Alias("og.IGuaranteeGrain")]
public interface IGuaranteeGrain : IGrainWithStringKey
{
    /// <summary>The ward asks the guarantor to vouch for it.</summary>
    [Alias("Request")]
    Task<GuaranteeRecord> Request(string operationId, string wardId, string guarantorId);

    /// <summary>The guarantor accepts the ward's request, standing behind it up to <paramref name="limit"/>.</summary>
    [Alias("Accept")]
    Task<GuaranteeRecord> Accept(string operationId, string guarantorId, string wardId, decimal limit);

    [Alias("Decline")]
    Task<GuaranteeRecord> Decline(string guarantorId, string wardId);

    /// <summary>Withdraws the guarantee for the future (rule 4). Repeating it changes nothing.</summary>
    [Alias("Withdraw")]
    Task<GuaranteeRecord> Withdraw(string guarantorId, string wardId);

    [Alias("Get"), AlwaysInterleave]
    Task<GuaranteeRecord?> Get();
}

public static class GuaranteeKeys
{
    /// <summary>The key of the guarantee grain between two members, the same whichever is the guarantor.</summary>
    public static string For(string memberA, string memberB) =>
        string.CompareOrdinal(memberA, memberB) <= 0 ? $"{memberA}|{memberB}" : $"{memberB}|{memberA}";
}
