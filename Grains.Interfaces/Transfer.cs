namespace OrleansGuarantee;

[GenerateSerializer]
public enum TransferStage
{
    Pending = 0,
    Debited = 1,
    Completed = 2,
    Refused = 3,
}

[GenerateSerializer, Immutable, Alias("og.TransferView")]
public sealed record TransferView(
    [property: Id(0)] string Id,
    [property: Id(1)] string FromMemberId,
    [property: Id(2)] string ToMemberId,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] string? FromHoldId,
    [property: Id(5)] TransferStage Stage,
    [property: Id(6)] string? RefusedBecause);

/// <summary>
/// Moves money from one member's account to another's (compensation, debt repayment). Keyed by the
/// transfer id; the progress is stored so that a crash between debit and credit is finished on recovery.
/// </summary>
[Alias("og.ITransferGrain")]
public interface ITransferGrain : IGrainWithStringKey
{
    [Alias("Execute")]
    Task<TransferView> Execute(string fromMemberId, string toMemberId, decimal amount, string? fromHoldId);

    [Alias("Get"), AlwaysInterleave]
    Task<TransferView?> Get();
}
