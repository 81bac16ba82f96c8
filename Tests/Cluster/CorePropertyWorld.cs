using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansGuarantee.Infrastructure;
using OrleansGuarantee.Journal;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// One community driven by random operations of one seed, for <see cref="CorePropertyTests"/>: the ledger's
/// (deposits, withdrawals, guarantees, deals accepted, confirmed, cancelled), claims admitted and disputed, votes by
/// right and wrong judges, verdicts accepted and appealed, deadlines passing (the community's windows are seconds
/// long, so they pass during the run and the cases' reminders act on them), synergy cycles designed, joined, started,
/// run stage by stage, failed and reassigned, and debt repayments (also several at once for one debt). Operations run
/// in concurrent batches; some are repeated (the same call twice at once, or an earlier call again with its operation
/// id), some have a fault injected at one of <see cref="FaultPoints"/> after which the faulted grains' activations are
/// dropped, as a crash would drop them. At the end every interrupted step is recovered, every case is decided, and the
/// community is read at rest and checked by <see cref="CoreInvariants"/>.
/// </summary>
internal sealed class CorePropertyWorld(ClusterFixture fixture, int seed)
{
    public static readonly CommunitySettings Settings = new() { VerdictWindowSeconds = 3, AppealWindowSeconds = 2, MaxArbitrationLevels = 4 };
    private const int BatchSize = 32;
    private static readonly string[] Roles = ["supplier", "mason", "carpenter", "engineer"];

    private readonly Random _random = new(seed);
    private readonly object _gate = new();
    private TestCommunity _c = null!;
    private string[] _founders = [], _upper = [], _middle = [], _traders = [], _candidates = [];
    private readonly List<string> _members = [];

    // What the test knows of the money: confirmed movements, and those whose outcome it could not see (a crash).
    private readonly ConcurrentDictionary<(string Member, string Op), decimal> _deposits = new();
    private readonly ConcurrentDictionary<(string Member, string Op), decimal> _withdrawals = new();
    private readonly ConcurrentDictionary<(string Member, string Op), (decimal Amount, bool Deposit)> _unsure = new();
    private readonly List<(string Member, string Op, decimal Amount, bool Deposit)> _sent = [];
    private readonly List<(string Member, string Op, decimal Amount, bool Deposit)> _confirmed = [];
    private readonly ConcurrentDictionary<string, byte> _repayments = new();
    private readonly List<(string Guarantor, string Ward)> _guarantees = [];

    // The latest view of each deal, case and cycle a command returned: it steers the next operations.
    private readonly List<string> _deals = [];
    private readonly HashSet<string> _dealSet = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DealView> _dealViews = new();
    private readonly List<string> _cases = [];
    private readonly HashSet<string> _caseSet = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CaseView> _caseViews = new();
    private readonly List<string> _cycles = [];
    private readonly HashSet<string> _cycleSet = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CycleView> _cycleViews = new();
    private readonly List<string> _payers = [];

    private readonly List<Op> _history = [];
    private readonly ConcurrentDictionary<string, int> _outcomes = new();
    private readonly ConcurrentDictionary<string, long> _elapsed = new();
    private readonly ConcurrentDictionary<string, int> _violations = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly List<string> _timings = [];

    private sealed record Op(string Kind, Func<Task> Run);

    /// <summary>Random numbers drawn when an operation is made, used when it runs (a repeated operation makes the same choices).</summary>
    private sealed class Dice(Random random)
    {
        private readonly int[] _values = Enumerable.Range(0, 8).Select(_ => random.Next()).ToArray();
        public int Roll(int i, int n) => _values[i] % n;
        public bool Chance(int i, int percent) => _values[i] % 100 < percent;
        public T Pick<T>(int i, IReadOnlyList<T> items) => items[_values[i] % items.Count];
        public decimal Fraction(int i) => (_values[i] % 10_000 + 1) / 10_000m;
    }

    public int Seed => seed;
    public int Operations { get; private set; }
    public CoreSnapshot? Final { get; private set; }
    public IReadOnlyDictionary<string, int> Outcomes => _outcomes;
    /// <summary>Each distinct violation, with how often it was seen when more than once.</summary>
    public IReadOnlyCollection<string> Violations => _violations.OrderBy(v => v.Key, StringComparer.Ordinal)
        .Select(v => v.Value > 1 ? $"{v.Key} (seen {v.Value} times)" : v.Key).ToList();

    private IGrainFactory Grains => fixture.Client;
    private static TestFaults Faults => ClusterFixture.Faults;
    private IArbitrationCaseGrain Case(string caseId) => Grains.GetGrain<IArbitrationCaseGrain>(caseId);
    private ISynergyCycleGrain Cycle(string cycleId) => Grains.GetGrain<ISynergyCycleGrain>(cycleId);

    public async Task RunAsync(int operations)
    {
        var clock = Stopwatch.StartNew();
        await SetUpAsync();
        _timings.Add($"set-up {clock.Elapsed.TotalSeconds:0.0}s");
        clock.Restart();
        while (Operations < operations)
        {
            var batch = new List<(Op Op, string Label)>();
            while (batch.Count < BatchSize)
            {
                if (_history.Count > 0 && _random.Next(100) < 6)
                {
                    batch.Add((_history[_random.Next(_history.Count)], " (again)")); // an earlier call, repeated as it was
                    continue;
                }
                var op = Next();
                batch.Add((op, ""));
                if (_random.Next(100) < 5) batch.Add((op, " (twice at once)"));
                if (_history.Count < 2000) _history.Add(op);
                else _history[_random.Next(_history.Count)] = op;
            }
            // Reordering: the batch runs concurrently, in an order of its own.
            var order = batch.OrderBy(_ => _random.Next()).ToList();
            await Task.WhenAll(order.Select(b => ExecuteAsync(b.Op, b.Label)));
            Operations += order.Count;
        }
        _timings.Add($"{Operations} operations {clock.Elapsed.TotalSeconds:0.0}s");
        try
        {
            await FinishAsync();
        }
        catch (Exception ex)
        {
            Violation($"recovering and reading the community failed: {ex}");
        }
    }

