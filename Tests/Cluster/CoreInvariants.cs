using System.Text.Json;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>One community read at rest: every member, deal, case and cycle, the journal's entries and their verification.</summary>
public sealed record CoreSnapshot(
    IReadOnlyDictionary<string, MemberView> Members,
    IReadOnlyDictionary<string, DealView> Deals,
    IReadOnlyDictionary<string, CaseView> Cases,
    IReadOnlyDictionary<string, CycleView> Cycles,
    IReadOnlyList<JournalEntry> Journal,
    IReadOnlyList<(int Chain, JournalVerification Result)> Verifications,
    DirectoryTotals Totals);

/// <summary>What the test itself knows went through: the money deposited and withdrawn, and the debt repayments made.</summary>
public sealed record CoreExpectations(
    decimal Deposited,
    decimal Withdrawn,
    IReadOnlyList<(string From, string To, decimal Amount)> Repaid,
    CommunitySettings Settings);

/// <summary>
/// The invariants of the core (rules 7-23), as checks that name what is wrong instead of stopping at the first
/// failure, so that a property test can count and print every violation. The <c>Check…</c> methods of one deal,
/// case or cycle hold for any view a command returns; <see cref="Check"/> holds for a whole community at rest.
/// </summary>
public static class CoreInvariants
{
    private static readonly DealState[] Live = [DealState.Accepted, DealState.Delivered, DealState.Claimed, DealState.Disputed];
    private static readonly DealState[] Transitional = [DealState.Accepting, DealState.Completing, DealState.Settling];
    private static readonly string[] MoneyKinds = ["deposit", "withdraw", "transfer-in", "transfer-out"];
    private static readonly string[] HoldKinds = ["deposit", "withdraw", "transfer-in", "transfer-out", "hold", "release"];

