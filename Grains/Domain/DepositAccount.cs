namespace OrleansGuarantee.Domain;

[GenerateSerializer, Alias("og.HoldRecord")]
public sealed class HoldRecord
{
    [Id(0)] public string DealId { get; set; } = "";
    [Id(1)] public decimal Amount { get; set; }
    [Id(2)] public string ForPartyId { get; set; } = "";
    [Id(3)] public string? ViaWardId { get; set; }
    [Id(4)] public DateTimeOffset At { get; set; }
}

/// <summary>What an operation id did the first time, so a repeat can answer the same and do nothing.</summary>
[GenerateSerializer, Alias("og.OperationRecord")]
public sealed class OperationRecord
{
    [Id(0)] public string Kind { get; set; } = "";
    [Id(1)] public decimal Amount { get; set; }
    [Id(2)] public string? Reference { get; set; }
    [Id(3)] public DateTimeOffset At { get; set; }
    [Id(4)] public AccountView Result { get; set; } = null!;
}

/// <summary>
/// A member's deposit account (rules 6-8): a ledger of balance, of which held. Money moves only as
/// entries (deposit, withdraw, hold, release, transfer out, transfer in), each with an operation id;
/// repeating an operation id answers the first result and changes nothing. Plain C#: the member grain
/// validates, calls one method, then persists.
/// </summary>
[GenerateSerializer, Alias("og.DepositAccount")]
public sealed class DepositAccount
{
    /// <summary>How many recent entries are kept for display (the full history is the journal's).</summary>
    public const int RecentEntryCount = 50;
    /// <summary>How many operation ids and closed hold ids are remembered for idempotency.</summary>
    public const int RememberedOperations = 1000;

    [Id(0)] public decimal Balance { get; set; }
    [Id(1)] public decimal Deposited { get; set; }
    [Id(2)] public decimal Withdrawn { get; set; }
    [Id(3)] public decimal TransferredIn { get; set; }
    [Id(4)] public decimal TransferredOut { get; set; }
    // The three dictionaries below are null until their first entry: most members never hold, and an empty
    // dictionary per member is memory for nothing (states stored with them empty read back as empty; both mean none).
    /// <summary>Holds in place, by hold id (null when none was ever placed).</summary>
    [Id(5)] public Dictionary<string, HoldRecord>? Holds { get; set; }
    /// <summary>Hold ids released or voided, with when: a late Hold with one of them is refused (null when none).</summary>
    [Id(6)] public Dictionary<string, DateTimeOffset>? ClosedHolds { get; set; }
    /// <summary>Operation ids remembered for idempotency (null when none).</summary>
    [Id(7)] public Dictionary<string, OperationRecord>? Operations { get; set; }
    [Id(8)] public List<LedgerEntry> RecentEntries { get; set; } = [];
    /// <summary>Counts changes, so a caller can tell whether a command did anything (a repeat does not).</summary>
    [Id(9)] public long Version { get; set; }

    public decimal Held => Holds?.Values.Sum(h => h.Amount) ?? 0m;
    public decimal Free => Balance - Held;

    public AccountView View() => new(Balance, Held, Deposited, Withdrawn, TransferredIn, TransferredOut);

    /// <summary>The sum of this member's holds that count against its limit for <paramref name="wardId"/>.</summary>
    public decimal HeldForWard(string wardId) =>
        Holds?.Values.Where(h => h.ViaWardId == wardId).Sum(h => h.Amount) ?? 0m;

    public AccountView Deposit(string operationId, decimal amount, DateTimeOffset now)
    {
        Ids.ValidateOperationId(operationId);
        Money.Validate(amount);
        if (Repeat(operationId, "deposit", amount, null) is { } first) return first;
        if (Balance + amount > Money.Maximum * 1000)
            throw GuaranteeException.Invalid("invalid-amount", "This deposit would take the balance beyond what the ledger can hold.");
        Balance += amount;
        Deposited += amount;
        return Record(operationId, "deposit", amount, null, now);
    }

    public AccountView Withdraw(string operationId, decimal amount, DateTimeOffset now)
    {
        Ids.ValidateOperationId(operationId);
        Money.Validate(amount);
        if (Repeat(operationId, "withdraw", amount, null) is { } first) return first;
        if (amount > Free)
            throw GuaranteeException.Conflict("insufficient-funds",
                $"Cannot withdraw {amount:0.00}: only {Free:0.00} of the balance {Balance:0.00} is free ({Held:0.00} is held as cover).");
        Balance -= amount;
        Withdrawn += amount;
        return Record(operationId, "withdraw", amount, null, now);
    }