    private async Task ExecuteAsync(Op op, string label)
    {
        await Task.Yield();
        var started = Stopwatch.GetTimestamp();
        string outcome;
        try
        {
            await op.Run();
            outcome = "ok";
        }
        catch (GuaranteeException ex)
        {
            outcome = ex.Code;
        }
        catch (Exception ex) when (IsInjected(ex))
        {
            outcome = "injected-fault";
        }
        catch (TimeoutException ex)
        {
            // A call whose reply did not come within the response timeout: its effect is unknown, as the contract says of
            // a timeout, and the state at rest is checked anyway (a grain left stuck fails the final reads). Seen only with
            // the machine overloaded (the fault suite's processes and other work on the 2 cores); a handful is allowed,
            // more is a liveness problem and a violation.
            outcome = "timed-out";
            _errors.Enqueue($"{op.Kind}: {ex.Message}");
            if (Interlocked.Increment(ref _timedOut) == MaxTimedOut + 1)
                Violation($"more than {MaxTimedOut} calls timed out (the last: {op.Kind}: {ex.Message})");
        }
        catch (OrleansMessageRejectionException)
        {
            // The runtime gave up forwarding a call to an activation that was being dropped again (crashes come quickly
            // here): the caller sees a failure whose effect is unknown, like a lost reply. The end state is checked anyway.
            outcome = "rejected-by-runtime";
        }
        catch (Exception ex)
        {
            outcome = "error:" + ex.GetType().Name;
            _errors.Enqueue($"{op.Kind}: {ex}");
            Violation($"{op.Kind} failed unexpectedly: {ex.GetType().Name}: {ex.Message}");
        }
        _outcomes.AddOrUpdate($"{op.Kind}{label}|{outcome}", 1, (_, n) => n + 1);
        var ms = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _elapsed.AddOrUpdate(op.Kind + label, ms, (_, n) => n + ms);
    }

    /// <summary>Calls allowed to time out in one world before it is a violation (see <see cref="ExecuteAsync"/>).</summary>
    private const int MaxTimedOut = 5;
    private int _timedOut;

    private static bool IsInjected(Exception ex) =>
        ex.ToString().Contains(nameof(InjectedFaultException), StringComparison.Ordinal) || ex.Message.Contains("Injected fault", StringComparison.Ordinal);

    private static bool IsFault(Exception ex) => IsInjected(ex) || ex is GuaranteeException { Kind: ErrorKind.Interrupted };

    private void Violation(string message) => _violations.AddOrUpdate($"[seed {seed}] {message}", 1, (_, n) => n + 1);

    private void Check(IEnumerable<string> violations)
    {
        foreach (var v in violations) Violation(v);
    }

    // ---- Set-up: founders → upper (6) → middle (10) → traders (14), and 4 candidates ---------------------------------------

    private async Task SetUpAsync()
    {
        _c = await TestCommunity.CreateAsync(Grains, Settings, founderDeposit: 0);
        _founders = [.. _c.Founders];
        await Task.WhenAll(_founders.Select(f => DepositAsync(f, TestCommunity.Unique("seed"), 20_000m)));
        _members.AddRange(_founders);
        _upper = await LayerAsync("u", 6, 3_000m, i => [_founders[i % 3], _founders[(i + 1) % 3]], 4_000m);
        _middle = await LayerAsync("m", 10, 1_500m, i => [_upper[i % 6], _upper[(i + 1) % 6]], 1_500m);
        _traders = await LayerAsync("t", 14, 150m, i => [_middle[i % 10], _middle[(i + 3) % 10]], 800m);
        _candidates = await LayerAsync("k", 4, 100m, _ => [], 0);
    }

