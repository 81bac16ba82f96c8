using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace OrleansGuarantee.Demo;

/// <summary>A step of the plan that cannot be carried out (the API refused it for a reason that will not pass).</summary>
public sealed class SeedingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What one phase did: how many planned items it made now, and how many it found already there.</summary>
public sealed record PhaseResult(string Name, int Made, int Existing, int Failed);

/// <summary>What seeding left: per phase results, the ids to show at the end, and the failures.</summary>
public sealed record SeedOutcome(IReadOnlyList<PhaseResult> Phases, IReadOnlyList<string> Failures, IReadOnlyDictionary<string, string> CycleIds,
    IReadOnlyDictionary<string, string> CaseIds);

/// <summary>
/// Brings the demo community to <see cref="DemoPlan"/> through the public HTTP API only, as any client would:
/// it reads what exists (as the operator, which costs no password check), then does only what is missing, each
/// action with a deterministic operation id. A second run therefore finds everything and changes nothing; a run
/// that was interrupted carries on where it stopped. Deals, cases and cycles are driven as small state machines:
/// read the state, take the one action that moves it toward its goal, repeat.
/// </summary>
public sealed class Seeder(DemoApi api, DemoPlan plan, Progress progress)
{
    private const string Op = DemoApi.Operator;
    private const int Parallelism = 8;
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, JsonNode> _views = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly List<PhaseResult> _phases = [];
    private readonly ConcurrentDictionary<string, string> _cycleIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _caseIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<JsonNode>>>> _dealsOf = new(StringComparer.Ordinal);
    private DateTimeOffset _dueBase;

    private string Community => plan.CommunityId;

    // ---- Steps (for the progress bar) -----------------------------------------------------------

    /// <summary>Every action of the plan counted once: what the bar's total is made of.</summary>
    public static int CountSteps(DemoPlan plan) =>
        1
        + plan.Members.Count(m => m.Tier != Tier.Founder)
        + plan.Members.Count(m => m.Deposit > 0) + plan.Members.Count(m => m.Withdrawal > 0)
        + plan.Guarantees.Sum(g => g.Accepted ? 2 : 1)
        + plan.Contacts.Sum(c => c.Mutual ? 2 : 1)
        + plan.Deals.Sum(StepsOf)
        + plan.Cycles.Sum(StepsOf)
        + plan.WithdrawnGuarantees.Count;

    /// <summary>The actions that take a deal to its goal: propose, accept, confirmations, claim, answer, votes, answers to verdicts.</summary>
    public static int StepsOf(DemoDeal d) => d.Goal switch
    {
        DealGoal.Proposed => 1,
        DealGoal.Cancelled or DealGoal.Accepted => 2,
        DealGoal.Delivered or DealGoal.ClaimOpen => 3,
        DealGoal.Completed or DealGoal.ClaimAdmitted => 4,
        _ => 4 + (d.Case?.Levels.Sum(l => (l.Voting switch { Voting.OneVote => 1, Voting.Verdict => 3, Voting.Tie => 4, _ => 0 })
            + (l.Answer switch { PartyAnswer.BothAccept => 2, PartyAnswer.None => 0, _ => 1 })) ?? 0),
    };

    /// <summary>The actions that take a cycle to its goal: design, joins, start, two confirmations per stage run, and for a
    /// failed stage its claim, the admission, the reassignment and the new member's join.</summary>
    public static int StepsOf(DemoCycle c)
    {
        var n = c.Stages.Count;
        if (c.Goal == CycleGoal.Recruiting) return 1 + c.JoinedCount;
        var stagesRun = c.Goal == CycleGoal.Completed ? n : c.GoalStage;
        return 1 + n + 1 + 2 * stagesRun + (c.FailStage is not null ? 4 : 0);
    }

    // ---- The run --------------------------------------------------------------------------------

