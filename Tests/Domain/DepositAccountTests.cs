using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

public sealed class DepositAccountTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Deposit_and_withdraw_move_the_balance()
    {
        var account = new DepositAccount();
        account.Deposit("d1", 100m, Now);
        var view = account.Withdraw("w1", 30.5m, Now);
        Assert.Equal(69.5m, view.Balance);
        Assert.Equal(100m, view.Deposited);
        Assert.Equal(30.5m, view.Withdrawn);
    }

    [Fact]
    public void A_repeated_operation_id_answers_the_first_result_and_changes_nothing()
    {
        var account = new DepositAccount();
        var first = account.Deposit("d1", 100m, Now);
        account.Deposit("d2", 1m, Now);
        var again = account.Deposit("d1", 100m, Now);
        Assert.Equal(first, again);
        Assert.Equal(101m, account.Balance);
    }

    [Fact]
    public void Reusing_an_operation_id_for_something_else_is_refused()
    {
        var account = new DepositAccount();
        account.Deposit("op", 100m, Now);
        Assert.Equal("operation-id-reused", Assert.Throws<GuaranteeException>(() => account.Deposit("op", 5m, Now)).Code);
        Assert.Equal("operation-id-reused", Assert.Throws<GuaranteeException>(() => account.Withdraw("op", 100m, Now)).Code);
        Assert.Equal(100m, account.Balance);
    }

    [Fact]
    public void Only_free_balance_can_be_withdrawn()
    {
        var account = new DepositAccount();
        account.Deposit("d1", 100m, Now);
        account.Hold(new HoldCommand("h1", "deal", 80m, "me", null), null, Now);
        var ex = Assert.Throws<GuaranteeException>(() => account.Withdraw("w1", 20.01m, Now));
        Assert.Equal("insufficient-funds", ex.Code);
        Assert.Contains("20.00", ex.Message);
        Assert.Equal(100m, account.Balance);
        account.Withdraw("w2", 20m, Now);
        Assert.Equal(0m, account.Free);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("0.001")]
    public void Bad_amounts_change_nothing(string amount)
    {
        var account = new DepositAccount();
        var value = decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("invalid-amount", Assert.Throws<GuaranteeException>(() => account.Deposit("d", value, Now)).Code);
        Assert.Equal(0, account.Version);
    }

    [Fact]
    public void Holds_are_idempotent_and_released_once()
    {
        var account = new DepositAccount();
        account.Deposit("d1", 100m, Now);
        var hold = new HoldCommand("h1", "deal", 40m, "me", null);
        account.Hold(hold, null, Now);
        account.Hold(hold, null, Now);
        Assert.Equal(40m, account.Held);
        account.Release("h1", Now);
        account.Release("h1", Now);
        Assert.Equal(0m, account.Held);
        Assert.Equal(100m, account.Balance);
    }

    [Fact]
    public void A_hold_released_or_voided_cannot_be_placed_later()
    {
        var account = new DepositAccount();
        account.Deposit("d1", 100m, Now);
        account.Release("late", Now); // the deal rolled back before the hold arrived
        Assert.Equal("hold-closed", Assert.Throws<GuaranteeException>(() => account.Hold(new HoldCommand("late", "deal", 10m, "me", null), null, Now)).Code);
        Assert.Equal(0m, account.Held);
    }

    [Fact]
    public void A_guarantor_holds_within_its_limit_for_the_ward()
    {
        var account = new DepositAccount();
        account.Deposit("d1", 1000m, Now);
        account.Hold(new HoldCommand("h1", "deal1", 60m, "ward", "ward"), 100m, Now);
        var ex = Assert.Throws<GuaranteeException>(() => account.Hold(new HoldCommand("h2", "deal2", 40.01m, "ward", "ward"), 100m, Now));
        Assert.Equal("guarantee-limit-exceeded", ex.Code);
        Assert.Equal("guarantee-withdrawn",
            Assert.Throws<GuaranteeException>(() => account.Hold(new HoldCommand("h3", "deal2", 1m, "ward", "ward"), null, Now)).Code);
        account.Hold(new HoldCommand("h4", "deal2", 40m, "ward", "ward"), 100m, Now);
        Assert.Equal(100m, account.HeldForWard("ward"));
    }

    [Fact]
    public void A_transfer_out_of_a_hold_takes_the_held_money()
    {
        var payer = new DepositAccount();
        var payee = new DepositAccount();
        payer.Deposit("d1", 100m, Now);
        payer.Hold(new HoldCommand("h1", "deal", 50m, "me", null), null, Now);
        payer.TransferOut("t1", "payee", 30m, "h1", Now);
        payee.TransferIn("t1", "payer", 30m, Now);
        payer.TransferOut("t1", "payee", 30m, "h1", Now); // repeat: no effect
        Assert.Equal(70m, payer.Balance);
        Assert.Equal(20m, payer.Held);
        Assert.Equal(30m, payee.Balance);
        Assert.Equal(payer.Deposited + payee.Deposited - payer.Withdrawn - payee.Withdrawn, payer.Balance + payee.Balance);
    }

    [Fact]
    public void A_transfer_cannot_take_held_money_without_naming_the_hold()
    {
        var payer = new DepositAccount();
        payer.Deposit("d1", 100m, Now);
        payer.Hold(new HoldCommand("h1", "deal", 90m, "me", null), null, Now);
        Assert.Equal("insufficient-funds", Assert.Throws<GuaranteeException>(() => payer.TransferOut("t1", "x", 20m, null, Now)).Code);
        Assert.Equal("insufficient-funds", Assert.Throws<GuaranteeException>(() => payer.TransferOut("t2", "x", 95m, "h1", Now)).Code);
        Assert.Equal(100m, payer.Balance);
    }

    [Fact]
    public void Recent_entries_are_bounded()
    {
        var account = new DepositAccount();
        for (var i = 0; i < DepositAccount.RecentEntryCount + 10; i++) account.Deposit($"d{i}", 1m, Now);
        Assert.Equal(DepositAccount.RecentEntryCount, account.RecentEntries.Count);
        Assert.Equal(DepositAccount.RecentEntryCount + 10, account.Balance);
    }
}