    private async Task<string[]> LayerAsync(string name, int count, decimal deposit, Func<int, string[]> guarantors, decimal limit)
    {
        var layer = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var id = await _c.SignUpAsync(name);
            await DepositAsync(id, TestCommunity.Unique("seed"), deposit);
            foreach (var g in guarantors(i))
            {
                await _c.GuaranteeAsync(g, id, limit);
                lock (_gate) _guarantees.Add((g, id));
            }
            return id;
        }));
        _members.AddRange(layer);
        return layer;
    }

    // ---- Choosing -------------------------------------------------------------------------------------------------------

    /// <summary>Mostly traders and their guarantors, sometimes the upper layers, founders or candidates.</summary>
    private string PickMember()
    {
        var r = _random.Next(100);
        var layer = r < 50 ? _traders : r < 78 ? _middle : r < 88 ? _upper : r < 94 ? _founders : _candidates;
        return layer[_random.Next(layer.Length)];
    }

    private static decimal Amount(Random random, decimal min, decimal max) => Money.Cents(min + (max - min) * (decimal)random.NextDouble());

    private decimal Amount(decimal min, decimal max) => Amount(_random, min, max);

    /// <summary>Mostly a deal whose last known view fits the operation; otherwise any deal (so refusals are tried too).</summary>
    private string? PickDeal(Func<DealView, bool> fits)
    {
        lock (_gate)
        {
            if (_deals.Count == 0) return null;
            if (_random.Next(100) < 88)
            {
                var fitting = _deals.Where(d => _dealViews.TryGetValue(d, out var v) && fits(v)).ToList();
                if (fitting.Count > 0) return fitting[_random.Next(fitting.Count)];
            }
            return _deals[_random.Next(_deals.Count)];
        }
    }

    private string? PickCase(Func<CaseView, bool> fits)
    {
        lock (_gate)
        {
            if (_cases.Count == 0) return null;
            if (_random.Next(100) < 88)
            {
                var fitting = _cases.Where(c => _caseViews.TryGetValue(c, out var v) && fits(v)).ToList();
                if (fitting.Count > 0) return fitting[_random.Next(fitting.Count)];
            }
            return _cases[_random.Next(_cases.Count)];
        }
    }

    private string? PickCycle(Func<CycleView, bool> fits)
    {
        lock (_gate)
        {
            if (_cycles.Count == 0) return null;
            if (_random.Next(100) < 88)
            {
                var fitting = _cycles.Where(c => _cycleViews.TryGetValue(c, out var v) && fits(v)).ToList();
                if (fitting.Count > 0) return fitting[_random.Next(fitting.Count)];
            }
            return _cycles[_random.Next(_cycles.Count)];
        }
    }

    /// <summary>Remembers a view to steer later operations; a view a command returned is also checked (one read while
    /// another call is in flight may show that call half way, so those are not).</summary>
    private void Note(DealView view, bool check = true)
    {
        _dealViews[view.Id] = view;
        lock (_gate)
        {
            if (_dealSet.Add(view.Id)) _deals.Add(view.Id);
            if (view.Settlement is { PayerPartyId: { } payer } s && (s.Unpaid > 0 || s.Payments.Any(p => p.FromMemberId != payer)) && !_payers.Contains(payer))
                _payers.Add(payer); // left in debt
        }
        if (check) Check(CoreInvariants.CheckDeal(view, Settings.CoverageRatio));
    }

    private void Note(CaseView view, bool check = true)
    {
        lock (_gate)
            if (_caseSet.Add(view.Id)) _cases.Add(view.Id);
        _caseViews[view.Id] = view;
        if (check) Check(CoreInvariants.CheckCase(view, Settings.MaxArbitrationLevels));
    }

    private void Note(CycleView view, bool check = true)
    {
        lock (_gate)
        {
            if (_cycleSet.Add(view.Id)) _cycles.Add(view.Id);
            foreach (var deal in view.DealHistory)
                if (_dealSet.Add(deal)) _deals.Add(deal);
        }
        _cycleViews[view.Id] = view;
        if (check) Check(CoreInvariants.CheckCycle(view));
    }

    // ---- Faults -----------------------------------------------------------------------------------------------------------

    /// <summary>Runs <paramref name="body"/> with a fault armed at <paramref name="point"/> (when <paramref name="armed"/>);
    /// if the fault interrupts it, the given grains' activations are dropped, as a crash at that point would drop them.</summary>
    private async Task<T> FaultedAsync<T>(bool armed, string point, string key, Func<Task<T>> body, params IAddressable[] crash)
    {
        if (!armed) return await body();
        Faults.Arm(point, key);
        try
        {
            return await body();
        }
        catch (Exception ex) when (IsFault(ex))
        {
            await CrashAsync(crash);
            throw;
        }
        finally
        {
            Faults.Disarm(point, key);
        }
    }

    private async Task CrashAsync(params IAddressable[] grains)
    {
        foreach (var grain in grains)
        {
            await fixture.Cluster.DeactivateAsync(grain);
            _outcomes.AddOrUpdate("activation dropped", 1, (_, n) => n + 1);
        }
    }

    // ---- Operations -----------------------------------------------------------------------------------------------------

    private Op Next()
    {
        var roll = _random.Next(1000);
        return roll switch
        {
            < 70 => DepositOp(),
            < 105 => WithdrawOp(),
            < 130 => GuaranteeOp(),
            < 137 => UnguaranteeOp(),
            < 222 => ProposeOp(),
            < 307 => AcceptOp(),
            < 352 => ConfirmOp(),
            < 364 => CancelOp(),
            < 420 => ClaimOp(),
            < 450 => AdmitOp(),
            < 485 => DisputeOp(),
            < 590 => VoteOp(),
            < 620 => VerdictOp(appeal: false),
            < 640 => VerdictOp(appeal: true),
            < 655 => CheckDeadlinesOp(),
            < 665 => DesignOp(),
            < 725 => JoinOp(),
            < 740 => StartOp(),
            < 835 => StageConfirmOp(),
            < 845 => StageClaimOp(),
            < 860 => ReassignOp(),
            < 870 => CheckProgressOp(),
            < 955 => RepayOp(),
            _ => CrashOp(),
        };
    }

    /// <summary>A deposit whose outcome is tracked: confirmed, or unsure when a fault hid it (decided at the end by repeating it).</summary>
    private async Task DepositAsync(string member, string op, decimal amount, bool armed = false)
    {
        try
        {
            await FaultedAsync(armed, FaultPoints.MemberAfterWrite, member, () => _c.Member(member).Deposit(op, amount), _c.Member(member));
            _deposits[(member, op)] = amount;
            lock (_gate) _confirmed.Add((member, op, amount, true));
        }
        catch (Exception ex) when (ex is not GuaranteeException { Kind: not ErrorKind.Interrupted })
        {
            _unsure[(member, op)] = (amount, true);
            throw;
        }
    }

    private async Task WithdrawAsync(string member, string op, decimal amount, bool armed)
    {
        try
        {
            await FaultedAsync(armed, FaultPoints.MemberAfterWrite, member, () => _c.Member(member).Withdraw(op, amount), _c.Member(member));
            _withdrawals[(member, op)] = amount;
            lock (_gate) _confirmed.Add((member, op, amount, false));
        }
        catch (Exception ex) when (ex is not GuaranteeException { Kind: not ErrorKind.Interrupted })
        {
            _unsure[(member, op)] = (amount, false);
            throw;
        }
    }

    /// <summary>A movement again with its operation id but another amount: must be refused.</summary>
    private Op OtherTermsOp(bool deposit)
    {
        (string Member, string Op, decimal Amount, bool Deposit) done;
        lock (_gate)
        {
            var candidates = _confirmed.Where(c => c.Deposit == deposit).ToList();
            if (candidates.Count == 0) return deposit ? ProposeOp() : WithdrawOp();
            done = candidates[_random.Next(candidates.Count)];
        }
        return new Op(deposit ? "deposit, used id, other amount" : "withdrawal, used id, other amount", async () =>
        {
            var other = done.Amount + 0.01m;
            if (deposit) await _c.Member(done.Member).Deposit(done.Op, other);
            else await _c.Member(done.Member).Withdraw(done.Op, other);
            Violation($"{done.Member}: operation id {done.Op} was used again with another amount, and the account took it");
        });
    }

    private Op DepositOp()
    {
        if (_random.Next(100) < 4) return OtherTermsOp(deposit: true);
        (string m, string op, decimal amount) = (PickMember(), TestCommunity.Unique("dep"), Amount(1, 800));
        lock (_gate)
        {
            var earlier = _sent.Where(s => s.Deposit).ToList();
            if (earlier.Count > 0 && _random.Next(100) < 15) (m, op, amount, _) = earlier[_random.Next(earlier.Count)]; // a retry
            else _sent.Add((m, op, amount, true));
        }
        var armed = _random.Next(100) < 6;
        return new Op("deposit", () => DepositAsync(m, op, amount, armed));
    }

    private Op WithdrawOp()
    {
        if (_random.Next(100) < 4) return OtherTermsOp(deposit: false);
        (string m, string op, decimal amount) = (PickMember(), TestCommunity.Unique("wd"), Amount(1, 300));
        lock (_gate)
        {
            var earlier = _sent.Where(s => !s.Deposit).ToList();
            if (earlier.Count > 0 && _random.Next(100) < 15) (m, op, amount, _) = earlier[_random.Next(earlier.Count)];
            else _sent.Add((m, op, amount, false));
        }
        var armed = _random.Next(100) < 6;
        return new Op("withdrawal", () => WithdrawAsync(m, op, amount, armed));
    }

    private Op GuaranteeOp()
    {
        var (g, w) = (PickMember(), PickMember());
        var limit = Amount(50, 1_000);
        var armed = _random.Next(100) < 8;
        return new Op("guarantee", async () =>
        {
            var grain = _c.GuaranteeBetween(w, g);
            await grain.Request(TestCommunity.Unique("rq"), w, g);
            await FaultedAsync(armed, FaultPoints.GuaranteeStored, GuaranteeKeys.For(w, g), () => grain.Accept(TestCommunity.Unique("ac"), g, w, limit), grain);
            lock (_gate) _guarantees.Add((g, w));
        });
    }

    private Op UnguaranteeOp()
    {
        (string Guarantor, string Ward) pair;
        lock (_gate) pair = _guarantees[_random.Next(_guarantees.Count)];
        return new Op("guarantee withdrawn", () => _c.GuaranteeBetween(pair.Ward, pair.Guarantor).Withdraw(pair.Guarantor, pair.Ward));
    }

    private Op ProposeOp()
    {
        var (p, q) = (PickMember(), PickMember());
        var proposer = _random.Next(2) == 0 ? p : q;
        var value = Amount(5, 400);
        var op = TestCommunity.Unique("deal");
        return new Op("deal proposed", async () => Note(await _c.ProposeAsync(proposer, p, q, value, op)));
    }

    private Op AcceptOp()
    {
        if (PickDeal(v => v.State == DealState.Proposed) is not { } id) return ProposeOp();
        var dice = new Dice(_random);
        var armed = _random.Next(100) < 15;
        return new Op("deal accepted", async () =>
        {
            var view = await _c.Deal(id).Get();
            Note(view, check: false);
            var other = view.ProposedBy == view.ProviderId ? view.ConsumerId : view.ProviderId;
            var who = dice.Chance(0, 90) ? other : view.ProposedBy;
            var point = dice.Chance(1, 50) ? FaultPoints.DealHoldPlacing : FaultPoints.DealAcceptPlanned;
            Note(await FaultedAsync(armed, point, id, () => _c.Deal(id).Accept(who), _c.Deal(id)));
        });
    }

    private Op ConfirmOp()
    {
        if (PickDeal(v => v.State is DealState.Accepted or DealState.Delivered) is not { } id) return ProposeOp();
        var dice = new Dice(_random);
        var armed = _random.Next(100) < 10;
        return new Op("deal confirmed", () => ConfirmAsync(id, dice, armed));
    }

    private async Task ConfirmAsync(string id, Dice dice, bool armed)
    {
        var view = await _c.Deal(id).Get();
        Note(view, check: false);
        var pending = new[] { view.ProviderId, view.ConsumerId }.Where(p => !view.ConfirmedBy.Contains(p)).ToList();
        var who = dice.Chance(0, 80) && pending.Count > 0 ? dice.Pick(1, pending) : dice.Chance(2, 50) ? view.ProviderId : view.ConsumerId;
        Note(await FaultedAsync(armed, FaultPoints.DealReleasing, id, () => _c.Deal(id).Confirm(who), _c.Deal(id)));
    }

    private Op CancelOp()
    {
        if (PickDeal(v => v.State == DealState.Proposed) is not { } id) return ProposeOp();
        var dice = new Dice(_random);
        return new Op("deal cancelled", async () =>
        {
            var view = await _c.Deal(id).Get();
            Note(view, check: false);
            Note(await _c.Deal(id).Cancel(dice.Chance(0, 50) ? view.ProviderId : view.ConsumerId));
        });
    }

    private Op ClaimOp()
    {
        if (PickDeal(v => v.State is DealState.Accepted or DealState.Delivered) is not { } id) return ProposeOp();
        var dice = new Dice(_random);
        var op = TestCommunity.Unique("claim");
        return new Op("claim filed", async () =>
        {
            var view = await _c.Deal(id).Get();
            Note(view, check: false);
            var claimant = dice.Chance(0, 50) ? view.ProviderId : view.ConsumerId;
            var damage = dice.Chance(1, 4) ? view.Value + 1m : Math.Max(0.01m, Money.Cents(view.Value * dice.Fraction(2)));
            Note(await _c.Deal(id).FileClaim(claimant, op, damage, "A defect found by the property test."));
        });
    }

    private Op AdmitOp()
    {
        if (PickDeal(v => v.State == DealState.Claimed) is not { } id) return ClaimOp();
        var dice = new Dice(_random);
        var fault = _random.Next(100) < 20 ? _random.Next(3) : -1;
        return new Op("claim admitted", async () =>
        {
            var view = await _c.Deal(id).Get();
            Note(view, check: false);
            var respondent = view.Claim?.RespondentId ?? view.ProviderId;
            var who = dice.Roll(0, 100) switch
            {
                < 85 => respondent,
                < 95 => view.Claim?.ClaimantId ?? view.ConsumerId,
                _ => dice.Pick(1, _members),
            };
            var (point, key, crash) = fault switch
            {
                0 => (FaultPoints.DealReleasing, id, new IAddressable[] { _c.Deal(id) }),
                1 => (FaultPoints.TransferDebited, $"{id}:comp:0", [Grains.GetGrain<ITransferGrain>($"{id}:comp:0"), _c.Deal(id)]),
                _ => (FaultPoints.MemberAfterWrite, respondent, [_c.Member(respondent), _c.Deal(id)]),
            };
            Note(await FaultedAsync(fault >= 0, point, key, () => _c.Deal(id).AdmitClaim(who), crash));
        });
    }

    private Op DisputeOp()
    {
        if (PickDeal(v => v.State == DealState.Claimed) is not { } id) return ClaimOp();
        var dice = new Dice(_random);
        return new Op("claim disputed", async () =>
        {
            var view = await _c.Deal(id).Get();
            Note(view, check: false);
            var who = dice.Roll(0, 100) switch
            {
                < 85 => view.Claim?.RespondentId ?? view.ProviderId,
                < 95 => view.Claim?.ClaimantId ?? view.ConsumerId,
                _ => dice.Pick(1, _members),
            };
            Note(await Case(CaseIds.For(id)).Open(id, who));
        });
    }

    private Op VoteOp()
    {
        if (PickCase(v => v.State == CaseState.Voting) is not { } id) return DisputeOp();
        var dice = new Dice(_random);
        var armed = _random.Next(100) < 8;
        return new Op("vote", async () =>
        {
            var view = await Case(id).Get();
            Note(view, check: false);
            var level = view.Levels[^1];
            var waiting = level.Panel.Where(j => level.Votes.All(v => v.JudgeId != j)).ToList();
            var voted = level.Votes.Select(v => v.JudgeId).ToList();
            var earlier = view.Levels.SkipLast(1).SelectMany(l => l.Panel).ToList();
            var r = dice.Roll(0, 100);
            var judge = r < 65 && waiting.Count > 0 ? dice.Pick(1, waiting)
                : r < 75 && voted.Count > 0 ? dice.Pick(1, voted)
                : r < 85 && earlier.Count > 0 ? dice.Pick(1, earlier)
                : r < 95 ? dice.Pick(1, _members)
                : view.ProviderId;
            // Each case leans one way, so majorities form, yet judges disagree often enough for ties and escalations.
            var lean = (Fault)(id[^1] % 4);
            var fault = dice.Chance(2, 60) ? lean : (Fault)dice.Roll(3, 4);
            decimal? share = fault == Fault.Both ? (dice.Chance(4, 5) ? 1.5m : decimal.Round(0.1m + 0.8m * dice.Fraction(4), 2)) : null;
            var compensation = dice.Chance(5, 4) ? view.Damage + 1m : Money.Cents(view.Damage * dice.Fraction(5));
            // A fault in the settlement a council's verdict may execute at once: the case keeps it and retries.
            var after = await FaultedAsync(armed, FaultPoints.DealReleasing, view.DealId, () => Case(id).Vote(judge, fault, share, compensation));
            Note(after);
            if (armed && after.State == CaseState.Executing) await CrashAsync(_c.Deal(view.DealId), Case(id));
        });
    }

    private Op VerdictOp(bool appeal)
    {
        if (PickCase(v => v.State == CaseState.AwaitingParties) is not { } id) return VoteOp();
        var dice = new Dice(_random);
        var armed = !appeal && _random.Next(100) < 10;
        return new Op(appeal ? "verdict appealed" : "verdict accepted", async () =>
        {
            var view = await Case(id).Get();
            Note(view, check: false);
            var who = dice.Roll(0, 100) switch
            {
                < 45 => view.ProviderId,
                < 90 => view.ConsumerId,
                _ => dice.Pick(1, _members),
            };
            var transfer = $"{view.DealId}:comp:0";
            var after = await FaultedAsync(armed, FaultPoints.TransferDebited, transfer, () => appeal ? Case(id).Appeal(who) : Case(id).Accept(who));
            Note(after);
            if (armed && after.State == CaseState.Executing) await CrashAsync(Grains.GetGrain<ITransferGrain>(transfer), _c.Deal(view.DealId));
        });
    }

    private Op CheckDeadlinesOp()
    {
        if (PickCase(v => v.State is CaseState.Voting or CaseState.AwaitingParties) is not { } id) return DisputeOp();
        return new Op("deadlines checked", async () => Note(await Case(id).CheckDeadlines()));
    }

    private Op DesignOp()
    {
        var organizer = PickMember();
        var count = 2 + _random.Next(3);
        var stages = new List<StageSpec>();
        for (var i = 0; i < count; i++)
        {
            string member;
            do member = PickMember();
            while ((i > 0 && member == stages[i - 1].MemberId) || (i == count - 1 && member == organizer));
            stages.Add(new StageSpec(Roles[i], member, Amount(20, 300)));
        }
        if (_random.Next(100) < 4 && stages[^2].MemberId != organizer) stages[^1] = stages[^1] with { MemberId = organizer }; // refused: the organizer as the last stage
        var op = TestCommunity.Unique("cy");
        var design = new DesignCycle(op, organizer, _c.Id, "A house", Amount(100, 2_000), _random.Next(4) == 0 ? 0.1m : null, stages);
        return new Op("cycle designed", async () => Note(await Cycle(CycleIds.For(organizer, op)).Design(design)));
    }

    private Op JoinOp()
    {
        if (PickCycle(v => v.State is CycleState.Recruiting or CycleState.Broken && v.Stages.Any(s => !s.Joined)) is not { } id) return DesignOp();
        var dice = new Dice(_random);
        return new Op("cycle stage joined", async () =>
        {
            var view = await Cycle(id).Get();
            Note(view, check: false);
            var open = view.Stages.Where(s => !s.Joined).ToList();
            var (index, member) = dice.Chance(0, 85) && open.Count > 0
                ? (dice.Pick(1, open).Index, dice.Pick(1, open).MemberId)
                : (dice.Roll(1, view.Stages.Count + 1), dice.Pick(2, _members)); // a wrong member, or a stage that does not exist
            Note(await Cycle(id).Join(index, member));
        });
    }

    private Op StartOp()
    {
        if (PickCycle(v => v.State == CycleState.Recruiting && v.Stages.All(s => s.Joined)) is not { } id) return JoinOp();
        var dice = new Dice(_random);
        var armed = _random.Next(100) < 12;
        return new Op("cycle started", async () =>
        {
            var view = await Cycle(id).Get();
            Note(view, check: false);
            var who = dice.Chance(0, 90) ? view.OrganizerId : dice.Pick(1, _members);
            var deal = DealIds.For(view.Stages[0].MemberId, $"{id}:s0:r1");
            var point = dice.Chance(2, 50) ? FaultPoints.DealHoldPlacing : FaultPoints.DealAcceptPlanned;
            Note(await FaultedAsync(armed, point, deal, () => Cycle(id).Start(who), _c.Deal(deal), Cycle(id)));
        });
    }

    /// <summary>The running stage's deal, confirmed by a party (both confirming completes the stage and starts the next).</summary>
    private Op StageConfirmOp()
    {
        if (PickCycle(v => v.State == CycleState.Running && v.Stages[v.CurrentStage].DealState is DealState.Accepted or DealState.Delivered) is not { } id)
            return StartOp();
        var dice = new Dice(_random);
        var armed = _random.Next(100) < 8;
        return new Op("cycle stage confirmed", async () =>
        {
            var view = await Cycle(id).Get();
            Note(view, check: false);
            if (view.State != CycleState.Running || view.Stages[view.CurrentStage].DealId is not { } deal)
            {
                Note(await Cycle(id).CheckProgress());
                return;
            }
            await ConfirmAsync(deal, dice, armed);
        });
    }

    /// <summary>A defect on the running stage's deal; it is then admitted or disputed like any claim.</summary>
    private Op StageClaimOp()
    {
        if (PickCycle(v => v.State == CycleState.Running) is not { } id) return StartOp();
        var dice = new Dice(_random);
        var op = TestCommunity.Unique("claim");
        return new Op("cycle stage claimed", async () =>
        {
            var view = await Cycle(id).Get();
            Note(view, check: false);
            if (view.State != CycleState.Running || view.Stages[view.CurrentStage].DealId is not { } deal)
            {
                Note(await Cycle(id).CheckProgress());
                return;
            }
            var dealView = await _c.Deal(deal).Get();
            var claimant = dice.Chance(0, 80) ? dealView.ConsumerId : dealView.ProviderId;
            Note(await _c.Deal(deal).FileClaim(claimant, op, Math.Max(0.01m, Money.Cents(dealView.Value * dice.Fraction(1))), "The stage's work is defective."));
        });
    }

    private Op ReassignOp()
    {
        if (PickCycle(v => v.State == CycleState.Broken) is not { } id) return StageClaimOp();
        var dice = new Dice(_random);
        return new Op("cycle stage reassigned", async () =>
        {
            var view = await Cycle(id).Get();
            Note(view, check: false);
            var who = dice.Chance(0, 90) ? view.OrganizerId : dice.Pick(1, _members);
            var index = dice.Chance(2, 90) ? view.CurrentStage : dice.Roll(3, view.Stages.Count);
            Note(await Cycle(id).Reassign(who, index, dice.Pick(4, _members)));
        });
    }

    private Op CheckProgressOp()
    {
        if (PickCycle(v => v.State == CycleState.Running) is not { } id) return DesignOp();
        return new Op("cycle progress checked", async () => Note(await Cycle(id).CheckProgress()));
    }

    /// <summary>
    /// A member repays a debt: all of it, part of it, more than it (refused); topped up first when its free balance is
    /// short; sometimes the same repayment twice at once, sometimes several repayments of the whole debt at once (at most
    /// what is owed may move).
    /// </summary>
    private Op RepayOp()
    {
        string debtor;
        lock (_gate) debtor = _payers.Count > 0 && _random.Next(100) < 90 ? _payers[_random.Next(_payers.Count)] : PickMember();
        var dice = new Dice(_random);
        var race = _random.Next(100) < 20;
        var twice = _random.Next(100) < 15;
        var armed = _random.Next(100) < 10;
        var ops = Enumerable.Range(0, 3).Select(_ => TestCommunity.Unique("repay")).ToArray();
        var topUp = TestCommunity.Unique("top");
        return new Op(race ? "debts repaid at once" : "debt repaid", async () =>
        {
            var view = await _c.Member(debtor).Get();
            if (view.Debts.Count == 0)
            {
                await RepayAsync(ops[0], debtor, dice.Pick(0, _members), 1m, armed: false); // refused: no debt
                return;
            }
            var debt = dice.Pick(0, view.Debts);
            var amount = dice.Roll(1, 100) switch
            {
                < 45 => debt.Amount,
                < 90 => Math.Max(0.01m, Money.Cents(debt.Amount * dice.Fraction(2))),
                _ => debt.Amount + 0.01m,
            };
            if (view.Deposit.Free < amount && dice.Chance(3, 85))
                await DepositAsync(debtor, topUp, Money.Cents(amount - view.Deposit.Free + 1m));
            if (race) await Task.WhenAll(ops.Take(2 + dice.Roll(4, 2)).Select(op => RepayAsync(op, debtor, debt.ToMemberId, debt.Amount, armed)));
            else if (twice) await Task.WhenAll(RepayAsync(ops[0], debtor, debt.ToMemberId, amount, armed), RepayAsync(ops[0], debtor, debt.ToMemberId, amount, false));
            else await RepayAsync(ops[0], debtor, debt.ToMemberId, amount, armed);
        });
    }

    private Task RepayAsync(string op, string from, string to, decimal amount, bool armed)
    {
        var id = RepaymentIds.For(from, op);
        _repayments[id] = 0;
        var grain = Grains.GetGrain<IDebtRepaymentGrain>(id);
        var (point, key) = id[^1] % 2 == 0 ? (FaultPoints.RepaymentDebtReduced, id) : (FaultPoints.TransferDebited, $"{id}:t");
        return FaultedAsync(armed, point, key, () => grain.Execute(from, to, amount), grain, Grains.GetGrain<ITransferGrain>($"{id}:t"));
    }

    /// <summary>A crash of one activation: a deal, a case, a cycle, a member, or a repayment and its transfer.</summary>
    private Op CrashOp()
    {
        var r = _random.Next(100);
        var dice = new Dice(_random);
        return new Op("activation crashed", async () =>
        {
            IAddressable[] grains;
            lock (_gate)
            {
                var repayments = _repayments.Keys.Order(StringComparer.Ordinal).ToList();
                grains = r switch
                {
                    < 40 when _deals.Count > 0 => [_c.Deal(dice.Pick(0, _deals))],
                    < 55 when _cases.Count > 0 => [Case(dice.Pick(0, _cases))],
                    < 70 when _cycles.Count > 0 => [Cycle(dice.Pick(0, _cycles))],
                    < 90 => [_c.Member(dice.Pick(0, _members))],
                    _ when repayments.Count > 0 => [Grains.GetGrain<IDebtRepaymentGrain>(dice.Pick(0, repayments)), Grains.GetGrain<ITransferGrain>(dice.Pick(0, repayments) + ":t")],
                    _ => [_c.Member(dice.Pick(0, _members))],
                };
            }
            await CrashAsync(grains);
        });
    }

    // ---- The end: recover, decide, read at rest, check ---------------------------------------------------------------------

    private static async Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> action, int parallel = 32)
    {
        using var gate = new SemaphoreSlim(parallel);
        await Task.WhenAll(items.Select(async item =>
        {
            await gate.WaitAsync();
            try { await action(item); }
            finally { gate.Release(); }
        }));
    }

    private async Task FinishAsync()
    {
        var clock = Stopwatch.StartNew();

        // Money whose outcome a fault hid: the same call again answers the first result, or (if it never happened) does it now.
        foreach (var ((member, op), (amount, deposit)) in _unsure.ToList())
        {
            if (deposit ? _deposits.ContainsKey((member, op)) : _withdrawals.ContainsKey((member, op))) continue;
            try
            {
                if (deposit) await DepositAsync(member, op, amount);
                else await WithdrawAsync(member, op, amount, armed: false);
            }
            catch (GuaranteeException)
            {
                // Refused now, so it never happened.
            }
        }

        // Recovery: every grain with steps across grains is dropped as a crash would drop it, then read again
        // (activation resumes stored steps).
        var members = await Task.WhenAll(_members.Select(m => _c.Member(m).Get()));
        var deals = _deals.Concat(members.SelectMany(m => m.Deals)).Concat(members.SelectMany(m => m.Holds.Select(h => h.DealId)))
            .Distinct(StringComparer.Ordinal).ToList();
        var recovered = new ConcurrentBag<DealView>();
        await ForEachAsync(deals, async d =>
        {
            await fixture.Cluster.DeactivateAsync(_c.Deal(d));
            try { recovered.Add(await _c.Deal(d).Get()); }
            catch (GuaranteeException ex) when (ex.Code == "deal-not-found") { } // a stage deal a cycle could not propose yet
        });
        var transfers = recovered.SelectMany(d => d.Settlement?.Payments.Select(p => p.TransferId) ?? []).Concat(_repayments.Keys.Select(r => r + ":t")).ToList();
        await ForEachAsync(transfers, async t =>
        {
            await fixture.Cluster.DeactivateAsync(Grains.GetGrain<ITransferGrain>(t));
            await Grains.GetGrain<ITransferGrain>(t).Get();
        });
        var repaid = await ResolveRepaymentsAsync();
        _timings.Add($"recovery {clock.Elapsed.TotalSeconds:0.0}s");

        clock.Restart();
        var cases = _cases.Concat(members.SelectMany(m => m.Cases ?? [])).Distinct(StringComparer.Ordinal).ToList();
        await DecideEveryCaseAsync(cases);
        await ForEachAsync(_cycles.ToList(), async y =>
        {
            try { await Cycle(y).CheckProgress(); }
            catch (GuaranteeException) { }
        });
        _timings.Add($"cases decided {clock.Elapsed.TotalSeconds:0.0}s");

        // Members are dropped too: on activation each delivers the journal records it holds.
        clock.Restart();
        await ForEachAsync(_members, async m =>
        {
            await fixture.Cluster.DeactivateAsync(_c.Member(m));
            await _c.Member(m).Get();
        });
        var expectations = new CoreExpectations(_deposits.Values.Sum(), _withdrawals.Values.Sum(), repaid, Settings);
        CoreSnapshot? snapshot = null;
        string? print = null;
        List<string> violations = [];
        var reading = Stopwatch.StartNew();
        while (true)
        {
            snapshot = await SnapshotAsync(cases);
            var nextPrint = Fingerprint(snapshot);
            violations = CoreInvariants.Check(snapshot, expectations);
            // Done when nothing is wrong; otherwise read again until two reads agree after the journal's retry period
            // (a record whose delivery failed is sent again within 5 s), so that only what stays wrong is reported.
            if (violations.Count == 0 || (nextPrint == print && reading.Elapsed > TimeSpan.FromSeconds(12)) || reading.Elapsed > TimeSpan.FromSeconds(40)) break;
            print = nextPrint;
            await Task.Delay(500);
        }
        Final = snapshot;
        foreach (var v in violations) Violation(v);
        _timings.Add($"checked {clock.Elapsed.TotalSeconds:0.0}s");
    }

    /// <summary>Repayments as they ended: finished if interrupted, and counted only if money moved (a refused one moved none).</summary>
    private async Task<List<(string From, string To, decimal Amount)>> ResolveRepaymentsAsync()
    {
        var repaid = new List<(string From, string To, decimal Amount)>();
        foreach (var id in _repayments.Keys.Order(StringComparer.Ordinal))
        {
            var grain = Grains.GetGrain<IDebtRepaymentGrain>(id);
            await fixture.Cluster.DeactivateAsync(grain);
            if (await grain.Get() is not { } view) continue; // refused before anything was stored
            if (!view.Completed) Violation($"repayment {id}: not completed after recovery");
            try
            {
                await grain.Execute(view.FromMemberId, view.ToMemberId, view.Amount); // the same call again: answers how it ended, moves nothing
                repaid.Add((view.FromMemberId, view.ToMemberId, view.Amount));
            }
            catch (GuaranteeException ex) when (ex.Code == "repayment-refused")
            {
            }
        }
        return repaid;
    }

    /// <summary>Every open case is brought to its end: the sitting judges vote one way, the parties accept.</summary>
    private async Task DecideEveryCaseAsync(List<string> cases)
    {
        for (var round = 0; round < 30; round++)
        {
            var open = 0;
            await ForEachAsync(cases, async id =>
            {
                CaseView view;
                try { view = await Case(id).CheckDeadlines(); }
                catch (GuaranteeException) { return; }
                switch (view.State)
                {
                    case CaseState.Voting:
                        Interlocked.Increment(ref open);
                        var level = view.Levels[^1];
                        foreach (var judge in level.Panel.Where(j => level.Votes.All(v => v.JudgeId != j)))
                        {
                            try { await Case(id).Vote(judge, Fault.Provider, null, Money.Cents(view.Damage / 2)); }
                            catch (GuaranteeException) { }
                        }
                        break;
                    case CaseState.AwaitingParties:
                        Interlocked.Increment(ref open);
                        try
                        {
                            await Case(id).Accept(view.ProviderId);
                            await Case(id).Accept(view.ConsumerId);
                        }
                        catch (GuaranteeException) { }
                        break;
                    case CaseState.Executing:
                        Interlocked.Increment(ref open);
                        break;
                }
            });
            if (open == 0) return;
            await Task.Delay(100);
        }
    }

    private async Task<CoreSnapshot> SnapshotAsync(IReadOnlyList<string> knownCases)
    {
        var members = (await Task.WhenAll(_members.Select(m => _c.Member(m).Get()))).ToDictionary(m => m.Id, StringComparer.Ordinal);
        var cycles = new Dictionary<string, CycleView>(StringComparer.Ordinal);
        foreach (var y in _cycles.ToList()) cycles[y] = await Cycle(y).Get();
        var dealIds = _deals.Concat(members.Values.SelectMany(m => m.Deals)).Concat(members.Values.SelectMany(m => m.Holds.Select(h => h.DealId)))
            .Concat(cycles.Values.SelectMany(y => y.DealHistory)).Distinct(StringComparer.Ordinal).ToList();
        var deals = new ConcurrentDictionary<string, DealView>(StringComparer.Ordinal);
        await ForEachAsync(dealIds, async d =>
        {
            try { deals[d] = await _c.Deal(d).Get(); }
            catch (GuaranteeException ex) when (ex.Code == "deal-not-found") { }
        }, 64);
        var caseIds = knownCases.Concat(members.Values.SelectMany(m => m.Cases ?? [])).Concat(deals.Values.Select(d => d.CaseId).OfType<string>())
            .Distinct(StringComparer.Ordinal).ToList();
        var cases = new ConcurrentDictionary<string, CaseView>(StringComparer.Ordinal);
        await ForEachAsync(caseIds, async c => cases[c] = await Case(c).Get(), 64);

        var journal = new List<JournalEntry>();
        var verifications = new List<(int, JournalVerification)>();
        for (var p = 0; p < JournalPartitions.Count; p++)
        {
            var chain = Grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(_c.Id, p));
            long after = 0;
            while (true)
            {
                var page = await chain.Read(after, JournalGrain.MaxReadLimit);
                journal.AddRange(page);
                if (page.Count < JournalGrain.MaxReadLimit) break;
                after = page[^1].LocalSeq;
            }
            verifications.Add((p, await chain.Verify()));
        }
        var totals = await Grains.GetGrain<ICommunityGrain>(_c.Id).GetTotals(refresh: true);
        return new CoreSnapshot(members, deals, cases, cycles, journal, verifications, totals);
    }

    private static string Fingerprint(CoreSnapshot s) => string.Join("|",
        string.Join(";", s.Members.Values.OrderBy(m => m.Id, StringComparer.Ordinal).Select(m => $"{m.Id}:{m.Deposit.Balance}:{m.Deposit.Held}:{m.Holds.Count}:{m.Debts.Sum(d => d.Amount)}")),
        string.Join(";", s.Deals.Values.OrderBy(d => d.Id, StringComparer.Ordinal).Select(d => $"{d.Id}:{d.State}:{d.Cover.Count}")),
        string.Join(";", s.Cases.Values.OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => $"{c.Id}:{c.State}:{c.Levels.Count}:{c.Levels.Sum(l => l.Votes.Count)}")),
        string.Join(";", s.Cycles.Values.OrderBy(y => y.Id, StringComparer.Ordinal).Select(y => $"{y.Id}:{y.LastEventSeq}")),
        s.Journal.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));

    // ---- Report -------------------------------------------------------------------------------------------------------------

    /// <summary>What happened in this world: timings, outcomes per kind of operation, and the final states.</summary>
    public IEnumerable<string> Report()
    {
        yield return $"seed {seed}: {Operations} operations ({string.Join(", ", _timings)})";
        foreach (var kind in _outcomes.GroupBy(o => o.Key.Split('|')[0]).OrderBy(g => g.Key, StringComparer.Ordinal))
            yield return $"  {kind.Key} ({_elapsed.GetValueOrDefault(kind.Key) / Math.Max(1, kind.Sum(o => o.Value))} ms): " + string.Join(", ", kind.OrderByDescending(o => o.Value).Select(o => $"{(o.Key.Contains('|') ? o.Key.Split('|')[1] : "")} {o.Value}"));
        if (Final is { } s)
        {
            yield return "  deals: " + string.Join(", ", s.Deals.Values.GroupBy(d => d.State).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
            yield return "  cases: " + string.Join(", ", s.Cases.Values.GroupBy(c => c.State).Select(g => $"{g.Key} {g.Count()}"))
                + $"; levels {string.Join(",", s.Cases.Values.GroupBy(c => c.Levels.Count).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}"))}"
                + $"; councils {s.Cases.Values.Count(c => c.Levels[^1].IsCouncil)}; appeals {s.Cases.Values.Sum(c => c.Levels.Count(l => l.Outcome == CaseLevelOutcome.Appealed))}";
            yield return "  cycles: " + string.Join(", ", s.Cycles.Values.GroupBy(y => y.State).Select(g => $"{g.Key} {g.Count()}"))
                + $"; failures {s.Cycles.Values.Sum(y => y.Failures.Count)}, reassignments {s.Cycles.Values.Sum(y => y.Reassignments.Count)}";
            yield return $"  debts outstanding {s.Members.Values.Sum(m => m.Debts.Sum(d => d.Amount))}; journal {s.Journal.Count} entries";
        }
        foreach (var error in _errors.Take(5)) yield return "  unexpected: " + error;
    }
}
