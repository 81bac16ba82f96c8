using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>What a planned deal goes through.</summary>
internal enum DealKind
{
    /// <summary>Proposed, accepted, confirmed by both parties: completed.</summary>
    Completed,
    /// <summary>Accepted, then the consumer claims a defect and the provider admits it: settled from the cover.</summary>
    ClaimAdmitted,
    /// <summary>Accepted, claimed, disputed: the panel votes, the parties accept the verdict, it is executed: settled.</summary>
    ClaimDisputed,
    /// <summary>Proposed, then cancelled by the consumer before acceptance.</summary>
    Cancelled,
    /// <summary>Accepted and left covered until the load is over (its holds are checked), then completed.</summary>
    Parked,
}

internal sealed record DealPlan(int Number, DealKind Kind, string Provider, string Consumer, decimal Value, string OperationId, DateTimeOffset DueAt)
{
    public string DealId => DealIds.For(Provider, OperationId);

    /// <summary>Half the value, in cents: what the consumer claims (and what the verdict awards).</summary>
    public decimal Damage => decimal.Round(Value / 2, 2, MidpointRounding.ToZero);
}

/// <summary>
/// One deal's run through the API, with when it started and when it came to rest (terminal, or accepted for a parked
/// deal) on the suite's clock.
/// </summary>
internal sealed class DealFlow(DealPlan plan)
{
    public DealPlan Plan { get; } = plan;
    public TimeSpan? StartedAt { get; set; }
    public TimeSpan? FinishedAt { get; set; }
    public bool Parked { get; set; }
    public bool Failed { get; set; }
    public bool Running => StartedAt is not null && FinishedAt is null && !Failed;
}

/// <summary>
/// One scenario's run of the load (a fault in the middle of thousands of deals) and its figures, on the suite's clock.
/// The fault calls <see cref="FaultBegan"/> and <see cref="FaultEnded"/>.
/// </summary>
internal sealed class FaultRun(string name, Stopwatch clock, Action<string> log, int violationsBefore)
{
    private int _started, _running, _maxRunning, _contended;

    public string Name { get; } = name;
    public List<DealFlow> Flows { get; } = [];
    public List<string> CycleDeals { get; } = [];
    public string? CycleId { get; set; }
    public string CycleState { get; set; } = "not started";
    /// <summary>How many violations the client had recorded before this run (this run's are the ones after).</summary>
    public int ViolationsBefore { get; } = violationsBefore;

    public int ConcurrencyLimit { get; set; }
    public TimeSpan LoadStartedAt { get; set; }
    public TimeSpan LoadEndedAt { get; set; }
    public TimeSpan? FaultBeganAt { get; private set; }
    public TimeSpan? FaultEndedAt { get; private set; }
    public int InFlightAtFault { get; private set; }
    public int StartedAtFault { get; private set; }
    public int MaxInFlight => _maxRunning;
    public int CoverContended => _contended;
    /// <summary>From the end of the fault (the kill, or Azurite answering again) until every deal in flight at the fault came to rest.</summary>
    public TimeSpan? RecoveryTime { get; set; }
    /// <summary>From the end of the fault until the first successful call that changes something.</summary>
    public TimeSpan? FirstSuccessAfterFault { get; set; }
    /// <summary>How long the check waited for deals in a transitional state (accepting, completing, settling).</summary>
    public TimeSpan QuiesceTime { get; set; }
    /// <summary>How long completing every parked (accepted) deal took after the load.</summary>
    public TimeSpan ParkedCompletionTime { get; set; }
    public IReadOnlyDictionary<string, int> FinalStates { get; set; } = new Dictionary<string, int>();
    public int HoldsChecked { get; set; }
    public int MembersChecked { get; set; }
    public long JournalEntries { get; set; }
    public TimeSpan JournalCatchUp { get; set; }
    public TimeSpan CheckTime { get; set; }
    public string LedgerText { get; set; } = "";

    public int Started => _started;
    public int Running => _running;
    public int ParkedDeals => Flows.Count(f => f.Parked);
    public int DealsPlanned => Flows.Count;
    /// <summary>This run's deals (the cycle's included) that ended: completed, settled or cancelled.</summary>
    public int DealsDone => FinalStates.Where(s => FaultLoad.Terminal.Contains(s.Key)).Sum(s => s.Value);

    public void FaultBegan()
    {
        FaultBeganAt = clock.Elapsed;
        lock (Flows) InFlightAtFault = Flows.Count(f => f.Running);
        StartedAtFault = _started;
        log($"FAULT begins: {InFlightAtFault} deals in flight, {_started} of {Flows.Count} started");
    }

    public void FaultEnded()
    {
        FaultEndedAt = clock.Elapsed;
        log($"FAULT over ({(FaultEndedAt - FaultBeganAt)?.TotalSeconds:0.0} s after it began)");
    }

    internal int Start() => Interlocked.Increment(ref _started);

    internal void Entered()
    {
        var running = Interlocked.Increment(ref _running);
        int max;
        while (running > (max = _maxRunning) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max) { }
    }

    internal void Left() => Interlocked.Decrement(ref _running);

    internal void Contended() => Interlocked.Increment(ref _contended);
}