    public async Task<SeedOutcome> RunAsync(CancellationToken cancel)
    {
        progress.Phase("community");
        await CommunityAsync(cancel);
        progress.Phase("members");
        await MembersAsync(cancel);
        progress.Phase("deposits");
        await DepositsAsync(cancel);
        foreach (var round in plan.Guarantees.Select(g => g.Round).Distinct().Order())
        {
            progress.Phase($"guarantees (round {round})");
            await GuaranteesAsync(round, cancel);
        }
        progress.Phase("contacts");
        await ContactsAsync(cancel);
        progress.Phase("deals, claims and cases");
        await ItemsAsync("deals", plan.Deals, 6, d => StepsOf(d), DealAsync, cancel);
        progress.Phase("synergy cycles");
        await ItemsAsync("cycles", plan.Cycles, plan.Cycles.Count, c => StepsOf(c), CycleAsync, cancel);
        progress.Phase("withdrawals");
        await WithdrawalsAsync(cancel);
        return new SeedOutcome(_phases, _failures.ToList(), _cycleIds, _caseIds);
    }

    private void Report(string name, int made, int existing, int failed = 0)
    {
        var result = new PhaseResult(name, made, existing, failed);
        lock (_phases) _phases.Add(result);
        var text = made == 0 && failed == 0
            ? $"  {name}: already seeded ({existing})"
            : $"  {name}: {made} made" + (existing > 0 ? $", {existing} already there" : "") + (failed > 0 ? $", {failed} FAILED" : "");
        progress.Line(text);
    }

    private void Fail(string what, Exception ex)
    {
        var message = $"{what}: {(ex is ApiProblemException p ? $"{(int)p.Status} {p.Code}: {p.Title}" : ex.Message)}";
        _failures.Enqueue(message);
        progress.Line("  FAILED " + message);
    }

    // ---- Community and members ------------------------------------------------------------------

    private async Task CommunityAsync(CancellationToken cancel)
    {
        var community = await api.FindAsync(Op, $"/api/communities/{Community}", cancel);
        var made = 0;
        if (community is null)
        {
            try
            {
                community = await api.PostAsync(Op, "/api/communities", new
                {
                    id = Community,
                    name = plan.CommunityName,
                    founders = plan.Founders.Select(f => new { id = f.Id, name = f.Name, password = plan.Password }),
                }, cancel);
                made = 1;
            }
            catch (ApiProblemException ex) when (ex.Code == "community-exists")
            {
                community = await api.GetAsync(Op, $"/api/communities/{Community}", cancel);
            }
            catch (ApiProblemException ex) when (ex.Code == "member-exists")
            {
                throw new SeedingException($"A founder id of the demo ({string.Join(", ", plan.Founders.Select(f => f.Id))}) is already a member " +
                    $"of another community: seed into a fresh data folder (run.sh --data-dir DIR --demo). {ex.Title}", ex);
            }
        }
        var founders = community.Items("founders").Select(f => f.Str("id")).ToHashSet(StringComparer.Ordinal);
        if (!plan.Founders.All(f => founders.Contains(f.Id)))
            throw new SeedingException($"Community '{Community}' exists with other founders ({string.Join(", ", founders)}): it was not made by " +
                "this seeder. Seed into a fresh data folder (run.sh --data-dir DIR --demo).");
        var createdAt = DateTimeOffset.Parse(community.Str("createdAt"), CultureInfo.InvariantCulture);
        // Due dates count from the community's creation, so a repeated proposal carries the same terms.
        _dueBase = new DateTimeOffset(createdAt.UtcDateTime.Date, TimeSpan.Zero).AddHours(18);
        progress.Advance(1, Community);
        Report("community", made, 1 - made);
    }

