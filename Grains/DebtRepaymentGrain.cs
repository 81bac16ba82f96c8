using Microsoft.Extensions.Logging;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.DebtRepaymentState")]
public sealed class DebtRepaymentState
{
    [Id(0)] public string? FromMemberId { get; set; }
    [Id(1)] public string ToMemberId { get; set; } = "";
    [Id(2)] public decimal Amount { get; set; }
    [Id(3)] public bool Completed { get; set; }
    /// <summary>Set when the transfer was refused (the money was no longer free): nothing moved, the debt stands.</summary>
    [Id(4)] public string? RefusedBecause { get; set; }
}

/// <summary>
/// A debt repayment: the debt reduced by the debtor (which refuses more than it owes, so two repayments of one debt at
/// once cannot both go through), then a transfer from the debtor's free balance to its guarantor; if the transfer is
/// refused (the money is no longer free), the debt is owed again. The intent is stored first; every step is idempotent
/// (by the repayment id, the transfer id and the undo id) and resumed on activation or by the recovery reminder.
/// Calls go repayment → transfer/members only.
/// </summary>
public sealed class DebtRepaymentGrain(
    [PersistentState("repayment", StorageNames.Store)] IPersistentState<DebtRepaymentState> state,
    IFaultInjector faults,
    ILogger<DebtRepaymentGrain> logger) : RecoverableGrain(logger), IDebtRepaymentGrain
{
    private DebtRepaymentState S => state.State;
    private string Id => this.GetPrimaryKeyString();

    protected override bool HasPendingSteps => S.FromMemberId is not null && !S.Completed;

    public async Task<RepaymentView> Execute(string fromMemberId, string toMemberId, decimal amount)
    {
        Ids.Validate(fromMemberId, "member");
        Ids.Validate(toMemberId, "guarantor");
        Money.Validate(amount);
        if (S.FromMemberId is not null)
        {
            if (S.FromMemberId != fromMemberId || S.ToMemberId != toMemberId || S.Amount != amount)
                throw GuaranteeException.Conflict("operation-id-reused", $"Repayment {Id} was already made with other terms; use a new operation id.");
            if (!S.Completed) await RunAsync();
            return Finish();
        }
        var debtor = await GrainFactory.GetGrain<IMemberGrain>(fromMemberId).Get();
        var owed = debtor.Debts.FirstOrDefault(d => d.ToMemberId == toMemberId)?.Amount ?? 0;
        if (owed <= 0)
            throw GuaranteeException.Conflict("no-debt", $"{fromMemberId} owes nothing to {toMemberId}.");
        if (amount > owed)
            throw GuaranteeException.Invalid("above-debt", $"{fromMemberId} owes {toMemberId} {owed:0.00}; a repayment of {amount:0.00} is more than that.");
        if (amount > debtor.Deposit.Free)
            throw GuaranteeException.Conflict("insufficient-funds", $"Only {debtor.Deposit.Free:0.00} of {fromMemberId}'s deposit is free; deposit more first.");

        S.FromMemberId = fromMemberId;
        S.ToMemberId = toMemberId;
        S.Amount = amount;
        await ArmRecoveryAsync();
        await state.PersistAsync(this);
        await RunAsync();
        return Finish();
    }

    public Task<RepaymentView?> Get() => Task.FromResult(S.FromMemberId is null ? null : View());

    protected override Task ResumePendingStepsAsync() => RunAsync();

    private async Task RunAsync()
    {
        var debtor = GrainFactory.GetGrain<IMemberGrain>(S.FromMemberId!);
        try
        {
            await debtor.ReduceDebt(Id, S.ToMemberId, S.Amount);
            faults.At(FaultPoints.RepaymentDebtReduced, Id);
            try
            {
                await GrainFactory.GetGrain<ITransferGrain>($"{Id}:t").Execute(S.FromMemberId!, S.ToMemberId, S.Amount, null);
            }
            catch (GuaranteeException ex) when (ex.Code == "transfer-refused")
            {
                // No money moved: what was taken off the debt is owed again.
                await debtor.AddDebt($"{Id}:undo", S.ToMemberId, S.Amount);
                S.RefusedBecause = ex.Message;
            }
        }
        catch (GuaranteeException ex) when (ex.Code == "above-debt")
        {
            // The debt shrank meanwhile (another repayment took it): nothing moved.
            S.RefusedBecause = ex.Message;
        }
        S.Completed = true;
        await state.PersistAsync(this);
        await DisarmRecoveryAsync();
    }

    private RepaymentView Finish() => S.RefusedBecause is { } why
        ? throw GuaranteeException.Conflict("repayment-refused", $"Repayment {Id} was refused and nothing moved: {why}")
        : View();

    private RepaymentView View() => new(Id, S.FromMemberId!, S.ToMemberId, S.Amount, S.Completed);
}