/// <summary>
/// The fault suite's load, entirely through the front door's API. <see cref="SeedAsync"/> builds a community (founders,
/// members guaranteed in two layers, deposits); each <see cref="RunAsync"/> then runs thousands of deals concurrently
/// (proposed, accepted, confirmed; some claimed and admitted, some disputed and judged, some cancelled, some left
/// accepted until the end) and a synergy cycle stage by stage, and calls the fault once a share of the deals has
/// started; <see cref="CheckAsync"/> checks what must hold after any fault: no deal left between two states, no hold
/// without a live deal, every deal ended, money conserved member by member and in the ledger, the journal verifying and
/// accounting for every balance. Every broken promise is a violation (a sentence); the tests assert none.
/// </summary>
internal sealed class FaultLoad(FaultApiClient api, FaultLoad.Settings settings, Stopwatch clock)
{
    public sealed record Settings(int Members, int Deals, int Concurrency, double FaultAfter);

    public const string CommunityId = "faultville";
    public const string Password = "fault-suite-password";
    public static readonly string[] Founders = ["f-ada", "f-ben", "f-cleo"];
    /// <summary>Members guaranteed by two founders each; every other member is guaranteed by two of them.</summary>
    public const int Layer1 = 20;
    public const decimal FounderDeposit = 50_000m, Layer1Deposit = 5_000m, RichDeposit = 1_000m, PoorDeposit = 20m;
    public const decimal Layer1Limit = 5_000m, Layer2Limit = 500m;
    public static readonly HashSet<string> Terminal = new(StringComparer.Ordinal) { "completed", "settled", "cancelled" };
    private static readonly HashSet<string> Transitional = new(StringComparer.Ordinal) { "accepting", "completing", "settling" };
    private static readonly (string Role, decimal Market)[] CycleStages = [("supplier", 100m), ("mason", 250m), ("carpenter", 400m), ("engineer", 150m)];

    private readonly List<string> _members = Enumerable.Range(1, settings.Members).Select(i => $"m{i:000}").ToList();
    private readonly Dictionary<string, decimal> _deposits = new(StringComparer.Ordinal);
    /// <summary>Deals of earlier runs, as last read when every one of them had ended (an ended deal never changes).</summary>
    private readonly Dictionary<string, JsonNode> _endedDeals = new(StringComparer.Ordinal);

    /// <summary>Where progress is written (the running test's output).</summary>
    public Action<string> Log { get; set; } = _ => { };

    public IReadOnlyList<string> Members => _members;
    public IEnumerable<string> Everyone => Founders.Concat(_members);
    public decimal TotalDeposited => _deposits.Values.Sum();
    public int PoorMembers => _members.Where((_, i) => IsPoor(i)).Count();
    public TimeSpan? SeedTime { get; private set; }

    // ---- Seeding ---------------------------------------------------------------------------------------------------

    /// <summary>Creates the community, signs every member up and in, builds the two guarantee layers and deposits.</summary>
    public async Task SeedAsync(string operatorKey)
    {
        var watch = Stopwatch.StartNew();
        await api.SignInAsync(FaultApiClient.Operator, operatorKey: operatorKey);
        await ExpectAsync("create community", FaultApiClient.Operator, HttpMethod.Post, "/api/communities", new
        {
            id = CommunityId,
            name = "Faultville",
            founders = Founders.Select(f => new { id = f, name = f, password = Password }),
        }, 201);
        await ForEachAsync(_members, 16, async m => await ExpectAsync("sign up", null, HttpMethod.Post, $"/api/communities/{CommunityId}/members",
            new { id = m, name = $"Member {m}", password = Password, offers = Array.Empty<string>(), needs = Array.Empty<string>() }, 201));
        await ForEachAsync(Everyone, 16, a => api.SignInAsync(a, Password));
        Log($"community created, {_members.Count} members signed up, everyone signed in ({watch.Elapsed.TotalSeconds:0.0} s)");

        await ForEachAsync(_members.Take(Layer1).Select((m, i) => (m, i)), 16, x =>
            GuaranteeAsync(x.m, [Founders[x.i % 3], Founders[(x.i + 1) % 3]], Layer1Limit));
        await ForEachAsync(_members.Skip(Layer1).Select((m, i) => (m, i)), 16, x =>
            GuaranteeAsync(x.m, [_members[x.i % Layer1], _members[(x.i + 7) % Layer1]], Layer2Limit));
        Log($"guarantees accepted ({watch.Elapsed.TotalSeconds:0.0} s)");

        foreach (var f in Founders) _deposits[f] = FounderDeposit;
        for (var i = 0; i < _members.Count; i++)
            _deposits[_members[i]] = i < Layer1 ? Layer1Deposit : IsPoor(i) ? PoorDeposit : RichDeposit;
        await ForEachAsync(_deposits, 16, async d =>
        {
            var body = await ExpectAsync("deposit", d.Key, HttpMethod.Post, $"/api/members/{d.Key}/deposits", new { operationId = $"seed-{d.Key}", amount = d.Value }, 200);
            if (Dec(body["deposited"]) != d.Value) api.Violation($"deposit of {d.Key}: answered {body.ToJsonString()}, expected deposited {d.Value}");
        });
        var ledger = await api.GetAsync(FaultApiClient.Operator, $"/api/communities/{CommunityId}/ledger?refresh=true", "ledger");
        if (Dec(ledger["deposited"]) != TotalDeposited)
            throw new FlowFailure($"after seeding the ledger says deposited {ledger["deposited"]}, expected {TotalDeposited}");
        SeedTime = watch.Elapsed;
        Log($"seeded: {Everyone.Count()} members, {TotalDeposited:0.00} deposited ({SeedTime.Value.TotalSeconds:0.0} s)");
    }