    private async Task MembersAsync(CancellationToken cancel)
    {
        int made = 0, existing = 0, failed = 0;
        await ForEachAsync(plan.Members, Parallelism, async m =>
        {
            var view = await api.FindAsync(Op, $"/api/members/{m.Id}", cancel);
            if (view is null && m.Tier != Tier.Founder)
            {
                try
                {
                    view = await api.PostAsync(null, $"/api/communities/{Community}/members", new
                    {
                        id = m.Id, name = m.Name, password = plan.Password, offers = m.Offers, needs = m.Needs, location = m.Location,
                    }, cancel);
                    Interlocked.Increment(ref made);
                }
                catch (ApiProblemException ex) when (ex.Code == "member-exists")
                {
                    view = await api.GetAsync(Op, $"/api/members/{m.Id}", cancel); // an earlier attempt's answer was lost
                }
            }
            else if (m.Tier != Tier.Founder)
            {
                Interlocked.Increment(ref existing);
            }
            if (view is null)
                throw new SeedingException($"Founder {m.Id} is missing although community '{Community}' exists.");
            if (view.Str("communityId") != Community)
            {
                Interlocked.Increment(ref failed);
                Fail($"member {m.Id}", new SeedingException($"the id is taken by a member of community {view.Str("communityId")}"));
                return;
            }
            _views[m.Id] = view;
            if (m.Tier != Tier.Founder) progress.Advance(1, $"{m.Id} ({m.Tier.ToString().ToLowerInvariant()})");
        }, cancel);
        Report("members", made, existing, failed);
    }

    private JsonNode? View(string memberId) => _views.GetValueOrDefault(memberId);

    private async Task DepositsAsync(CancellationToken cancel)
    {
        int made = 0, existing = 0, failed = 0;
        await ForEachAsync(plan.Members.Where(m => m.Deposit > 0 || m.Withdrawal > 0), Parallelism, async m =>
        {
            if (View(m.Id) is not { } view) return;
            var account = view["deposit"]!;
            try
            {
                if (m.Deposit > 0)
                {
                    if (account.Dec("deposited") >= m.Deposit)
                    {
                        Interlocked.Increment(ref existing);
                        progress.Advance(1);
                    }
                    else
                    {
                        await api.PostAsync(m.Id, $"/api/members/{m.Id}/deposits", new { operationId = "demo-deposit", amount = m.Deposit }, cancel);
                        Interlocked.Increment(ref made);
                        progress.Advance(1, $"{m.Id} deposits {Money(m.Deposit)}");
                    }
                }
                if (m.Withdrawal > 0)
                {
                    if (account.Dec("withdrawn") >= m.Withdrawal)
                    {
                        Interlocked.Increment(ref existing);
                        progress.Advance(1);
                    }
                    else
                    {
                        await api.PostAsync(m.Id, $"/api/members/{m.Id}/withdrawals", new { operationId = "demo-withdrawal", amount = m.Withdrawal }, cancel);
                        Interlocked.Increment(ref made);
                        progress.Advance(1, $"{m.Id} withdraws {Money(m.Withdrawal)}");
                    }
                }
            }
            catch (ApiProblemException ex)
            {
                Interlocked.Increment(ref failed);
                Fail($"deposit of {m.Id}", ex);
            }
        }, cancel);
        Report("deposits and withdrawals", made, existing, failed);
    }

    // ---- Guarantees and contacts ----------------------------------------------------------------