    /// <summary>A deal on its own: its claim, cover, confirmations and settlement agree with its state.</summary>
    public static IEnumerable<string> CheckDeal(DealView d, decimal coverageRatio)
    {
        var who = $"deal {d.Id} ({d.State})";
        var parties = new[] { d.ProviderId, d.ConsumerId };
        if (d.ProviderId == d.ConsumerId) yield return $"{who}: the provider is also the consumer";
        if (d.Cover.Select(h => h.HoldId).Distinct(StringComparer.Ordinal).Count() != d.Cover.Count) yield return $"{who}: a hold id is in its cover twice";
        var accepted = d.State is not (DealState.Proposed or DealState.Accepting or DealState.Cancelled);
        if (accepted)
        {
            var required = Money.Cents(d.Value * coverageRatio);
            foreach (var party in parties)
            {
                var covered = d.Cover.Where(h => h.ForParty == party).Sum(h => h.Amount);
                if (covered != required) yield return $"{who}: {party} is covered by {covered}, not the {required} required";
            }
            if (d.AcceptedAt is null) yield return $"{who}: accepted without an acceptance time";
        }
        else
        {
            if (d.Cover.Count > 0) yield return $"{who}: has a cover of {d.Cover.Count} holds before it was accepted";
            if (d.Claim is not null) yield return $"{who}: has a claim before it was covered";
        }
        if (d.ConfirmedBy.Any(m => !parties.Contains(m))) yield return $"{who}: confirmed by a non-party";
        switch (d.State)
        {
            case DealState.Accepted when d.ConfirmedBy.Contains(d.ProviderId):
                yield return $"{who}: the provider confirmed, so it should be delivered";
                break;
            case DealState.Delivered when !d.ConfirmedBy.Contains(d.ProviderId) || d.ConfirmedBy.Contains(d.ConsumerId):
                yield return $"{who}: delivered needs the provider's confirmation only (confirmed by {string.Join(",", d.ConfirmedBy)})";
                break;
            case DealState.Completing or DealState.Completed when !(d.ConfirmedBy.Contains(d.ProviderId) && d.ConfirmedBy.Contains(d.ConsumerId)):
                yield return $"{who}: completed without both confirmations";
                break;
        }
        if (d.State is DealState.Completed or DealState.Cancelled or DealState.Settled && d.ClosedAt is null)
            yield return $"{who}: closed without a closing time";

        if (d.Claim is { } claim)
        {
            if (!parties.Contains(claim.ClaimantId) || !parties.Contains(claim.RespondentId) || claim.ClaimantId == claim.RespondentId)
                yield return $"{who}: the claim's claimant {claim.ClaimantId} and respondent {claim.RespondentId} are not its two parties";
            if (claim.Damage <= 0 || claim.Damage > d.Value) yield return $"{who}: claims {claim.Damage}, outside (0, {d.Value}]";
            var outcome = d.State switch
            {
                DealState.Claimed => new[] { "open" },
                DealState.Disputed => ["disputed"],
                DealState.Settling or DealState.Settled => ["admitted", "decided"],
                _ => [],
            };
            if (!outcome.Contains(claim.Outcome)) yield return $"{who}: its claim is '{claim.Outcome}'";
        }
        else if (d.State is DealState.Claimed or DealState.Disputed or DealState.Settling or DealState.Settled)
        {
            yield return $"{who}: no claim";
        }
        if (d.State == DealState.Disputed && d.CaseId != CaseIds.For(d.Id)) yield return $"{who}: disputed in case '{d.CaseId}', not {CaseIds.For(d.Id)}";
        if (d.Claim?.Outcome == "admitted" && d.CaseId is not null) yield return $"{who}: an admitted claim with a case";

        if (d.State is DealState.Settling or DealState.Settled)
        {
            if (d.Settlement is not { } s)
            {
                yield return $"{who}: no settlement";
                yield break;
            }
            if (s.Awarded > (d.Claim?.Damage ?? 0)) yield return $"{who}: awards {s.Awarded}, above the claim";
            if (s.Payments.Sum(p => p.Amount) + s.Unpaid != s.Awarded)
                yield return $"{who}: pays {s.Payments.Sum(p => p.Amount)} and leaves {s.Unpaid} unpaid of the {s.Awarded} awarded";
            if (s.Unpaid < 0) yield return $"{who}: negative unpaid {s.Unpaid}";
            if (d.Claim?.Outcome == "admitted" && s.Awarded != d.Claim.Damage) yield return $"{who}: an admitted claim of {d.Claim.Damage} awarded {s.Awarded}";
            if (s.PayerPartyId is { } payer && payer != d.Claim?.RespondentId) yield return $"{who}: the payer {payer} is not the respondent";
            if (s.PayerPartyId is null && (s.Awarded != 0 || s.Payments.Count > 0)) yield return $"{who}: pays without a payer";
            foreach (var p in s.Payments)
            {
                var hold = d.Cover.FirstOrDefault(h => h.HoldId == p.FromHoldId);
                if (hold is null || hold.MemberId != p.FromMemberId || hold.ForParty != s.PayerPartyId)
                    yield return $"{who}: payment {p.TransferId} is not from a hold of the payer's cover";
                else if (s.Payments.Where(x => x.FromHoldId == hold.HoldId).Sum(x => x.Amount) > hold.Amount)
                    yield return $"{who}: pays more from hold {hold.HoldId} than it held";
                if (p.ToMemberId != d.Claim?.ClaimantId) yield return $"{who}: payment {p.TransferId} goes to {p.ToMemberId}, not the claimant";
                if (p.Amount <= 0) yield return $"{who}: payment {p.TransferId} of {p.Amount}";
            }
        }
    }