    /// <summary>Members of the second layer with a tiny deposit: their deals are covered mostly by their guarantors.</summary>
    private static bool IsPoor(int index) => index >= Layer1 && index % 5 == 0;

    private async Task GuaranteeAsync(string ward, string[] guarantors, decimal limit)
    {
        foreach (var g in guarantors)
        {
            await ExpectAsync("guarantee request", ward, HttpMethod.Post, $"/api/members/{ward}/guarantee-requests",
                new { operationId = $"req-{ward}-{g}", guarantorId = g }, 200);
            var accepted = await ExpectAsync("guarantee accept", g, HttpMethod.Post, $"/api/members/{g}/guarantees",
                new { operationId = $"acc-{ward}-{g}", wardId = ward, limit }, 200);
            if ((string?)accepted["state"] != "accepted") throw new FlowFailure($"guarantee {g} for {ward}: {accepted.ToJsonString()}");
        }
    }

    // ---- The load --------------------------------------------------------------------------------------------------

    /// <summary>A new run: its deals planned with random pairs and values (fixed seed per run), the kinds spread evenly.</summary>
    public FaultRun NewRun(string name, int seed)
    {
        var run = new FaultRun(name, clock, Log, api.Violations.Count) { ConcurrencyLimit = settings.Concurrency };
        var random = new Random(seed);
        var due = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(30), TimeSpan.Zero);
        for (var n = 0; n < settings.Deals; n++)
        {
            var provider = _members[random.Next(_members.Count)];
            string consumer;
            do consumer = _members[random.Next(_members.Count)]; while (consumer == provider);
            var value = decimal.Round(10m + (decimal)random.NextDouble() * 50m, 2);
            var kind = (n % 100) switch
            {
                < 5 => DealKind.ClaimAdmitted,
                5 => DealKind.ClaimDisputed,
                < 8 => DealKind.Cancelled,
                < 13 => DealKind.Parked,
                _ => DealKind.Completed,
            };
            run.Flows.Add(new DealFlow(new DealPlan(n, kind, provider, consumer, value, $"{name}-{n:00000}", due)));
        }
        return run;
    }

    /// <summary>
    /// Runs every deal of <paramref name="run"/> with at most <see cref="Settings.Concurrency"/> in flight, and a synergy
    /// cycle beside them; starts <paramref name="fault"/> once <see cref="Settings.FaultAfter"/> of the deals have started.
    /// Returns when every deal has come to rest (ended, or accepted if parked) and the cycle has completed.
    /// </summary>
    public async Task RunAsync(FaultRun run, Func<FaultRun, Task> fault)
    {
        run.LoadStartedAt = clock.Elapsed;
        var faultAt = (int)(settings.Deals * settings.FaultAfter);
        Task? faultTask = null;
        var cycle = RunCycleAsync(run);
        await Parallel.ForEachAsync(run.Flows, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency }, async (flow, _) =>
        {
            if (run.Start() == faultAt) faultTask = Task.Run(() => fault(run));
            if (flow.Plan.Number % 250 == 0) Log($"deal {flow.Plan.Number} starting; {run.Running} in flight");
            await RunDealAsync(run, flow);
        });
        if (faultTask is not null) await faultTask;
        await cycle;
        run.LoadEndedAt = clock.Elapsed;

        if (run.FaultEndedAt is { } ended)
        {
            var atFault = run.Flows.Where(f => f.StartedAt < run.FaultBeganAt && (f.FinishedAt is null || f.FinishedAt > run.FaultBeganAt)).ToList();
            run.RecoveryTime = atFault.Any(f => f.FinishedAt is null)
                ? null // a deal in flight at the fault never came to rest: a violation says which
                : atFault.Select(f => f.FinishedAt!.Value - ended).Append(TimeSpan.Zero).Max();
            run.FirstSuccessAfterFault = api.Calls.Where(c => c.At >= ended && c.Status is >= 200 and < 300 && c.Step != "read")
                .Select(c => c.At + c.Took - ended).DefaultIfEmpty(TimeSpan.Zero).Min();
        }
        Log($"load done in {(run.LoadEndedAt - run.LoadStartedAt).TotalSeconds:0.0} s: {run.Flows.Count(f => f.FinishedAt is not null && !f.Parked)} deals ended, " +
            $"{run.ParkedDeals} parked, {run.Flows.Count(f => f.Failed)} failed; cycle {run.CycleState}");
    }

    private async Task RunDealAsync(FaultRun run, DealFlow flow)
    {
        flow.StartedAt = clock.Elapsed;
        run.Entered();
        var p = flow.Plan;
        try
        {
            await ProposeAsync(p);
            JsonNode last;
            if (p.Kind == DealKind.Cancelled)
            {
                last = await ExpectAsync("cancel", p.Consumer, HttpMethod.Post, $"/api/deals/{p.DealId}/cancel", null, 200);
                CheckState("cancel", p, last, "cancelled");
            }
            else
            {
                last = await AcceptAsync(run, p);
                switch (p.Kind)
                {
                    case DealKind.Parked:
                        flow.Parked = true;
                        flow.FinishedAt = clock.Elapsed;
                        return;
                    case DealKind.Completed:
                        last = await ConfirmBothAsync(p);
                        break;
                    case DealKind.ClaimAdmitted:
                        await ClaimAsync(p);
                        last = await ExpectAsync("admit", p.Provider, HttpMethod.Post, $"/api/deals/{p.DealId}/claims/admit", null, 200);
                        CheckSettled("admit", p, last, p.Damage);
                        break;
                    case DealKind.ClaimDisputed:
                        await ClaimAsync(p);
                        last = await DisputeAsync(p);
                        break;
                }
            }
            if (!Terminal.Contains((string?)last["state"] ?? "")) await WaitForStateAsync(p, Terminal, "the deal to end");
            flow.FinishedAt = clock.Elapsed;
        }
        catch (FlowFailure ex)
        {
            flow.Failed = true;
            api.Violation($"{run.Name} deal {p.Number} ({p.Kind}, {p.DealId}): {ex.Message}");
        }
        finally
        {
            run.Left();
        }
    }

    private async Task ProposeAsync(DealPlan p)
    {
        var (answer, repeated) = await api.UntilAnsweredAsync(p.Provider, HttpMethod.Post, "/api/deals", new
        {
            operationId = p.OperationId,
            providerId = p.Provider,
            consumerId = p.Consumer,
            value = p.Value,
            description = $"Fault suite deal {p.OperationId}",
            dueAt = p.DueAt,
        }, "propose");
        if (answer.Status != 201) throw new FlowFailure($"propose: {answer}");
        var body = answer.Body!;
        if ((string?)body["id"] != p.DealId || (string?)body["providerId"] != p.Provider || (string?)body["consumerId"] != p.Consumer
            || Dec(body["value"]) != p.Value || (!repeated && (string?)body["state"] != "proposed"))
            api.Violation($"propose of deal {p.OperationId}: answered {body.ToJsonString()}, expected {p}");
    }

    /// <summary>Accepts as the consumer; a contended cover (money moved while it was being held) is accepted again.</summary>
    private async Task<JsonNode> AcceptAsync(FaultRun run, DealPlan p)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (answer, repeated) = await api.UntilAnsweredAsync(p.Consumer, HttpMethod.Post, $"/api/deals/{p.DealId}/accept", null, "accept");
            if (answer.Status == 200)
            {
                var state = (string?)answer.Body!["state"];
                if (state != "accepted" && !(repeated && state is "delivered" or "completed" or "claimed"))
                    api.Violation($"accept of deal {p.OperationId}: answered state {state}: {answer}");
                CheckCover(p, answer.Body!);
                return answer.Body!;
            }
            if (answer.Status == 409 && answer.Code == "cover-contended" && attempt < 20)
            {
                run.Contended();
                await Task.Delay(Random.Shared.Next(50, 300));
                continue;
            }
            throw new FlowFailure($"accept: {answer}");
        }
    }

    /// <summary>Each party's cover adds up to the deal's value (coverage ratio 1).</summary>
    private void CheckCover(DealPlan p, JsonNode deal)
    {
        var cover = deal["cover"]!.AsArray();
        foreach (var party in new[] { p.Provider, p.Consumer })
        {
            var sum = cover.Where(h => (string?)h!["forParty"] == party).Sum(h => Dec(h!["amount"]));
            if (sum != p.Value) api.Violation($"deal {p.OperationId}: the cover for {party} is {sum}, not the value {p.Value}: {deal.ToJsonString()}");
        }
    }

    /// <summary>The provider confirms (delivered), then the consumer (completed); returns the deal as the last answer (or a reading) shows it.</summary>
    private async Task<JsonNode> ConfirmBothAsync(DealPlan p)
    {
        await ConfirmAsync(p.DealId, p.OperationId, p.Provider, "delivered");
        return await ConfirmAsync(p.DealId, p.OperationId, p.Consumer, "completed");
    }

    /// <summary>A party confirms. Repeated after no answer, "already confirmed" means the first attempt took effect: the deal is read instead.</summary>
    private async Task<JsonNode> ConfirmAsync(string dealId, string name, string party, string expected)
    {
        var (answer, repeated) = await api.UntilAnsweredAsync(party, HttpMethod.Post, $"/api/deals/{dealId}/confirm", null, "confirm");
        if (answer.Status == 200)
        {
            if ((string?)answer.Body!["state"] != expected)
                api.Violation($"confirm by {party} on deal {name}: expected state {expected}, got {answer.Body.ToJsonString()}");
            return answer.Body;
        }
        if (repeated && answer.Status == 409 && answer.Code == "already-confirmed")
            return await api.GetAsync(party, $"/api/deals/{dealId}", "read");
        throw new FlowFailure($"confirm by {party}: {answer}");
    }

    private async Task ClaimAsync(DealPlan p)
    {
        var claimed = await ExpectAsync("claim", p.Consumer, HttpMethod.Post, $"/api/deals/{p.DealId}/claims",
            new { operationId = $"claim-{p.OperationId}", damage = p.Damage, reason = "Not what was agreed." }, 200);
        if ((string?)claimed["state"] is not ("claimed" or "disputed" or "settling" or "settled") || Dec(claimed["claim"]!["damage"]) != p.Damage)
            api.Violation($"claim on deal {p.OperationId}: answered {claimed.ToJsonString()}");
    }

    /// <summary>The provider disputes; every judge of the panel votes the provider at fault for the whole damage until the panel decides;
    /// the parties accept the verdict unless it is already final (the founders' council). Returns the settled deal.</summary>
    private async Task<JsonNode> DisputeAsync(DealPlan p)
    {
        var opened = await ExpectAsync("dispute", p.Provider, HttpMethod.Post, $"/api/deals/{p.DealId}/claims/dispute", null, 200);
        var caseId = (string)opened["id"]!;
        var panel = opened["panel"]!.AsArray().Select(j => (string)j!).ToList();
        if (panel.Count == 0 || panel.Contains(p.Provider) || panel.Contains(p.Consumer))
            api.Violation($"case {caseId}: the panel {string.Join(", ", panel)} is empty or holds a party");
        foreach (var judge in panel)
        {
            var current = await api.GetAsync(p.Provider, $"/api/cases/{caseId}", "read");
            if ((string?)current["state"] != "voting") break;
            var (vote, repeated) = await api.UntilAnsweredAsync(judge, HttpMethod.Post, $"/api/cases/{caseId}/votes",
                new { fault = "provider", compensation = p.Damage }, "vote");
            if (vote.Status == 200) continue;
            if (vote.Status == 409 && (vote.Code == "voting-closed" || (repeated && vote.Code == "already-voted"))) continue;
            throw new FlowFailure($"vote by {judge} in case {caseId}: {vote}");
        }
        var decided = await api.GetAsync(p.Provider, $"/api/cases/{caseId}", "read");
        if ((string?)decided["state"] == "awaitingParties")
        {
            foreach (var party in new[] { p.Provider, p.Consumer })
            {
                var accepted = await ExpectAsync("accept verdict", party, HttpMethod.Post, $"/api/cases/{caseId}/accept", null, 200);
                if ((string?)accepted["state"] is not ("awaitingParties" or "executing" or "closed"))
                    api.Violation($"accepting the verdict of case {caseId}: answered {accepted.ToJsonString()}");
            }
        }
        else if ((string?)decided["state"] is not ("executing" or "closed"))
        {
            throw new FlowFailure($"case {caseId} did not reach a verdict: {decided.ToJsonString()}");
        }
        var settled = await WaitForStateAsync(p, Terminal, "the verdict to be executed");
        CheckSettled("verdict", p, settled, p.Damage);
        return settled;
    }

    private void CheckSettled(string step, DealPlan p, JsonNode deal, decimal awarded)
    {
        var s = deal["settlement"];
        if ((string?)deal["state"] != "settled" || s is null || Dec(s["awarded"]) != awarded || Dec(s["unpaid"]) != 0
            || s["payments"]!.AsArray().Sum(x => Dec(x!["amount"])) != awarded)
            api.Violation($"{step} on deal {p.OperationId}: expected settled with {awarded} paid from the cover, got {deal.ToJsonString()}");
    }

    private void CheckState(string step, DealPlan p, JsonNode deal, string expected)
    {
        if ((string?)deal["state"] != expected) api.Violation($"{step} on deal {p.OperationId}: expected state {expected}, got {deal.ToJsonString()}");
    }

    /// <summary>Reads the deal (as its provider) until its state is one of <paramref name="states"/>.</summary>
    private async Task<JsonNode> WaitForStateAsync(DealPlan p, IReadOnlySet<string> states, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var deal = await api.GetAsync(p.Provider, $"/api/deals/{p.DealId}", "read");
            if (states.Contains((string?)deal["state"] ?? "")) return deal;
            if (watch.Elapsed > FaultApiClient.StepDeadline)
                throw new FlowFailure($"waiting {watch.Elapsed.TotalSeconds:0} s for {what}: {deal.ToJsonString()}");
            await Task.Delay(250);
        }
    }

    // ---- The synergy cycle -----------------------------------------------------------------------------------------

    /// <summary>
    /// A four-stage cycle among members with large deposits, run stage by stage beside the deals: stage k's deal is
    /// confirmed once (k+1)/5 of the deals have started, so the fault falls in the middle of the cycle.
    /// </summary>
    private async Task RunCycleAsync(FaultRun run)
    {
        var rich = _members.Where((_, i) => i >= Layer1 && !IsPoor(i)).Take(CycleStages.Length + 1).ToList();
        var organizer = rich[0];
        var stageMembers = rich.Skip(1).ToList();
        try
        {
            var designed = await ExpectAsync("cycle design", organizer, HttpMethod.Post, "/api/cycles", new
            {
                operationId = $"house-{run.Name}",
                communityId = CommunityId,
                product = "house",
                productValue = 1_200m,
                stages = stageMembers.Select((m, i) => new { role = CycleStages[i].Role, memberId = m, marketPrice = CycleStages[i].Market }),
            }, 201);
            run.CycleId = (string)designed["id"]!;
            for (var i = 0; i < stageMembers.Count; i++)
                await ExpectAsync("cycle join", stageMembers[i], HttpMethod.Post, $"/api/cycles/{run.CycleId}/stages/{i}/join", null, 200);
            var started = await ExpectAsync("cycle start", organizer, HttpMethod.Post, $"/api/cycles/{run.CycleId}/start", null, 200);
            run.CycleState = (string?)started["state"] ?? "";
            for (var k = 0; k < stageMembers.Count; k++)
            {
                while (run.Started < settings.Deals * (k + 1) / (stageMembers.Count + 1)) await Task.Delay(200);
                var cycle = await WaitForCycleAsync(run.CycleId, organizer,
                    c => (int)c["currentStage"]! == k && (string?)c["stages"]![k]!["dealState"] == "accepted", $"stage {k}'s deal to be accepted");
                var dealId = (string)cycle["stages"]![k]!["dealId"]!;
                lock (run.CycleDeals) run.CycleDeals.Add(dealId);
                var consumer = k + 1 < stageMembers.Count ? stageMembers[k + 1] : organizer;
                await ConfirmAsync(dealId, $"{run.CycleId} stage {k}", stageMembers[k], "delivered");
                await ConfirmAsync(dealId, $"{run.CycleId} stage {k}", consumer, "completed");
                Log($"cycle stage {k} confirmed by both parties");
            }
            var done = await WaitForCycleAsync(run.CycleId, organizer, c => (string?)c["state"] == "completed", "the cycle to complete");
            run.CycleState = (string?)done["state"] ?? "";
            if (done["stages"]!.AsArray().Any(s => (string?)s!["status"] != "done"))
                api.Violation($"cycle {run.CycleId} completed with a stage not done: {done.ToJsonString()}");
        }
        catch (FlowFailure ex)
        {
            run.CycleState = "failed";
            api.Violation($"cycle {run.CycleId}: {ex.Message}");
        }
    }

    private async Task<JsonNode> WaitForCycleAsync(string cycleId, string reader, Func<JsonNode, bool> done, string what)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var cycle = await api.GetAsync(reader, $"/api/cycles/{cycleId}", "read");
            if (done(cycle)) return cycle;
            if (watch.Elapsed > FaultApiClient.StepDeadline)
                throw new FlowFailure($"waiting {watch.Elapsed.TotalSeconds:0} s for {what}: {cycle.ToJsonString()}");
            await Task.Delay(500);
        }
    }

    // ---- The checks after the load ---------------------------------------------------------------------------------

    /// <summary>Every check, in order, over this run's deals and (for money and the journal) everything before it.</summary>
    public async Task CheckAsync(FaultRun run, TimeSpan recoveryLimit)
    {
        var checkWatch = Stopwatch.StartNew();
        var dealIds = run.Flows.Where(f => f.StartedAt is not null).Select(f => f.Plan.DealId).Concat(run.CycleDeals).ToList();

        // 1. No deal stays between two states: interrupted steps are finished on activation or by the recovery reminder.
        var watch = Stopwatch.StartNew();
        Dictionary<string, JsonNode> deals;
        while (true)
        {
            deals = await ReadDealsAsync(dealIds);
            var transitional = deals.Values.Count(d => Transitional.Contains((string?)d["state"] ?? ""));
            if (transitional == 0) break;
            if (watch.Elapsed > recoveryLimit)
            {
                api.Violation($"{transitional} deals are still accepting, completing or settling {watch.Elapsed.TotalSeconds:0} s after the load");
                break;
            }
            await Task.Delay(1_000);
        }
        run.QuiesceTime = watch.Elapsed;
        foreach (var f in run.Flows.Where(f => f.FinishedAt is not null && !f.Parked))
            if (!Terminal.Contains((string?)deals[f.Plan.DealId]["state"] ?? ""))
                api.Violation($"deal {f.Plan.OperationId} finished its flow but is {deals[f.Plan.DealId]["state"]}");
        foreach (var f in run.Flows.Where(f => f.Parked))
            if ((string?)deals[f.Plan.DealId]["state"] != "accepted")
                api.Violation($"parked deal {f.Plan.OperationId} is {deals[f.Plan.DealId]["state"]}, not accepted");

        // 2. No hold without a live deal, and no live deal without its holds: the members' holds are exactly the covers of
        //    the deals still accepted (the parked ones; every earlier deal has ended).
        var members = await ReadMembersAsync();
        var held = members.SelectMany(m => m.Value["holds"]!.AsArray().Select(h => HoldKey(m.Key, h!))).ToList();
        var covered = deals.Values.Where(d => (string?)d["state"] is "accepted" or "delivered" or "claimed" or "disputed")
            .SelectMany(d => d["cover"]!.AsArray().Select(h => CoverKey((string)d["id"]!, h!))).ToList();
        run.HoldsChecked = held.Count;
        foreach (var extra in Except(held, covered).Take(20)) api.Violation($"a hold without a live deal: {extra}");
        foreach (var missing in Except(covered, held).Take(20)) api.Violation($"a live deal's cover is not held: {missing}");
        foreach (var (id, m) in members)
        {
            var sum = m["holds"]!.AsArray().Sum(h => Dec(h!["amount"]));
            if (sum != Dec(m["deposit"]!["held"])) api.Violation($"{id}: held {m["deposit"]!["held"]} but its holds add up to {sum}");
        }
        Log($"no deal between two states after {run.QuiesceTime.TotalSeconds:0.0} s; {held.Count} holds, exactly the covers of the live deals");

        // 3. The parked deals complete.
        watch.Restart();
        await ForEachAsync(run.Flows.Where(f => f.Parked), 16, async f =>
        {
            try
            {
                var last = await ConfirmBothAsync(f.Plan);
                if ((string?)last["state"] != "completed") await WaitForStateAsync(f.Plan, Terminal, "the parked deal to complete");
            }
            catch (FlowFailure ex)
            {
                api.Violation($"parked deal {f.Plan.OperationId}: {ex.Message}");
            }
        });
        run.ParkedCompletionTime = watch.Elapsed;
        Log($"{run.ParkedDeals} parked deals completed in {run.ParkedCompletionTime.TotalSeconds:0.0} s");

        // 4. Every deal has ended, and every member's balance is its deposit plus what settlements paid it, minus what they
        //    took (this run's deals and every earlier one).
        deals = await ReadDealsAsync(dealIds);
        run.FinalStates = deals.Values.GroupBy(d => (string?)d["state"] ?? "?").ToDictionary(g => g.Key, g => g.Count());
        foreach (var (id, d) in deals.Where(d => !Terminal.Contains((string?)d.Value["state"] ?? "")).Take(20))
            api.Violation($"deal {id} is {d["state"]} at the end");
        foreach (var (id, d) in deals) _endedDeals[id] = d;
        var expected = new Dictionary<string, decimal>(_deposits, StringComparer.Ordinal);
        var paid = 0m;
        foreach (var d in _endedDeals.Values.Where(d => d["settlement"] is not null))
            foreach (var payment in d["settlement"]!["payments"]!.AsArray())
            {
                var amount = Dec(payment!["amount"]);
                expected[(string)payment["fromMemberId"]!] -= amount;
                expected[(string)payment["toMemberId"]!] += amount;
                paid += amount;
            }
        members = await ReadMembersAsync();
        run.MembersChecked = members.Count;
        foreach (var (id, m) in members)
        {
            var deposit = m["deposit"]!;
            if (Dec(deposit["balance"]) != expected[id])
                api.Violation($"{id}: balance {deposit["balance"]}, but its deposits and the settlements make {expected[id]}");
            if (Dec(deposit["held"]) != 0 || m["holds"]!.AsArray().Count != 0)
                api.Violation($"{id}: still holds {deposit["held"]} after every deal ended: {m["holds"]!.ToJsonString()}");
        }

        // 5. The ledger: nothing created or destroyed.
        var ledger = await api.GetAsync(FaultApiClient.Operator, $"/api/communities/{CommunityId}/ledger?refresh=true", "ledger");
        var balances = members.Values.Sum(m => Dec(m["deposit"]!["balance"]));
        if (Dec(ledger["deposited"]) != TotalDeposited || Dec(ledger["withdrawn"]) != 0 || Dec(ledger["sumOfBalances"]) != TotalDeposited
            || Dec(ledger["sumOfHeld"]) != 0 || ledger["balanced"]?.GetValue<bool>() != true || balances != TotalDeposited
            || Dec(ledger["transferredIn"]) != paid || Dec(ledger["transferredOut"]) != paid)
            api.Violation($"ledger {ledger.ToJsonString()}: expected deposited = sum of balances = {TotalDeposited}, nothing held, " +
                $"{paid} transferred each way; the members' balances add up to {balances}");
        run.LedgerText = $"deposited {Dec(ledger["deposited"]):0.00} = sum of balances {Dec(ledger["sumOfBalances"]):0.00} (expected {TotalDeposited:0.00}); " +
            $"held {Dec(ledger["sumOfHeld"]):0.00}; transferred {Dec(ledger["transferredIn"]):0.00} in = {Dec(ledger["transferredOut"]):0.00} out";
        Log($"ledger {ledger.ToJsonString()}");

        // 6. The journal verifies, and each member's entries, numbered 1, 2, 3... without a gap, account for its balance.
        await CheckJournalAsync(run, members, recoveryLimit);
        run.CheckTime = checkWatch.Elapsed;
    }

    private async Task CheckJournalAsync(FaultRun run, IReadOnlyDictionary<string, JsonNode> members, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        List<string> problems;
        while (true)
        {
            var entries = await ReadJournalAsync();
            run.JournalEntries = entries.Count;
            problems = [];
            var bySource = entries.GroupBy(e => (string?)e["source"] ?? "").ToDictionary(g => g.Key, g => g.OrderBy(e => (long)e["sourceSeq"]!).ToList());
            foreach (var (id, m) in members)
            {
                var mine = bySource.GetValueOrDefault($"member:{id}") ?? [];
                var seqs = mine.Select(e => (long)e["sourceSeq"]!).ToList();
                if (!seqs.SequenceEqual(Enumerable.Range(1, seqs.Count).Select(i => (long)i)))
                    problems.Add($"{id}'s journal records are not numbered 1..{seqs.Count} without a gap: {string.Join(",", seqs.Take(30))}");
                var money = mine.Where(e => (string?)e["kind"] is "deposit" or "withdraw" or "transfer-in" or "transfer-out")
                    .Sum(e => ((string?)e["kind"] is "deposit" or "transfer-in" ? 1 : -1) * Dec(e["data"]!["amount"]));
                if (money != Dec(m["deposit"]!["balance"]))
                    problems.Add($"{id}'s journal money entries add up to {money}, its balance is {m["deposit"]!["balance"]}");
                var lastMoney = mine.LastOrDefault(e => e["data"]?["balanceAfter"] is not null);
                if (lastMoney is not null && (Dec(lastMoney["data"]!["heldAfter"]) != 0 || Dec(lastMoney["data"]!["balanceAfter"]) != Dec(m["deposit"]!["balance"])))
                    problems.Add($"{id}'s last journal money entry says balance {lastMoney["data"]!["balanceAfter"]}, held {lastMoney["data"]!["heldAfter"]}");
            }
            var seen = entries.Select(e => (long)e["seq"]!).ToList();
            if (seen.Distinct().Count() != seen.Count) problems.Add("the journal lists an entry number twice");
            var verify = await api.GetAsync(FaultApiClient.Operator, $"/api/communities/{CommunityId}/journal/verify", "read");
            if (verify["ok"]?.GetValue<bool>() != true) problems.Add($"the journal does not verify: {verify.ToJsonString()}");
            else if ((long)verify["entries"]! < entries.Count) problems.Add($"verify checked {verify["entries"]} entries, {entries.Count} were read");
            if (problems.Count == 0 || watch.Elapsed > limit) break;
            Log($"journal not caught up yet ({problems.Count} problems, e.g. {problems[0]}); reading again");
            await Task.Delay(3_000);
        }
        run.JournalCatchUp = watch.Elapsed;
        foreach (var p in problems.Take(20)) api.Violation(p);
        Log($"journal: {run.JournalEntries} entries read and verified in {run.JournalCatchUp.TotalSeconds:0.0} s");
    }

    /// <summary>The whole journal, through the API's pages of 1000.</summary>
    private async Task<List<JsonNode>> ReadJournalAsync()
    {
        var entries = new List<JsonNode>();
        long after = 0;
        while (true)
        {
            var page = (await api.GetAsync(FaultApiClient.Operator, $"/api/communities/{CommunityId}/journal?after={after}&limit=1000", "read")).AsArray();
            if (page.Count == 0) return entries;
            entries.AddRange(page.Select(e => e!));
            after = (long)page[^1]!["seq"]!;
        }
    }

    private async Task<Dictionary<string, JsonNode>> ReadDealsAsync(IReadOnlyList<string> ids)
    {
        var deals = new ConcurrentDictionary<string, JsonNode>(StringComparer.Ordinal);
        await ForEachAsync(ids, 16, async id => deals[id] = await api.GetAsync(FaultApiClient.Operator, $"/api/deals/{id}", "read"));
        return new Dictionary<string, JsonNode>(deals, StringComparer.Ordinal);
    }

    private async Task<Dictionary<string, JsonNode>> ReadMembersAsync()
    {
        var members = new ConcurrentDictionary<string, JsonNode>(StringComparer.Ordinal);
        await ForEachAsync(Everyone, 16, async id => members[id] = await api.GetAsync(FaultApiClient.Operator, $"/api/members/{id}", "read"));
        return new Dictionary<string, JsonNode>(members, StringComparer.Ordinal);
    }

    private static string HoldKey(string member, JsonNode h) =>
        $"{(string?)h["dealId"]} {member} {Dec(h["amount"]).ToString("0.00", CultureInfo.InvariantCulture)} for {(string?)h["forParty"]} via {(string?)h["viaWardId"] ?? "-"}";

    private static string CoverKey(string dealId, JsonNode h) =>
        $"{dealId} {(string?)h["memberId"]} {Dec(h["amount"]).ToString("0.00", CultureInfo.InvariantCulture)} for {(string?)h["forParty"]} via {(string?)h["viaWardId"] ?? "-"}";

    /// <summary>The items of <paramref name="a"/> not matched one for one in <paramref name="b"/>.</summary>
    private static IEnumerable<string> Except(IEnumerable<string> a, IEnumerable<string> b)
    {
        var left = b.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var x in a)
        {
            if (left.TryGetValue(x, out var n) && n > 0) left[x] = n - 1;
            else yield return x;
        }
    }

    // ---- Helpers and figures -------------------------------------------------------------------------------------------

    /// <summary>A call that must be answered with <paramref name="status"/> (repeated while the cluster does not answer).</summary>
    private async Task<JsonNode> ExpectAsync(string step, string? actor, HttpMethod method, string path, object? body, int status)
    {
        var (answer, _) = await api.UntilAnsweredAsync(actor, method, path, body, step);
        if (answer.Status != status || answer.Body is null) throw new FlowFailure($"{step}: {method} {path}: expected {status}, got {answer}");
        return answer.Body;
    }

    private static decimal Dec(JsonNode? node) => node!.GetValue<decimal>();

    private static Task ForEachAsync<T>(IEnumerable<T> items, int parallel, Func<T, Task> body) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (x, _) => await body(x));

    /// <summary>The calls answered with a 5xx or not at all, by status, code and step, whose answer (or timeout) came from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public IReadOnlyList<(string What, int Count)> ErrorsBetween(TimeSpan from, TimeSpan to) =>
        api.Calls.Where(c => c.At + c.Took >= from && c.At + c.Took < to && (c.Status == 0 || c.Status >= 500))
            .GroupBy(c => $"{(c.Status == 0 ? $"no answer in {FaultApiClient.RequestTimeout.TotalSeconds:0} s" : $"{c.Status} {c.Code}")} ({c.Step})")
            .Select(g => (g.Key, g.Count())).OrderByDescending(x => x.Item2).ToList();

    /// <summary>Per step: how many calls, and the median, 95th percentile and longest time to an answer.</summary>
    public IReadOnlyList<(string Step, int Count, TimeSpan Median, TimeSpan P95, TimeSpan Max)> Latencies(TimeSpan from, TimeSpan to) =>
        api.Calls.Where(c => c.At >= from && c.At < to).GroupBy(c => c.Step).Select(g =>
        {
            var sorted = g.Select(c => c.Took).Order().ToList();
            return (g.Key, sorted.Count, sorted[sorted.Count / 2], sorted[(int)(sorted.Count * 0.95)], sorted[^1]);
        }).OrderByDescending(x => x.Count).ToList();

    public int CallsBetween(TimeSpan from, TimeSpan to) => api.Calls.Count(c => c.At >= from && c.At < to);

    public int RepeatsBetween(TimeSpan from, TimeSpan to) => api.Calls.Count(c => c.At >= from && c.At < to && c.Repeat);
}