    private async Task GuaranteesAsync(int round, CancellationToken cancel)
    {
        int made = 0, existing = 0, failed = 0;
        var wards = plan.Guarantees.Where(g => g.Round == round).GroupBy(g => g.WardId);
        await ForEachAsync(wards, Parallelism, async ward =>
        {
            if (View(ward.Key) is not { } view) return;
            var guarantors = view.Items("guarantors").Select(g => g.Str("memberId")).ToHashSet(StringComparer.Ordinal);
            var requested = view.Strings("guaranteeRequestsSent").ToHashSet(StringComparer.Ordinal);
            foreach (var g in ward)
            {
                try
                {
                    if (guarantors.Contains(g.GuarantorId) || !g.Accepted && requested.Contains(g.GuarantorId))
                    {
                        Interlocked.Increment(ref existing);
                        progress.Advance(g.Accepted ? 2 : 1);
                        continue;
                    }
                    if (!requested.Contains(g.GuarantorId))
                        await api.PostAsync(g.WardId, $"/api/members/{g.WardId}/guarantee-requests",
                            new { operationId = $"demo-ask-{g.GuarantorId}", guarantorId = g.GuarantorId }, cancel);
                    progress.Advance(1, $"{g.WardId} asks {g.GuarantorId}");
                    if (g.Accepted)
                    {
                        await api.PostAsync(g.GuarantorId, $"/api/members/{g.GuarantorId}/guarantees",
                            new { operationId = $"demo-guarantee-{g.WardId}", wardId = g.WardId, limit = g.Limit }, cancel);
                        progress.Advance(1, $"{g.GuarantorId} guarantees {g.WardId} up to {Money(g.Limit)}");
                    }
                    Interlocked.Increment(ref made);
                }
                catch (ApiProblemException ex)
                {
                    Interlocked.Increment(ref failed);
                    Fail($"guarantee of {g.GuarantorId} for {g.WardId}", ex);
                }
            }
        }, cancel);
        Report($"guarantees of round {round}", made, existing, failed);
    }

    private async Task ContactsAsync(CancellationToken cancel)
    {
        int made = 0, existing = 0, failed = 0;
        await ForEachAsync(plan.Contacts, Parallelism, async c =>
        {
            if (View(c.FromId) is not { } from) return;
            var established = from.Strings("contacts").Contains(c.ToId);
            var asked = from.Strings("contactRequestsSent").Contains(c.ToId);
            if (established || !c.Mutual && asked)
            {
                Interlocked.Increment(ref existing);
                progress.Advance(c.Mutual ? 2 : 1);
                return;
            }
            try
            {
                if (!asked) await api.PostAsync(c.FromId, $"/api/members/{c.FromId}/contacts", new { memberId = c.ToId }, cancel);
                progress.Advance(1, $"{c.FromId} asks {c.ToId} to be a contact");
                if (c.Mutual)
                {
                    await api.PostAsync(c.ToId, $"/api/members/{c.ToId}/contacts", new { memberId = c.FromId }, cancel);
                    progress.Advance(1, $"{c.ToId} and {c.FromId} are contacts");
                }
                Interlocked.Increment(ref made);
            }
            catch (ApiProblemException ex)
            {
                Interlocked.Increment(ref failed);
                Fail($"contact {c.FromId} - {c.ToId}", ex);
            }
        }, cancel);
        Report("contacts", made, existing, failed);
    }

    // ---- Deals, claims and cases ----------------------------------------------------------------

    /// <summary>Counts the steps of one deal or cycle, the rest at once when it ends (however far it already was).</summary>
    private sealed class ItemSteps(Progress progress, int total)
    {
        private int _used;

        public bool Acted { get; private set; }

        public void Did(string detail)
        {
            Acted = true;
            var step = _used < total ? 1 : 0;
            _used += step;
            progress.Advance(step, detail);
        }

        public void Complete()
        {
            progress.Advance(total - _used);
            _used = total;
        }
    }

    private async Task ItemsAsync<T>(string name, IReadOnlyList<T> items, int parallelism, Func<T, int> steps,
        Func<T, ItemSteps, CancellationToken, Task> drive, CancellationToken cancel)
    {
        int made = 0, existing = 0, failed = 0;
        await ForEachAsync(items, parallelism, async item =>
        {
            var counter = new ItemSteps(progress, steps(item));
            try
            {
                await drive(item, counter, cancel);
                Interlocked.Increment(ref counter.Acted ? ref made : ref existing);
            }
            catch (Exception ex) when (ex is ApiProblemException or SeedingException or TimeoutException)
            {
                Interlocked.Increment(ref failed);
                Fail($"{name[..^1]} {item}", ex);
            }
            finally
            {
                counter.Complete();
            }
        }, cancel);
        Report(name, made, existing, failed);
    }

