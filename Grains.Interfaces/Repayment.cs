using System.Security.Cryptography;
using System.Text;

namespace OrleansGuarantee;

[GenerateSerializer, Immutable, Alias("og.RepaymentView")]
public sealed record RepaymentView(
    [property: Id(0)] string Id,
    [property: Id(1)] string FromMemberId,
    [property: Id(2)] string ToMemberId,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] bool Completed);

/// <summary>
/// A member repays (part of) its debt to a guarantor that paid for it (rule 16): the money moves from the
/// member's free balance to the guarantor, then the debt is reduced, each step idempotent and resumed after
/// a crash. Keyed by <see cref="RepaymentIds.For"/>.
/// </summary>
[Alias("og.IDebtRepaymentGrain")]
public interface IDebtRepaymentGrain : IGrainWithStringKey
{
    [Alias("Execute")]
    Task<RepaymentView> Execute(string fromMemberId, string toMemberId, decimal amount);

    [Alias("Get"), AlwaysInterleave]
    Task<RepaymentView?> Get();
}

public static class RepaymentIds
{
    public static string For(string memberId, string operationId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"repay\n{memberId}\n{operationId}"));
        return "rp-" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }
}