    /// <summary>A case on its own: levels numbered in order, panels without parties or repeat judges, votes and verdicts within the rules.</summary>
    public static IEnumerable<string> CheckCase(CaseView c, int maxLevels)
    {
        var who = $"case {c.Id} ({c.State})";
        if (c.Levels.Count == 0)
        {
            yield return $"{who}: no level";
            yield break;
        }
        if (c.CurrentLevel != c.Levels.Count) yield return $"{who}: current level {c.CurrentLevel} of {c.Levels.Count}";
        if (c.Levels.Count > maxLevels) yield return $"{who}: {c.Levels.Count} levels, more than the {maxLevels} allowed";
        var parties = new[] { c.ProviderId, c.ConsumerId };
        if (!parties.Contains(c.ClaimantId)) yield return $"{who}: the claimant is not a party";
        if (c.Damage <= 0) yield return $"{who}: damage {c.Damage}";
        var sat = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < c.Levels.Count; i++)
        {
            var l = c.Levels[i];
            var at = $"{who} level {l.Level}";
            var last = i == c.Levels.Count - 1;
            if (l.Level != i + 1) yield return $"{at}: numbered {l.Level}, expected {i + 1}";
            if (l.Panel.Count == 0) yield return $"{at}: an empty panel";
            if (l.IsCouncil && !last) yield return $"{at}: the council sat, yet another level followed";
            if (l.Level >= maxLevels && !l.IsCouncil) yield return $"{at}: the last level is not the council";
            foreach (var judge in l.Panel)
            {
                if (parties.Contains(judge)) yield return $"{at}: party {judge} sits as a judge";
                // The council is every founder who is not a party (rule 14), founders who sat on earlier panels included.
                if (!sat.Add(judge) && !l.IsCouncil) yield return $"{at}: {judge} sits again";
            }
            if (l.Votes.Select(v => v.JudgeId).Distinct(StringComparer.Ordinal).Count() != l.Votes.Count) yield return $"{at}: a judge voted twice";
            foreach (var v in l.Votes)
            {
                if (!l.Panel.Contains(v.JudgeId)) yield return $"{at}: {v.JudgeId} voted without sitting";
                if (v.Compensation < 0 || v.Compensation > c.Damage) yield return $"{at}: {v.JudgeId} voted {v.Compensation}, outside [0, {c.Damage}]";
                if (v.Fault == Fault.Neither && v.Compensation != 0) yield return $"{at}: {v.JudgeId} found no fault but compensation {v.Compensation}";
                var shareOk = v.Fault switch
                {
                    Fault.Provider => v.ProviderShare == 1,
                    Fault.Both => v.ProviderShare is > 0 and < 1,
                    _ => v.ProviderShare == 0,
                };
                if (!shareOk) yield return $"{at}: {v.JudgeId} voted {v.Fault} with provider share {v.ProviderShare}";
            }
            if (!last && l.Outcome is not (CaseLevelOutcome.Escalated or CaseLevelOutcome.Appealed))
                yield return $"{at}: another level followed a level that is {l.Outcome}";
            if (l.Outcome == CaseLevelOutcome.Appealed && (l.Verdict is null || l.AppealedBy is null || !parties.Contains(l.AppealedBy) || l.AcceptedBy.Contains(l.AppealedBy)))
                yield return $"{at}: appealed by '{l.AppealedBy}' (accepted by {string.Join(",", l.AcceptedBy)}, verdict {l.Verdict})";
            if (l.AcceptedBy.Any(p => !parties.Contains(p))) yield return $"{at}: accepted by a non-party";
            if (l.Verdict is { } verdict)
            {
                if (verdict.Compensation < 0 || verdict.Compensation > c.Damage) yield return $"{at}: a verdict of {verdict.Compensation}, outside [0, {c.Damage}]";
                if (!l.IsCouncil && l.Votes.Count(v => v.Fault == verdict.Fault) * 2 <= l.Panel.Count)
                    yield return $"{at}: a verdict ({verdict.Fault}) without a majority of the panel of {l.Panel.Count}";
            }
            else if (l.Outcome is CaseLevelOutcome.Decided or CaseLevelOutcome.Final or CaseLevelOutcome.Appealed)
            {
                yield return $"{at}: {l.Outcome} without a verdict";
            }
            if (l.Outcome == CaseLevelOutcome.Escalated && !l.IsCouncil && l.Votes.GroupBy(v => v.Fault).Any(g => g.Count() * 2 > l.Panel.Count))
                yield return $"{at}: escalated although a majority agreed";
        }
        var current = c.Levels[^1];
        var expected = c.State switch
        {
            CaseState.Voting => CaseLevelOutcome.Voting,
            CaseState.AwaitingParties => CaseLevelOutcome.Decided,
            _ => CaseLevelOutcome.Final,
        };
        if (current.Outcome != expected) yield return $"{who}: its current level is {current.Outcome}";
        if (c.State == CaseState.AwaitingParties && current.AppealDeadline is null) yield return $"{who}: awaiting the parties without an appeal deadline";
        if (c.State is CaseState.Executing or CaseState.Closed && (c.FinalVerdict is null || c.FinalVerdict != current.Verdict))
            yield return $"{who}: final verdict {c.FinalVerdict} is not the last level's {current.Verdict}";
        if (c.State is CaseState.Voting or CaseState.AwaitingParties && c.FinalVerdict is not null) yield return $"{who}: a final verdict while undecided";
        if (c.State == CaseState.Closed && (c.Settlement is null || c.Settlement.Verdict != c.FinalVerdict))
            yield return $"{who}: closed with settlement {c.Settlement?.Verdict}, final verdict {c.FinalVerdict}";
    }

    /// <summary>A cycle on its own: figures (shares summing to 1, parts to the product value) and stages that agree with its state.</summary>
    public static IEnumerable<string> CheckCycle(CycleView y)
    {
        var who = $"cycle {y.Id} ({y.State})";
        var n = y.Stages.Count;
        if (n == 0)
        {
            yield return $"{who}: no stage";
            yield break;
        }
        if (y.Stages.Sum(s => s.Share) != 1m) yield return $"{who}: shares sum to {y.Stages.Sum(s => s.Share)}";
        if (y.Stages.Sum(s => s.ShareOfProduct) != y.ProductValue) yield return $"{who}: parts sum to {y.Stages.Sum(s => s.ShareOfProduct)}, not {y.ProductValue}";
        foreach (var s in y.Stages)
        {
            if (s.CyclePrice != Money.Cents(s.MarketPrice * (1 - y.StageDiscount))) yield return $"{who} stage {s.Index}: cycle price {s.CyclePrice} of market {s.MarketPrice}";
            if (s.SynergyGain != s.ShareOfProduct - s.CyclePrice) yield return $"{who} stage {s.Index}: gain {s.SynergyGain}";
            if (s.Share <= 0) yield return $"{who} stage {s.Index}: share {s.Share}";
        }
        if (y.TotalCyclePrice != y.Stages.Sum(s => s.CyclePrice)) yield return $"{who}: total cycle price {y.TotalCyclePrice}";
        for (var i = 1; i < n; i++)
            if (y.Stages[i].MemberId == y.Stages[i - 1].MemberId) yield return $"{who}: {y.Stages[i].MemberId} takes stages {i} and {i + 1}";
        if (y.Stages[^1].MemberId == y.OrganizerId) yield return $"{who}: the organizer takes the last stage";
        if (y.DealHistory.Distinct(StringComparer.Ordinal).Count() != y.DealHistory.Count) yield return $"{who}: a deal twice in its history";
        foreach (var s in y.Stages)
            if (s.DealId is { } deal && !y.DealHistory.Contains(deal)) yield return $"{who} stage {s.Index}: deal {deal} is not in the history";
        foreach (var f in y.Failures)
            if (!y.DealHistory.Contains(f.DealId)) yield return $"{who}: failed deal {f.DealId} is not in the history";

        var cur = y.CurrentStage;
        switch (y.State)
        {
            case CycleState.Recruiting:
                if (cur != 0 || y.DealHistory.Count > 0 || y.Stages.Any(s => s.DealId is not null || s.Status != "waiting"))
                    yield return $"{who}: recruiting but stage {cur}, {y.DealHistory.Count} deals";
                break;
            case CycleState.Completed:
                if (cur != n || y.CompletedAt is null || y.Stages.Any(s => s.Status != "done" || s.DealState != DealState.Completed))
                    yield return $"{who}: completed but at stage {cur} of {n} ({string.Join(",", y.Stages.Select(s => $"{s.Status}/{s.DealState}"))})";
                break;
            case CycleState.Running or CycleState.Broken when cur < 0 || cur >= n:
                yield return $"{who}: at stage {cur} of {n}";
                break;
            case CycleState.Running or CycleState.Broken:
                for (var i = 0; i < cur; i++)
                    if (y.Stages[i].Status != "done" || y.Stages[i].DealState != DealState.Completed)
                        yield return $"{who}: stage {i} before the current one is {y.Stages[i].Status}/{y.Stages[i].DealState}";
                for (var i = cur + 1; i < n; i++)
                    if (y.Stages[i].Status != "waiting" || y.Stages[i].DealId is not null)
                        yield return $"{who}: stage {i} after the current one is {y.Stages[i].Status} with deal {y.Stages[i].DealId}";
                var stage = y.Stages[cur];
                if (y.State == CycleState.Running)
                {
                    if (!stage.Joined) yield return $"{who}: the running stage {cur} has not joined";
                    if (stage.Status is not ("waiting" or "opening" or "running")) yield return $"{who}: the running stage {cur} is {stage.Status}";
                    if (stage.Status == "waiting" && stage.DealId is not null) yield return $"{who}: the running stage {cur} waits with deal {stage.DealId}";
                    if (stage.Status != "waiting" && stage.DealId is null) yield return $"{who}: the running stage {cur} is {stage.Status} without a deal";
                    if (stage.DealState is DealState.Accepted or DealState.Delivered or DealState.Claimed or DealState.Disputed && (stage.Status != "running" || stage.Blocked is not null))
                        yield return $"{who}: stage {cur}'s deal is {stage.DealState}, but the stage is '{stage.Status}' (blocked: {stage.Blocked})";
                }
                else
                {
                    if (y.Failures.Count == 0 || y.Failures[^1].Index != cur) yield return $"{who}: broken at stage {cur} without its failure";
                    var failed = stage.Status == "failed" && stage.DealState is DealState.Settled or DealState.Cancelled && stage.DealId is not null;
                    var reassigned = stage.Status == "waiting" && !stage.Joined && stage.DealId is null;
                    if (!failed && !reassigned) yield return $"{who}: broken stage {cur} is {stage.Status}/{stage.DealState} (joined {stage.Joined})";
                }
                break;
        }
    }

    /// <summary>Every invariant of a community at rest; the list names each violation.</summary>
    public static List<string> Check(CoreSnapshot s, CoreExpectations e)
    {
        var violations = new List<string>();
        void Fail(string message) => violations.Add(message);
        var members = s.Members.Values.ToList();

        // ---- Money (rules 6-8): nothing created or destroyed, transfers net to zero, no negative free balance.
        var balances = members.Sum(m => m.Deposit.Balance);
        if (balances != e.Deposited - e.Withdrawn)
            Fail($"money: balances sum to {balances}; {e.Deposited} deposited − {e.Withdrawn} withdrawn = {e.Deposited - e.Withdrawn}");
        if (members.Sum(m => m.Deposit.Deposited) != e.Deposited) Fail($"money: the accounts record {members.Sum(m => m.Deposit.Deposited)} deposited, the test deposited {e.Deposited}");
        if (members.Sum(m => m.Deposit.Withdrawn) != e.Withdrawn) Fail($"money: the accounts record {members.Sum(m => m.Deposit.Withdrawn)} withdrawn, the test withdrew {e.Withdrawn}");
        var transferredIn = members.Sum(m => m.Deposit.TransferredIn);
        var transferredOut = members.Sum(m => m.Deposit.TransferredOut);
        if (transferredIn != transferredOut) Fail($"money: {transferredOut} transferred out but {transferredIn} in");
        var compensation = s.Deals.Values.Where(d => d.State == DealState.Settled).Sum(d => d.Settlement?.Payments.Sum(p => p.Amount) ?? 0);
        var repaid = e.Repaid.Sum(r => r.Amount);
        if (transferredIn != compensation + repaid)
            Fail($"money: {transferredIn} transferred, but settlements paid {compensation} and repayments {repaid}");
        foreach (var m in members)
        {
            var a = m.Deposit;
            if (a.Balance != a.Deposited - a.Withdrawn + a.TransferredIn - a.TransferredOut)
                Fail($"member {m.Id}: balance {a.Balance} is not deposited {a.Deposited} − withdrawn {a.Withdrawn} + in {a.TransferredIn} − out {a.TransferredOut}");
            if (a.Held < 0 || a.Free < 0) Fail($"member {m.Id}: holds {a.Held} of a balance of {a.Balance} (free {a.Free})");
            if (m.Holds.Sum(h => h.Amount) != a.Held) Fail($"member {m.Id}: its holds sum to {m.Holds.Sum(h => h.Amount)}, its account says {a.Held}");
            foreach (var ward in m.Wards)
                if (ward.Held > ward.Limit) Fail($"member {m.Id}: holds {ward.Held} for ward {ward.MemberId}, above its limit {ward.Limit}");
        }
        var t = s.Totals;
        if (t.Members != members.Count || t.Deposited != e.Deposited || t.Withdrawn != e.Withdrawn || t.SumOfBalances != balances
            || t.SumOfHeld != members.Sum(m => m.Deposit.Held) || t.TransferredIn != transferredIn || t.TransferredOut != transferredOut)
            Fail($"directory: totals {t.Members} members, {t.Deposited} in, {t.Withdrawn} out, {t.SumOfBalances} balances, {t.SumOfHeld} held " +
                 $"disagree with the members ({members.Count}, {e.Deposited}, {e.Withdrawn}, {balances}, {members.Sum(m => m.Deposit.Held)})");

        // ---- Holds are exactly the cover of live deals (rules 10, 11, 15): none for a finished deal, none missing.
        foreach (var m in members)
            foreach (var h in m.Holds)
            {
                if (!s.Deals.TryGetValue(h.DealId, out var deal))
                    Fail($"member {m.Id}: holds {h.Amount} ({h.HoldId}) for deal {h.DealId}, which does not exist");
                else if (!Live.Contains(deal.State))
                    Fail($"member {m.Id}: still holds {h.Amount} ({h.HoldId}) for deal {deal.Id}, which is {deal.State}");
                else if (!deal.Cover.Any(c => c.HoldId == h.HoldId && c.MemberId == m.Id && c.Amount == h.Amount && c.ForParty == h.ForPartyId && c.ViaWardId == h.ViaWardId))
                    Fail($"member {m.Id}: hold {h.HoldId} of {h.Amount} is not in the cover of deal {deal.Id}");
            }
        foreach (var d in s.Deals.Values.Where(d => Live.Contains(d.State)))
            foreach (var c in d.Cover)
                if (!s.Members.TryGetValue(c.MemberId, out var holder) || !holder.Holds.Any(h => h.HoldId == c.HoldId && h.Amount == c.Amount))
                    Fail($"deal {d.Id} ({d.State}): cover hold {c.HoldId} of {c.Amount} is not held by {c.MemberId}");

        // ---- Every deal, case and cycle in a valid state.
        foreach (var d in s.Deals.Values)
        {
            violations.AddRange(CheckDeal(d, e.Settings.CoverageRatio));
            if (Transitional.Contains(d.State)) Fail($"deal {d.Id}: still {d.State} after recovery");
            if (d.State == DealState.Disputed && (d.CaseId is null || !s.Cases.TryGetValue(d.CaseId, out var open) || open.State is CaseState.Closed))
                Fail($"deal {d.Id}: disputed, but its case {d.CaseId} is missing or closed");
            if (d.State == DealState.Settled && d.Claim?.Outcome == "decided")
            {
                if (d.CaseId is null || !s.Cases.TryGetValue(d.CaseId, out var decided) || decided.State != CaseState.Closed)
                    Fail($"deal {d.Id}: settled by a decision, but its case {d.CaseId} is not closed");
                else if (d.Settlement is not { } ds || decided.Settlement is not { } cs || decided.FinalVerdict != ds.Verdict || cs.Awarded != ds.Awarded
                         || cs.Unpaid != ds.Unpaid || !cs.Payments.Select(p => (p.TransferId, p.Amount)).SequenceEqual(ds.Payments.Select(p => (p.TransferId, p.Amount))))
                    Fail($"deal {d.Id}: its settlement differs from its case's");
            }
        }
        foreach (var c in s.Cases.Values)
        {
            violations.AddRange(CheckCase(c, e.Settings.MaxArbitrationLevels));
            if (c.State == CaseState.Executing) Fail($"case {c.Id}: still executing its verdict after recovery");
            if (!s.Deals.TryGetValue(c.DealId, out var deal)) Fail($"case {c.Id}: its deal {c.DealId} is unknown");
            else if (deal.CaseId != c.Id) Fail($"case {c.Id}: deal {deal.Id} names case '{deal.CaseId}'");
            else if (c.State == CaseState.Closed && deal.State != DealState.Settled) Fail($"case {c.Id}: closed, but deal {deal.Id} is {deal.State}");
        }
        foreach (var y in s.Cycles.Values)
        {
            violations.AddRange(CheckCycle(y));
            var waiting = y.State == CycleState.Running ? y.Stages[y.CurrentStage].DealId : null; // may not be proposed yet (blocked)
            foreach (var id in y.DealHistory)
                if (!s.Deals.TryGetValue(id, out var deal)) { if (id != waiting) Fail($"cycle {y.Id}: deal {id} of its history is unknown"); }
                else if (deal.CycleId != y.Id) Fail($"cycle {y.Id}: deal {id} belongs to cycle '{deal.CycleId}'");
            var failed = y.DealHistory.Count(id => s.Deals.TryGetValue(id, out var deal) && deal.State is DealState.Settled or DealState.Cancelled);
            if (failed != y.Failures.Count) Fail($"cycle {y.Id}: {failed} of its deals were settled or cancelled, but it records {y.Failures.Count} failures");
            if (y.State == CycleState.Running && y.Stages[y.CurrentStage] is { DealId: { } running } stage && s.Deals.TryGetValue(running, out var now))
            {
                var stuck = now.State is DealState.Cancelled or DealState.Completed or DealState.Settled;
                if (stuck || now.State != stage.DealState)
                    Fail($"cycle {y.Id}: running stage {y.CurrentStage}'s deal {running} is {now.State}, the cycle has it as {stage.DealState}" +
                         (stuck ? " and cannot move on" : ""));
            }
        }

        // ---- Debts (rule 16): what others paid for a member, less what it repaid them.
        var owed = new Dictionary<(string Debtor, string Creditor), decimal>();
        void Owe(string debtor, string creditor, decimal amount) => owed[(debtor, creditor)] = owed.GetValueOrDefault((debtor, creditor)) + amount;
        foreach (var d in s.Deals.Values.Where(d => d.State == DealState.Settled && d.Settlement?.PayerPartyId is not null))
        {
            var settlement = d.Settlement!;
            var payer = settlement.PayerPartyId!;
            foreach (var p in settlement.Payments.Where(p => p.FromMemberId != payer)) Owe(payer, p.FromMemberId, p.Amount);
            if (settlement.Unpaid > 0) Owe(payer, d.Claim!.ClaimantId, settlement.Unpaid);
        }
        foreach (var r in e.Repaid) Owe(r.From, r.To, -r.Amount);
        foreach (var m in members)
        {
            var recorded = m.Debts.ToDictionary(x => x.ToMemberId, x => x.Amount, StringComparer.Ordinal);
            var expected = owed.Where(o => o.Key.Debtor == m.Id).ToDictionary(o => o.Key.Creditor, o => o.Value, StringComparer.Ordinal);
            foreach (var creditor in recorded.Keys.Union(expected.Keys).Order(StringComparer.Ordinal))
                if (recorded.GetValueOrDefault(creditor) != expected.GetValueOrDefault(creditor))
                    Fail($"member {m.Id}: owes {creditor} {recorded.GetValueOrDefault(creditor)}, but was paid for {expected.GetValueOrDefault(creditor)} net of repayments");
        }

        // ---- The journal (rule 23): every chain verifies, each source numbers 1..n, the records agree with the state.
        foreach (var (chain, result) in s.Verifications)
            if (!result.Ok) Fail($"journal chain {chain}: does not verify at {result.FirstBadSeq}: {result.Problem}");
        var bySource = s.Journal.GroupBy(x => x.SourceId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        foreach (var (source, entries) in bySource)
        {
            var numbers = entries.Select(x => x.SourceSeq).Order().ToList();
            if (!numbers.SequenceEqual(Enumerable.Range(1, numbers.Count).Select(i => (long)i)))
                Fail($"journal: source {source} is numbered {Describe(numbers)}, not 1..{numbers.Count}");
            if (entries.Any(x => x.Partition != JournalPartitions.PartitionOf(source))) Fail($"journal: source {source} wrote outside its chain");
            if (!entries.OrderBy(x => x.LocalSeq).Select(x => x.SourceSeq).SequenceEqual(numbers)) Fail($"journal: source {source} is out of order in its chain");
        }
        foreach (var m in members)
        {
            var mine = bySource.GetValueOrDefault($"member:{m.Id}") ?? [];
            var money = mine.Where(x => MoneyKinds.Contains(x.Kind)).Sum(x => x.Kind is "deposit" or "transfer-in" ? Field(x, "amount") : -Field(x, "amount"));
            if (money != m.Deposit.Balance) Fail($"journal: member {m.Id}'s money entries sum to {money}, its balance is {m.Deposit.Balance}");
            var lastMove = mine.Where(x => HoldKinds.Contains(x.Kind)).MaxBy(x => x.SourceSeq);
            if (lastMove is not null && Field(lastMove, "heldAfter") != m.Deposit.Held)
                Fail($"journal: member {m.Id}'s last entry holds {Field(lastMove, "heldAfter")}, its account {m.Deposit.Held}");
        }
        foreach (var c in s.Cases.Values)
        {
            var mine = bySource.GetValueOrDefault($"case:{c.Id}") ?? [];
            var votes = c.Levels.Sum(l => l.Votes.Count);
            if (mine.Count(x => x.Kind == "vote") != votes) Fail($"journal: case {c.Id} has {votes} votes, {mine.Count(x => x.Kind == "vote")} journalled");
            if (mine.Count(x => x.Kind is "case-opened" or "case-escalated") != c.Levels.Count) Fail($"journal: case {c.Id} convened {c.Levels.Count} panels, the journal says {mine.Count(x => x.Kind is "case-opened" or "case-escalated")}");
            if (mine.Count(x => x.Kind == "final-verdict") != (c.FinalVerdict is null ? 0 : 1)) Fail($"journal: case {c.Id}'s final verdict is journalled {mine.Count(x => x.Kind == "final-verdict")} times");
        }
        foreach (var y in s.Cycles.Values)
        {
            var mine = bySource.GetValueOrDefault($"cycle:{y.Id}") ?? [];
            if (mine.Count != y.LastEventSeq) Fail($"journal: cycle {y.Id} has {y.LastEventSeq} events, {mine.Count} journalled");
        }
        return violations;
    }

    private static decimal Field(JournalEntry entry, string name)
    {
        using var json = JsonDocument.Parse(entry.Data);
        return json.RootElement.TryGetProperty(name, out var value) ? value.GetDecimal() : 0;
    }

    private static string Describe(List<long> numbers) =>
        numbers.Count <= 12 ? string.Join(",", numbers) : $"{string.Join(",", numbers.Take(6))}…{string.Join(",", numbers.TakeLast(6))}";
}