    /// <summary>The deals <paramref name="memberId"/> takes part in, read once per run (as the operator).</summary>
    private Task<IReadOnlyList<JsonNode>> DealsOfAsync(string memberId, CancellationToken cancel) =>
        _dealsOf.GetOrAdd(memberId, id => new Lazy<Task<IReadOnlyList<JsonNode>>>(async () =>
        {
            var view = await api.GetAsync(Op, $"/api/members/{id}", cancel);
            var deals = await Task.WhenAll(view.Strings("deals").Select(d => api.GetAsync(Op, $"/api/deals/{d}", cancel)));
            return deals;
        })).Value;

    private async Task DealAsync(DemoDeal d, ItemSteps steps, CancellationToken cancel)
    {
        // An earlier run's deal is recognised by its terms; otherwise it is proposed with the plan's operation id.
        var deal = (await DealsOfAsync(d.ProposerId, cancel)).FirstOrDefault(x =>
            x.Str("proposedBy") == d.ProposerId && x.Str("providerId") == d.ProviderId && x.Str("consumerId") == d.ConsumerId
            && x.Dec("value") == d.Value && x.Str("description") == d.Description);
        if (deal is null)
        {
            var due = _dueBase.AddDays(d.DueInDays);
            if (due <= DateTimeOffset.UtcNow.AddHours(1)) due = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(d.DueInDays).AddHours(18);
            deal = await api.PostAsync(d.ProposerId, "/api/deals", new
            {
                operationId = $"demo-deal-{d.Key}",
                providerId = d.ProviderId,
                consumerId = d.ConsumerId,
                value = d.Value,
                description = d.Description,
                dueAt = due,
            }, cancel);
            steps.Did($"{d.ProposerId} proposes {d.Key}");
        }
        var id = deal.Str("id");
        var until = DateTime.UtcNow + SettleTimeout;
        for (var turn = 0; ; turn++)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"deal {id} did not reach {d.Goal} in {SettleTimeout.TotalSeconds:0}s (it is {deal.Str("state")})");
            var state = deal.Str("state");
            var confirmed = deal.Strings("confirmedBy");
            JsonNode? next = null;
            switch (state)
            {
                case "proposed" when d.Goal == DealGoal.Proposed:
                    return;
                case "proposed" when d.Goal == DealGoal.Cancelled:
                    next = await api.PostAsync(d.ProposerId, $"/api/deals/{id}/cancel", null, cancel);
                    steps.Did($"{d.ProposerId} cancels {d.Key}");
                    break;
                case "proposed":
                    next = await api.PostAsync(d.OtherPartyId, $"/api/deals/{id}/accept", null, cancel);
                    steps.Did($"{d.OtherPartyId} accepts {d.Key}");
                    break;
                case "accepted" or "delivered" when d.Goal == DealGoal.Accepted:
                    return;
                case "accepted" or "delivered" when d.Goal is DealGoal.ClaimOpen or DealGoal.ClaimAdmitted or DealGoal.Disputed:
                    next = await api.PostAsync(d.ConsumerId, $"/api/deals/{id}/claims",
                        new { operationId = "demo-claim", damage = d.Damage, reason = d.Reason }, cancel);
                    steps.Did($"{d.ConsumerId} claims {Money(d.Damage)} on {d.Key}");
                    break;
                case "accepted" or "delivered" when !confirmed.Contains(d.ProviderId):
                    next = await api.PostAsync(d.ProviderId, $"/api/deals/{id}/confirm", null, cancel);
                    steps.Did($"{d.ProviderId} confirms delivery of {d.Key}");
                    break;
                case "delivered" when d.Goal == DealGoal.Delivered:
                    return;
                case "accepted" or "delivered":
                    next = await api.PostAsync(d.ConsumerId, $"/api/deals/{id}/confirm", null, cancel);
                    steps.Did($"{d.ConsumerId} confirms {d.Key}");
                    break;
                case "claimed" when d.Goal == DealGoal.ClaimOpen:
                    return;
                case "claimed" when d.Goal == DealGoal.ClaimAdmitted:
                    next = await api.PostAsync(d.ProviderId, $"/api/deals/{id}/claims/admit", null, cancel);
                    steps.Did($"{d.ProviderId} admits the claim on {d.Key}");
                    break;
                case "claimed":
                    await api.PostAsync(d.ProviderId, $"/api/deals/{id}/claims/dispute", null, cancel);
                    steps.Did($"{d.ProviderId} disputes the claim on {d.Key}");
                    break;
                case "disputed" or "settling" or "settled" when d.Case is not null && deal.StrOrNull("caseId") is { } caseId:
                    _caseIds[d.Key] = caseId;
                    await CaseAsync(d, caseId, steps, cancel);
                    return;
                case "completed" or "cancelled" or "settled":
                    return;
                case "accepting" or "completing" or "settling":
                    await Task.Delay(200, cancel); // a multi-grain step still running: read again
                    break;
                default:
                    throw new SeedingException($"deal {id} is {state}, which does not lead to {d.Goal}");
            }
            deal = next ?? await api.GetAsync(Op, $"/api/deals/{id}", cancel);
        }
    }

    private async Task CaseAsync(DemoDeal d, string caseId, ItemSteps steps, CancellationToken cancel)
    {
        var script = d.Case!;
        var until = DateTime.UtcNow + SettleTimeout;
        var c = await api.GetAsync(Op, $"/api/cases/{caseId}", cancel);
        while (true)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"case {caseId} did not reach its goal ({script.Story}) in {SettleTimeout.TotalSeconds:0}s");
            var levelNumber = c.Int("level");
            if (levelNumber > script.Levels.Count) return; // further than planned (someone appealed meanwhile): leave it
            var level = script.Levels[levelNumber - 1];
            var current = c.Items("levels")[^1];
            var votes = current.Items("votes");
            var panel = current.Strings("panel").Order(StringComparer.Ordinal).ToList();
            var state = c.Str("state");
            switch (state)
            {
                case "voting":
                {
                    var voted = votes.Select(v => v.Str("judgeId")).ToHashSet(StringComparer.Ordinal);
                    var wanted = level.Voting switch { Voting.None => 0, Voting.OneVote => 1, _ => panel.Count };
                    if (votes.Count >= wanted) return; // the level votes on from here (judges can sign in and vote)
                    var index = panel.FindIndex(j => !voted.Contains(j));
                    var judge = panel[index];
                    var fault = level.Voting == Voting.Tie ? (index < panel.Count / 2 ? "provider" : "consumer") : level.Fault;
                    var compensation = fault == "neither" ? 0m : Math.Min(d.Damage, Math.Round(d.Damage * (0.6m + 0.1m * index), 2));
                    c = await api.PostAsync(judge, $"/api/cases/{caseId}/votes", new { fault, compensation }, cancel);
                    steps.Did($"{judge} votes {fault} in the case of {d.Key}");
                    continue;
                }
                case "awaitingParties":
                {
                    var accepted = current.Strings("acceptedBy");
                    var respondent = d.ProviderId; // the consumer files the demo's claims
                    switch (level.Answer)
                    {
                        case PartyAnswer.None:
                            return;
                        case PartyAnswer.ClaimantAppeals:
                            c = await api.PostAsync(d.ConsumerId, $"/api/cases/{caseId}/appeal", null, cancel);
                            steps.Did($"{d.ConsumerId} appeals in the case of {d.Key}");
                            continue;
                        case PartyAnswer.ClaimantAccepts when accepted.Contains(d.ConsumerId):
                            return;
                        case PartyAnswer.ClaimantAccepts or PartyAnswer.BothAccept when !accepted.Contains(d.ConsumerId):
                            c = await api.PostAsync(d.ConsumerId, $"/api/cases/{caseId}/accept", null, cancel);
                            steps.Did($"{d.ConsumerId} accepts the verdict on {d.Key}");
                            continue;
                        default:
                            c = await api.PostAsync(respondent, $"/api/cases/{caseId}/accept", null, cancel);
                            steps.Did($"{respondent} accepts the verdict on {d.Key}");
                            continue;
                    }
                }
                case "executing":
                    await Task.Delay(200, cancel);
                    c = await api.GetAsync(Op, $"/api/cases/{caseId}", cancel);
                    continue;
                default: // closed
                    return;
            }
        }
    }

    // ---- Synergy cycles -------------------------------------------------------------------------

    private async Task CycleAsync(DemoCycle plannedCycle, ItemSteps steps, CancellationToken cancel)
    {
        var p = plannedCycle;
        // Designing again with the same operation id answers the cycle designed the first time.
        var cycle = await api.PostAsync(p.OrganizerId, "/api/cycles", new
        {
            operationId = $"demo-cycle-{p.Key}",
            communityId = Community,
            product = p.Product,
            productValue = p.ProductValue,
            stages = p.Stages.Select(s => new { role = s.Role, memberId = s.MemberId, marketPrice = s.MarketPrice }),
        }, cancel);
        var id = cycle.Str("id");
        _cycleIds[p.Key] = id;
        if (cycle.Int("lastEventSeq") <= 1) steps.Did($"{p.OrganizerId} designs {p.Product}");
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"cycle {id} did not reach its goal in 90s (it is {cycle.Str("state")})");
            var state = cycle.Str("state");
            var k = cycle.Int("currentStage");
            var stages = cycle.Items("stages");
            switch (state)
            {
                case "recruiting":
                {
                    var wanted = p.Goal == CycleGoal.Recruiting ? p.JoinedCount : stages.Count;
                    var next = stages.Take(wanted).FirstOrDefault(s => !s.Bool("joined"));
                    if (next is not null)
                    {
                        var member = next.Str("memberId");
                        cycle = await api.PostAsync(member, $"/api/cycles/{id}/stages/{next.Int("index")}/join", null, cancel);
                        steps.Did($"{member} joins {p.Product}");
                        continue;
                    }
                    if (p.Goal == CycleGoal.Recruiting) return;
                    cycle = await api.PostAsync(p.OrganizerId, $"/api/cycles/{id}/start", null, cancel);
                    steps.Did($"{p.OrganizerId} starts {p.Product}");
                    continue;
                }
                case "running":
                {
                    if (p.Goal == CycleGoal.Running && k >= p.GoalStage && stages[k].Str("status") == "running") return;
                    var stage = stages[k];
                    if (stage.Str("status") != "running" || stage.StrOrNull("dealId") is not { } dealId)
                    {
                        if (stage.StrOrNull("blocked") is { Length: > 0 } blocked)
                            throw new SeedingException($"stage {k + 1} of {p.Product} is blocked: {blocked}");
                        cycle = await WaitAsync(id, cancel);
                        continue;
                    }
                    var provider = stage.Str("memberId");
                    var consumer = k + 1 < stages.Count ? stages[k + 1].Str("memberId") : p.OrganizerId;
                    var deal = await api.GetAsync(Op, $"/api/deals/{dealId}", cancel);
                    var failedBefore = cycle.Items("failures").Any(f => f.Int("index") == k);
                    if (p.FailStage == k && !failedBefore)
                    {
                        if (deal.Str("state") is "accepted" or "delivered")
                        {
                            await api.PostAsync(consumer, $"/api/deals/{dealId}/claims",
                                new { operationId = "demo-claim", damage = p.FailDamage, reason = "The work was not done as agreed; another member has to redo it." }, cancel);
                            steps.Did($"{consumer} claims on stage {k + 1} of {p.Product}");
                            continue; // the deal is read again: claimed
                        }
                        if (deal.Str("state") == "claimed")
                        {
                            await api.PostAsync(provider, $"/api/deals/{dealId}/claims/admit", null, cancel);
                            steps.Did($"{provider} admits the claim: stage {k + 1} of {p.Product} fails");
                        }
                        // The settled deal tells its cycle, which breaks at this stage.
                        cycle = await WaitAsync(id, cancel, c => c.Str("state") != "running" || c.Int("currentStage") != k);
                        continue;
                    }
                    var confirmed = deal.Strings("confirmedBy");
                    if (deal.Str("state") is "accepted" or "delivered")
                    {
                        var who = confirmed.Contains(provider) ? consumer : provider;
                        await api.PostAsync(who, $"/api/deals/{dealId}/confirm", null, cancel);
                        steps.Did($"{who} confirms stage {k + 1} of {p.Product}");
                        if (who == provider) continue;
                    }
                    cycle = await WaitAsync(id, cancel, c => c.Str("state") != "running" || c.Int("currentStage") != k);
                    continue;
                }
                case "broken":
                {
                    var stage = stages[k];
                    var replacement = p.ReplacementId ?? throw new SeedingException($"{p.Product} broke at stage {k + 1}, which the plan does not expect");
                    if (stage.Str("memberId") != replacement)
                    {
                        cycle = await api.PostAsync(p.OrganizerId, $"/api/cycles/{id}/stages/{k}/reassign", new { memberId = replacement }, cancel);
                        steps.Did($"{p.OrganizerId} gives stage {k + 1} of {p.Product} to {replacement}");
                        continue;
                    }
                    cycle = await api.PostAsync(replacement, $"/api/cycles/{id}/stages/{k}/join", null, cancel);
                    steps.Did($"{replacement} joins stage {k + 1} of {p.Product}: the cycle recovers");
                    continue;
                }
                default: // completed
                    return;
            }
        }
    }

    /// <summary>Reads the cycle until <paramref name="changed"/> holds (by default: its current stage runs or it left "running").</summary>
    private async Task<JsonNode> WaitAsync(string id, CancellationToken cancel, Func<JsonNode, bool>? changed = null)
    {
        changed ??= c => c.Str("state") != "running" || c.Items("stages")[c.Int("currentStage")].Str("status") == "running"
            && c.Items("stages")[c.Int("currentStage")].StrOrNull("dealState") is "accepted" or "delivered";
        var until = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            var cycle = await api.GetAsync(Op, $"/api/cycles/{id}", cancel);
            if (changed(cycle)) return cycle;
            if (DateTime.UtcNow > until) throw new TimeoutException($"cycle {id} did not move on within {SettleTimeout.TotalSeconds:0}s");
            await Task.Delay(150, cancel);
        }
    }

    // ---- Withdrawn guarantees -------------------------------------------------------------------

    private async Task WithdrawalsAsync(CancellationToken cancel)
    {
        int made = 0, existing = 0, failed = 0;
        foreach (var w in plan.WithdrawnGuarantees)
        {
            try
            {
                var ward = await api.GetAsync(Op, $"/api/members/{w.WardId}", cancel);
                if (ward.Items("guarantors").Any(g => g.Str("memberId") == w.GuarantorId && g.Bool("withdrawn")))
                {
                    existing++;
                    progress.Advance(1);
                }
                else
                {
                    await api.DeleteAsync(w.GuarantorId, $"/api/members/{w.GuarantorId}/guarantees/{w.WardId}", cancel);
                    made++;
                    progress.Advance(1, $"{w.GuarantorId} withdraws the guarantee for {w.WardId}: {w.WardId} is suspended");
                }
            }
            catch (ApiProblemException ex)
            {
                failed++;
                Fail($"withdrawing {w.GuarantorId}'s guarantee for {w.WardId}", ex);
            }
        }
        Report("withdrawn guarantees", made, existing, failed);
    }

    // ---- Helpers --------------------------------------------------------------------------------

    private static Task ForEachAsync<T>(IEnumerable<T> items, int parallelism, Func<T, Task> body, CancellationToken cancel) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancel }, async (item, _) => await body(item));

    public static string Money(decimal amount) => amount.ToString("N2", CultureInfo.InvariantCulture);
}