    /// <summary>Places a hold. <paramref name="wardLimit"/> is the guarantee limit when holding as a guarantor.</summary>
    public AccountView Hold(HoldCommand command, decimal? wardLimit, DateTimeOffset now)
    {
        Ids.ValidateOperationId(command.HoldId);
        Money.Validate(command.Amount);
        if (Holds is not null && Holds.TryGetValue(command.HoldId, out var existing))
        {
            if (existing.Amount != command.Amount || existing.DealId != command.DealId)
                throw GuaranteeException.Conflict("operation-id-reused", $"Hold {command.HoldId} already exists with other terms.");
            return View();
        }
        if (ClosedHolds is not null && ClosedHolds.ContainsKey(command.HoldId))
            throw GuaranteeException.Conflict("hold-closed", $"Hold {command.HoldId} was already released or voided; it cannot be placed again.");
        if (command.Amount > Free)
            throw GuaranteeException.Conflict("insufficient-funds",
                $"Cannot hold {command.Amount:0.00}: only {Free:0.00} of the deposit is free.");
        if (command.ViaWardId is { } ward)
        {
            if (wardLimit is not { } limit)
                throw GuaranteeException.Conflict("guarantee-withdrawn", $"There is no standing guarantee for {ward}; it covers no new deal.");
            var used = HeldForWard(ward);
            if (used + command.Amount > limit)
                throw GuaranteeException.Conflict("guarantee-limit-exceeded",
                    $"Holding {command.Amount:0.00} for {ward} would exceed the guarantee limit {limit:0.00} ({used:0.00} already held).");
        }
        (Holds ??= new(StringComparer.Ordinal))[command.HoldId] = new HoldRecord
        {
            DealId = command.DealId, Amount = command.Amount, ForPartyId = command.ForPartyId,
            ViaWardId = command.ViaWardId, At = now,
        };
        Entry(command.HoldId, "hold", command.Amount, command.DealId, now);
        return View();
    }

    public AccountView Release(string holdId, DateTimeOffset now)
    {
        if (Holds is not null && Holds.Remove(holdId, out var hold))
        {
            (ClosedHolds ??= new(StringComparer.Ordinal))[holdId] = now;
            Entry(holdId, "release", hold.Amount, hold.DealId, now);
            Trim();
        }
        else if (ClosedHolds is null || !ClosedHolds.ContainsKey(holdId))
        {
            (ClosedHolds ??= new(StringComparer.Ordinal))[holdId] = now; // voided: a Hold still in flight for this id will be refused
            Version++;
            Trim();
        }
        return View();
    }

    /// <summary>Takes money out for a transfer, from a hold of this member when <paramref name="fromHoldId"/> is set.</summary>
    public AccountView TransferOut(string transferId, string toMemberId, decimal amount, string? fromHoldId, DateTimeOffset now)
    {
        Ids.ValidateOperationId(transferId);
        Money.Validate(amount);
        if (Repeat(transferId, "transfer-out", amount, toMemberId) is { } first) return first;
        if (fromHoldId is not null)
        {
            if (Holds is null || !Holds.TryGetValue(fromHoldId, out var hold))
                throw GuaranteeException.Conflict("hold-not-found", $"Hold {fromHoldId} is not held; nothing can be paid from it.");
            if (amount > hold.Amount)
                throw GuaranteeException.Conflict("insufficient-funds", $"Hold {fromHoldId} has only {hold.Amount:0.00}; cannot pay {amount:0.00} from it.");
            hold.Amount -= amount;
            if (hold.Amount == 0)
            {
                Holds.Remove(fromHoldId);
                (ClosedHolds ??= new(StringComparer.Ordinal))[fromHoldId] = now;
            }
        }
        else if (amount > Free)
        {
            throw GuaranteeException.Conflict("insufficient-funds", $"Cannot pay {amount:0.00}: only {Free:0.00} is free.");
        }
        Balance -= amount;
        TransferredOut += amount;
        return Record(transferId, "transfer-out", amount, toMemberId, now);
    }

    public AccountView TransferIn(string transferId, string fromMemberId, decimal amount, DateTimeOffset now)
    {
        Ids.ValidateOperationId(transferId);
        Money.Validate(amount);
        if (Repeat(transferId, "transfer-in", amount, fromMemberId) is { } first) return first;
        Balance += amount;
        TransferredIn += amount;
        return Record(transferId, "transfer-in", amount, fromMemberId, now);
    }

    private AccountView? Repeat(string operationId, string kind, decimal amount, string? reference)
    {
        if (Operations is null || !Operations.TryGetValue(operationId, out var first)) return null;
        if (first.Kind != kind || first.Amount != amount || first.Reference != reference)
            throw GuaranteeException.Conflict("operation-id-reused",
                $"Operation id '{operationId}' was already used for a {first.Kind} of {first.Amount:0.00}; use a new operation id.");
        return first.Result;
    }

    private AccountView Record(string operationId, string kind, decimal amount, string? reference, DateTimeOffset now)
    {
        var result = View();
        (Operations ??= new(StringComparer.Ordinal))[operationId] = new OperationRecord { Kind = kind, Amount = amount, Reference = reference, At = now, Result = result };
        Entry(operationId, kind, amount, reference, now);
        Trim();
        return result;
    }

    private void Entry(string operationId, string kind, decimal amount, string? reference, DateTimeOffset now)
    {
        Version++;
        RecentEntries.Add(new LedgerEntry(operationId, kind, amount, Balance, Held, now, reference));
        if (RecentEntries.Count > RecentEntryCount) RecentEntries.RemoveRange(0, RecentEntries.Count - RecentEntryCount);
    }

    /// <summary>Forgets the oldest operation ids and closed hold ids beyond the remembered number.</summary>
    private void Trim()
    {
        if (Operations is { Count: > RememberedOperations })
            foreach (var key in Operations.OrderBy(o => o.Value.At).Take(Operations.Count - RememberedOperations).Select(o => o.Key).ToList())
                Operations.Remove(key);
        if (ClosedHolds is { Count: > RememberedOperations })
            foreach (var key in ClosedHolds.OrderBy(o => o.Value).Take(ClosedHolds.Count - RememberedOperations).Select(o => o.Key).ToList())
                ClosedHolds.Remove(key);
    }
}
