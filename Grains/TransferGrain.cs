using Microsoft.Extensions.Logging;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.TransferGrainState")]
public sealed class TransferGrainState
{
    [Id(0)] public string? FromMemberId { get; set; }
    [Id(1)] public string ToMemberId { get; set; } = "";
    [Id(2)] public decimal Amount { get; set; }
    [Id(3)] public string? FromHoldId { get; set; }
    [Id(4)] public TransferStage Stage { get; set; }
    [Id(5)] public string? RefusedBecause { get; set; }
}

/// <summary>
/// A transfer between two members: the intent is stored, then the payer is debited, then the payee
/// credited, each step idempotent by the transfer id, so a crash between them is finished on recovery
/// and no money is created or destroyed.
/// </summary>
public sealed class TransferGrain(
    [PersistentState("transfer", StorageNames.Store)] IPersistentState<TransferGrainState> state,
    IFaultInjector faults,
    ILogger<TransferGrain> logger) : RecoverableGrain(logger), ITransferGrain
{
    private TransferGrainState S => state.State;
    private string Id => this.GetPrimaryKeyString();

    protected override bool HasPendingSteps => S.FromMemberId is not null && S.Stage is TransferStage.Pending or TransferStage.Debited;

    public async Task<TransferView> Execute(string fromMemberId, string toMemberId, decimal amount, string? fromHoldId)
    {
        Ids.ValidateOperationId(Id);
        Ids.Validate(fromMemberId, "payer");
        Ids.Validate(toMemberId, "payee");
        Money.Validate(amount);
        if (S.FromMemberId is not null)
        {
            if (S.FromMemberId != fromMemberId || S.ToMemberId != toMemberId || S.Amount != amount || S.FromHoldId != fromHoldId)
                throw GuaranteeException.Conflict("operation-id-reused", $"Transfer {Id} was already made with other terms.");
            if (HasPendingSteps) await RunAsync();
            return Finish();
        }
        if (fromMemberId == toMemberId)
            throw GuaranteeException.Invalid("same-party", "A member cannot transfer to itself.");
        var from = await GrainFactory.GetGrain<IMemberGrain>(fromMemberId).Get();
        var to = await GrainFactory.GetGrain<IMemberGrain>(toMemberId).Get();
        if (from.CommunityId != to.CommunityId)
            throw GuaranteeException.Invalid("different-community", "Money moves only between members of one community.");

        S.FromMemberId = fromMemberId;
        S.ToMemberId = toMemberId;
        S.Amount = amount;
        S.FromHoldId = fromHoldId;
        S.Stage = TransferStage.Pending;
        await ArmRecoveryAsync();
        await state.PersistAsync(this);
        await RunAsync();
        return Finish();
    }

    public Task<TransferView?> Get() => Task.FromResult(S.FromMemberId is null ? null : View());

    protected override Task ResumePendingStepsAsync() => RunAsync();

    private async Task RunAsync()
    {
        try
        {
            if (S.Stage == TransferStage.Pending)
            {
                try
                {
                    await GrainFactory.GetGrain<IMemberGrain>(S.FromMemberId!).TransferOut(Id, S.ToMemberId, S.Amount, S.FromHoldId);
                    S.Stage = TransferStage.Debited;
                }
                catch (GuaranteeException refused)
                {
                    S.Stage = TransferStage.Refused;
                    S.RefusedBecause = refused.Message;
                }
                await state.PersistAsync(this);
                faults.At(FaultPoints.TransferDebited, Id);
            }
            if (S.Stage == TransferStage.Debited)
            {
                await GrainFactory.GetGrain<IMemberGrain>(S.ToMemberId).TransferIn(Id, S.FromMemberId!, S.Amount);
                S.Stage = TransferStage.Completed;
                await state.PersistAsync(this);
            }
        }
        catch (Exception ex) when (ex is not GuaranteeException)
        {
            Logger.LogWarning(ex, "Transfer {Transfer} was interrupted at {Stage}; recovery will resume it", Id, S.Stage);
            DeactivateOnIdle();
            throw new GuaranteeException(ErrorKind.Interrupted, "operation-interrupted",
                $"Transfer {Id} was interrupted; it will be completed automatically. Read it again.");
        }
        await DisarmRecoveryAsync();
    }

    private TransferView Finish() => S.Stage == TransferStage.Refused
        ? throw GuaranteeException.Conflict("transfer-refused", $"Transfer {Id} was refused: {S.RefusedBecause}")
        : View();

    private TransferView View() => new(Id, S.FromMemberId!, S.ToMemberId, S.Amount, S.FromHoldId, S.Stage, S.RefusedBecause);
}
