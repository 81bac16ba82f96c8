using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OrleansGuarantee.Tests.Cluster;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>
/// Synergy cycles over HTTP (API.md "Synergy cycles", rules 17-20): a cycle designed, joined, started and
/// run stage by stage as covered deals that the parties confirm, with the ledger conserved; a stage that
/// fails, is compensated from its cover, reassigned and continued; refusals that change nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiCycleTests(ApiFixture api)
{
    private const HttpStatusCode BadRequest = HttpStatusCode.BadRequest;
    private const HttpStatusCode Forbidden = HttpStatusCode.Forbidden;
    private const HttpStatusCode NotFound = HttpStatusCode.NotFound;
    private const HttpStatusCode Conflict = HttpStatusCode.Conflict;
    private const decimal CoverageRatio = 0.5m;
    private const decimal Deposit = 5_000m;

    /// <summary>The article's house: supplier, mason, carpenter, engineer at the default 20% per stage.</summary>
    private static readonly (string Role, decimal Market)[] House =
        [("supplier", 1_000m), ("mason", 2_500m), ("carpenter", 4_000m), ("engineer", 1_500m)];

    // ---- Success paths ----------------------------------------------------------------------------

    [Fact]
    public async Task A_full_cycle_runs_every_stage_as_a_covered_confirmed_deal_completes_with_shares_and_keeps_the_ledger()
    {
        var c = await ApiCommunity.CreateAsync(api, settings: new { coverageRatio = CoverageRatio });
        var ids = await AllAsync(
            c.ActiveMemberAsync("org", deposit: Deposit),
            c.ActiveMemberAsync("sup", deposit: Deposit), c.ActiveMemberAsync("mas", deposit: Deposit),
            c.ActiveMemberAsync("car", deposit: Deposit), c.ActiveMemberAsync("eng", deposit: Deposit));
        var organizer = ids[0];
        var members = ids[1..];

        var designed = await DesignAsync(c, organizer, members, productValue: 9_000m);
        var id = (string)designed["id"]!;
        Assert.Equal("recruiting", (string?)designed["state"]);
        Assert.Equal((c.Id, organizer, "house"), ((string?)designed["communityId"], (string?)designed["organizerId"], (string?)designed["product"]));
        Assert.Equal(0.2m, Dec(designed["stageDiscount"])); // the community's default
        // Figures checked by hand: cycle price = market × 0.8; savings 200, 500, 800, 300 accumulate along the chain;
        // contributions 800 + 2000 + 3200 + 1200 = 7200, so shares 1/9, 5/18, 4/9, 1/6 of a 9000 house.
        var expectedCycle = new[] { 800m, 2_000m, 3_200m, 1_200m };
        var expectedCumulative = new[] { 200m, 700m, 1_500m, 1_800m };
        var expectedShare = new[] { 0.111111m, 0.277778m, 0.444444m, 0.166667m };
        var expectedPart = new[] { 1_000m, 2_500m, 4_000m, 1_500m };
        var stages = designed["stages"]!.AsArray();
        Assert.Equal(4, stages.Count);
        for (var i = 0; i < 4; i++)
        {
            var s = stages[i]!;
            Assert.Equal(i, (int)s["index"]!);
            Assert.Equal((House[i].Role, members[i]), ((string?)s["role"], (string?)s["memberId"]));
            Assert.Equal(House[i].Market, Dec(s["marketPrice"]));
            Assert.Equal(House[i].Market * 0.8m, Dec(s["cyclePrice"]));
            Assert.Equal(expectedCycle[i], Dec(s["cyclePrice"]));
            Assert.Equal(House[i].Market - expectedCycle[i], Dec(s["saving"]));
            Assert.Equal(expectedCumulative[i], Dec(s["cumulativeSaving"]));
            Assert.Equal(expectedShare[i], Dec(s["share"]));
            Assert.Equal(expectedPart[i], Dec(s["shareOfProduct"]));
            Assert.Equal(expectedPart[i] - expectedCycle[i], Dec(s["synergyGain"]));
            Assert.False((bool)s["joined"]!);
            Assert.Equal("waiting", (string?)s["status"]);
            Assert.Null(s["dealId"]);
        }
        Assert.Equal(9_000m, Dec(designed["totalMarketPrice"]));
        Assert.Equal(7_200m, Dec(designed["totalCyclePrice"]));
        Assert.Equal(1_800m, Dec(designed["totalSaving"]));
        Assert.Equal(1m, stages.Sum(s => Dec(s!["share"])));

        // Every stage joins (each member, its own stage), then the organizer starts.
        for (var i = 0; i < 4; i++)
        {
            var joined = await OkAsync(await (await c.As(members[i])).PostAsync($"/api/cycles/{id}/stages/{i}/join", null));
            Assert.True((bool)joined["stages"]![i]!["joined"]!);
        }
        var started = await OkAsync(await (await c.As(organizer)).PostAsync($"/api/cycles/{id}/start", null));
        Assert.Equal("running", (string?)started["state"]);
        Assert.Equal(0, (int)started["currentStage"]!);

        var deals = new List<string>();
        for (var k = 0; k < 4; k++)
        {
            var cycle = await CycleAsync(c, organizer, id);
            Assert.Equal("running", (string?)cycle["state"]);
            Assert.Equal(k, (int)cycle["currentStage"]!);
            var stage = cycle["stages"]![k]!;
            Assert.Equal("running", (string?)stage["status"]);
            Assert.True((string?)stage["dealState"] == "accepted", $"stage {k}'s deal should be accepted: {cycle.ToJsonString()}\n{await EventsTextAsync(c, organizer, id)}");
            var dealId = (string)stage["dealId"]!;
            deals.Add(dealId);
            var provider = members[k];
            var consumer = k + 1 < 4 ? members[k + 1] : organizer;

            var deal = await c.DealAsync(dealId, provider);
            Assert.Equal("accepted", (string?)deal["state"]);
            Assert.Equal((provider, consumer), ((string?)deal["providerId"], (string?)deal["consumerId"]));
            Assert.Equal(expectedCycle[k], Dec(deal["value"]));
            AssertCovered(deal, provider, consumer, expectedCycle[k] * CoverageRatio);

            var first = await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{dealId}/confirm", null));
            Assert.Equal("delivered", (string?)first["state"]); // the provider confirmed delivery
            var second = await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{dealId}/confirm", null));
            Assert.Equal("completed", (string?)second["state"]);

            var moved = await WaitForAsync(c, organizer, id, x => NextStageRuns(x, k), $"stage {k} to complete and the next to run");
            Assert.Equal("done", (string?)moved["stages"]![k]!["status"]);
            Assert.Equal("completed", (string?)moved["stages"]![k]!["dealState"]);
        }

        var done = await CycleAsync(c, organizer, id);
        Assert.Equal("completed", (string?)done["state"]);
        Assert.NotNull((string?)done["completedAt"]);
        Assert.Equal(deals, done["dealHistory"]!.AsArray().Select(d => (string)d!));
        Assert.Equal(4, deals.Distinct().Count());
        Assert.Empty(done["failures"]!.AsArray());
        Assert.Empty(done["reassignments"]!.AsArray());
        var finalStages = done["stages"]!.AsArray();
        Assert.All(finalStages, s => Assert.Equal(("done", "completed"), ((string?)s!["status"], (string?)s["dealState"])));
        Assert.Equal(1m, finalStages.Sum(s => Dec(s!["share"])));
        Assert.Equal(9_000m, finalStages.Sum(s => Dec(s!["shareOfProduct"])));
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(deals[k], (string?)finalStages[k]!["dealId"]);
            Assert.Equal("completed", (string?)(await c.DealAsync(deals[k], members[k]))["state"]);
        }
        // The deals moved no money (completion releases the holds): every balance is what was deposited.
        foreach (var m in ids)
        {
            var member = await c.MemberAsync(m);
            Assert.Equal(Deposit, Dec(member["deposit"]!["balance"]));
            Assert.Equal(0m, Dec(member["deposit"]!["held"]));
        }
        await AssertLedgerConservedAsync(c, deposited: 30_000m + 5 * Deposit);
        await AssertEventsAsync(c, organizer, id, done, first: "designed", last: "completed");

        // Reading the events in pages gives the same numbers.
        var page = await OkAsync(await (await c.As(members[2])).GetAsync($"/api/cycles/{id}/events?after=2&limit=3"));
        Assert.Equal([3L, 4L, 5L], page.AsArray().Select(e => (long)e!["seq"]!));
    }

    [Fact]
    public async Task A_failed_stage_is_compensated_from_its_cover_reassigned_by_the_organizer_and_the_cycle_completes()
    {
        var c = await ApiCommunity.CreateAsync(api, settings: new { coverageRatio = CoverageRatio });
        var ids = await AllAsync(
            c.ActiveMemberAsync("org", deposit: Deposit),
            c.ActiveMemberAsync("sup", deposit: Deposit), c.ActiveMemberAsync("mas", deposit: Deposit),
            c.ActiveMemberAsync("car", deposit: Deposit), c.ActiveMemberAsync("spare", deposit: Deposit));
        var (organizer, supplier, mason, carpenter, spare) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
        var members = new[] { supplier, mason, carpenter };
        var id = (string)(await DesignAsync(c, organizer, members, productValue: 9_000m))["id"]!;
        for (var i = 0; i < 3; i++) await OkAsync(await (await c.As(members[i])).PostAsync($"/api/cycles/{id}/stages/{i}/join", null));
        await OkAsync(await (await c.As(organizer)).PostAsync($"/api/cycles/{id}/start", null));

        // Stage 0 (supplier → mason, 800) is delivered.
        await ConfirmCurrentStageAsync(c, organizer, id, 0, supplier, mason);

        // Stage 1 (mason → carpenter, 2000) is defective: the carpenter claims 300, the mason admits.
        var failing = await CycleAsync(c, organizer, id);
        var failedDeal = (string)failing["stages"]![1]!["dealId"]!;
        AssertCovered(await c.DealAsync(failedDeal, mason), mason, carpenter, 1_000m);
        await OkAsync(await (await c.As(carpenter)).PostAsJsonAsync($"/api/deals/{failedDeal}/claims",
            new { operationId = TestCommunity.Unique("claim"), damage = 300m, reason = "The walls are crooked." }));
        var settled = await OkAsync(await (await c.As(mason)).PostAsync($"/api/deals/{failedDeal}/claims/admit", null));
        Assert.Equal("settled", (string?)settled["state"]);
        Assert.Equal(300m, Dec(settled["settlement"]!["awarded"]));

        var broken = await WaitForAsync(c, organizer, id, x => (string?)x["state"] == "broken", "the settled claim to break the cycle");
        Assert.Equal(1, (int)broken["currentStage"]!);
        Assert.Equal(("failed", "settled"), ((string?)broken["stages"]![1]!["status"], (string?)broken["stages"]![1]!["dealState"]));
        var failure = broken["failures"]!.AsArray().Single()!;
        Assert.Equal((1, mason, failedDeal), ((int)failure["index"]!, (string?)failure["memberId"], (string?)failure["dealId"]));
        Assert.Contains("300.00", (string?)failure["reason"]);
        Assert.Equal(Deposit - 300m, Dec((await c.MemberAsync(mason))["deposit"]!["balance"]));   // own deposit first
        Assert.Equal(Deposit + 300m, Dec((await c.MemberAsync(carpenter))["deposit"]!["balance"]));

        // The organizer reassigns stage 1 to the spare member, who joins: the cycle continues from that stage.
        var reassigned = await OkAsync(await (await c.As(organizer)).PostAsJsonAsync($"/api/cycles/{id}/stages/1/reassign", new { memberId = spare }));
        Assert.Equal("broken", (string?)reassigned["state"]);
        Assert.Equal((spare, false, "waiting"), ((string?)reassigned["stages"]![1]!["memberId"], (bool)reassigned["stages"]![1]!["joined"]!, (string?)reassigned["stages"]![1]!["status"]));
        var reassignment = reassigned["reassignments"]!.AsArray().Single()!;
        Assert.Equal((1, mason, spare), ((int)reassignment["index"]!, (string?)reassignment["fromMemberId"], (string?)reassignment["toMemberId"]));
        await ExpectProblem(await (await c.As(mason)).PostAsync($"/api/cycles/{id}/stages/1/join", null), Forbidden, "not-the-stage-member");

        var recovered = await OkAsync(await (await c.As(spare)).PostAsync($"/api/cycles/{id}/stages/1/join", null));
        Assert.Equal("running", (string?)recovered["state"]);
        Assert.Equal(1, (int)recovered["currentStage"]!);
        var newDeal = (string)recovered["stages"]![1]!["dealId"]!;
        Assert.NotEqual(failedDeal, newDeal);

        await ConfirmCurrentStageAsync(c, organizer, id, 1, spare, carpenter);
        await ConfirmCurrentStageAsync(c, organizer, id, 2, carpenter, organizer);

        var done = await CycleAsync(c, organizer, id);
        Assert.Equal("completed", (string?)done["state"]);
        Assert.Equal(3, (int)done["currentStage"]!);
        var history = done["dealHistory"]!.AsArray().Select(d => (string)d!).ToList();
        Assert.Equal(4, history.Count);
        Assert.Equal(failedDeal, history[1]);
        Assert.Equal(newDeal, history[2]);
        Assert.Equal([.. done["stages"]!.AsArray().Select(s => (string)s!["dealId"]!)], new[] { history[0], history[2], history[3] });
        Assert.Single(done["failures"]!.AsArray());
        Assert.Single(done["reassignments"]!.AsArray());
        Assert.All(done["stages"]!.AsArray(), s => Assert.Equal(("done", "completed"), ((string?)s!["status"], (string?)s["dealState"])));
        Assert.Equal(1m, done["stages"]!.AsArray().Sum(s => Dec(s!["share"])));
        Assert.Equal("settled", (string?)(await c.DealAsync(failedDeal, mason))["state"]);
        await AssertLedgerConservedAsync(c, deposited: 30_000m + 5 * Deposit);

        var kinds = await AssertEventsAsync(c, organizer, id, done, first: "designed", last: "completed");
        foreach (var kind in new[] { "stage-failed", "stage-reassigned", "recovered" }) Assert.Contains(kind, kinds);
        Assert.True(kinds.IndexOf("stage-failed") < kinds.IndexOf("stage-reassigned") && kinds.IndexOf("stage-reassigned") < kinds.IndexOf("recovered"));
    }

    // ---- Refusals ---------------------------------------------------------------------------------

    [Fact]
    public async Task Bad_designs_and_calls_by_the_wrong_caller_are_refused_with_a_problem_and_change_nothing()
    {
        var c = await ApiCommunity.CreateAsync(api, settings: new { coverageRatio = CoverageRatio });
        var other = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ids = await AllAsync(
            c.ActiveMemberAsync("org", deposit: Deposit),
            c.ActiveMemberAsync("sup", deposit: Deposit), c.ActiveMemberAsync("mas", deposit: Deposit),
            c.ActiveMemberAsync("car", deposit: Deposit), c.ActiveMemberAsync("spare", deposit: Deposit));
        var (organizer, spare) = (ids[0], ids[4]);
        var members = ids[1..4];
        var outsider = other.Founders[0];
        var asOrganizer = await c.As(organizer);

        // Bad designs: nothing is created under the operation id used.
        object Stage(string role, string memberId, decimal marketPrice) => new { role, memberId, marketPrice };
        object Design(string operationId, object[]? stages, decimal? stageDiscount = null, string? communityId = null) =>
            new { operationId, communityId = communityId ?? c.Id, product = "house", productValue = 9_000m, stageDiscount, stages };
        var good = new[] { Stage("supplier", members[0], 1_000m), Stage("mason", members[1], 2_500m) };
        var badDesigns = new (string What, HttpClient Client, Func<string, object> Body, HttpStatusCode Status, string Code)[]
        {
            ("no stages", asOrganizer, op => Design(op, []), BadRequest, "no-stages"),
            ("stages missing", asOrganizer, op => Design(op, null), BadRequest, "no-stages"),
            ("member twice in a row", asOrganizer, op => Design(op, [Stage("supplier", members[0], 1_000m), Stage("mason", members[0], 2_500m)]), BadRequest, "member-twice-in-a-row"),
            ("negative price", asOrganizer, op => Design(op, [Stage("supplier", members[0], -1_000m), Stage("mason", members[1], 2_500m)]), BadRequest, "invalid-amount"),
            ("zero price", asOrganizer, op => Design(op, [Stage("supplier", members[0], 0m), Stage("mason", members[1], 2_500m)]), BadRequest, "invalid-amount"),
            ("discount of 100%", asOrganizer, op => Design(op, good, stageDiscount: 1m), BadRequest, "invalid-discount"),
            ("discount above 100%", asOrganizer, op => Design(op, good, stageDiscount: 1.5m), BadRequest, "invalid-discount"),
            ("negative discount", asOrganizer, op => Design(op, good, stageDiscount: -0.1m), BadRequest, "invalid-discount"),
            ("organizer as the last stage", asOrganizer, op => Design(op, [Stage("supplier", members[0], 1_000m), Stage("mason", organizer, 2_500m)]), BadRequest, "organizer-is-last-stage"),
            ("unknown member", asOrganizer, op => Design(op, [Stage("supplier", members[0], 1_000m), Stage("mason", TestCommunity.Unique("ghost"), 2_500m)]), NotFound, "member-not-found"),
            ("member of another community", asOrganizer, op => Design(op, [Stage("supplier", members[0], 1_000m), Stage("mason", outsider, 2_500m)]), BadRequest, "different-community"),
            ("organizer of another community", await other.As(outsider), op => Design(op, good), Forbidden, "other-community"),
            ("operator", c.Operator, op => Design(op, good), Forbidden, "operator-cannot-act"),
        };
        var before = await c.SnapshotAsync(ids);
        foreach (var bad in badDesigns)
        {
            var operationId = TestCommunity.Unique("op");
            var body = await Expect(await bad.Client.PostAsJsonAsync("/api/cycles", bad.Body(operationId)), bad.Status);
            Assert.True((string?)body["code"] == bad.Code, $"{bad.What}: expected {bad.Code}, got {body.ToJsonString()}");
            foreach (var organizerId in new[] { organizer, outsider })
                await ExpectProblem(await c.Operator.GetAsync($"/api/cycles/{CycleIds.For(organizerId, operationId)}"), NotFound, "cycle-not-found");
        }
        using (var anonymous = api.Anonymous())
            await Expect(await anonymous.PostAsJsonAsync("/api/cycles", Design(TestCommunity.Unique("op"), good)), HttpStatusCode.Unauthorized);
        Assert.Empty(Changes(before, await c.SnapshotAsync(ids)));

        // A recruiting cycle with stages 0 and 1 joined and stage 2 waiting.
        var id = (string)(await DesignAsync(c, organizer, members, productValue: 9_000m))["id"]!;
        for (var i = 0; i < 2; i++) await OkAsync(await (await c.As(members[i])).PostAsync($"/api/cycles/{id}/stages/{i}/join", null));
        const string unknown = "cy-000000000000000000000000";
        var reassign = new { memberId = spare };
        var refusals = new (string What, HttpClient Client, HttpMethod Method, string Path, object? Body, HttpStatusCode Status, string Code)[]
        {
            ("start before every stage joined", asOrganizer, HttpMethod.Post, $"/api/cycles/{id}/start", null, Conflict, "stages-not-joined"),
            ("join by someone else", await c.As(members[0]), HttpMethod.Post, $"/api/cycles/{id}/stages/2/join", null, Forbidden, "not-the-stage-member"),
            ("join by the organizer", asOrganizer, HttpMethod.Post, $"/api/cycles/{id}/stages/2/join", null, Forbidden, "not-the-stage-member"),
            ("start by a stage member", await c.As(members[0]), HttpMethod.Post, $"/api/cycles/{id}/start", null, Forbidden, "not-the-organizer"),
            ("reassign by a stage member", await c.As(members[1]), HttpMethod.Post, $"/api/cycles/{id}/stages/1/reassign", reassign, Forbidden, "not-the-organizer"),
            ("reassign of a stage that did not fail", asOrganizer, HttpMethod.Post, $"/api/cycles/{id}/stages/1/reassign", reassign, Conflict, "stage-not-failed"),
            ("join of stage 3 of 0-2", await c.As(members[2]), HttpMethod.Post, $"/api/cycles/{id}/stages/3/join", null, NotFound, "stage-not-found"),
            ("join of stage -1", await c.As(members[2]), HttpMethod.Post, $"/api/cycles/{id}/stages/-1/join", null, NotFound, "stage-not-found"),
            ("reassign of stage 7", asOrganizer, HttpMethod.Post, $"/api/cycles/{id}/stages/7/reassign", reassign, NotFound, "stage-not-found"),
            ("read of an unknown cycle", asOrganizer, HttpMethod.Get, $"/api/cycles/{unknown}", null, NotFound, "cycle-not-found"),
            ("events of an unknown cycle", asOrganizer, HttpMethod.Get, $"/api/cycles/{unknown}/events", null, NotFound, "cycle-not-found"),
            ("join of an unknown cycle", await c.As(members[2]), HttpMethod.Post, $"/api/cycles/{unknown}/stages/0/join", null, NotFound, "cycle-not-found"),
            ("start of an unknown cycle", asOrganizer, HttpMethod.Post, $"/api/cycles/{unknown}/start", null, NotFound, "cycle-not-found"),
            ("reassign in an unknown cycle", asOrganizer, HttpMethod.Post, $"/api/cycles/{unknown}/stages/0/reassign", reassign, NotFound, "cycle-not-found"),
            ("operator joins", c.Operator, HttpMethod.Post, $"/api/cycles/{id}/stages/2/join", null, Forbidden, "operator-cannot-act"),
            ("operator starts", c.Operator, HttpMethod.Post, $"/api/cycles/{id}/start", null, Forbidden, "operator-cannot-act"),
            ("operator reassigns", c.Operator, HttpMethod.Post, $"/api/cycles/{id}/stages/1/reassign", reassign, Forbidden, "operator-cannot-act"),
            ("another community reads", await other.As(outsider), HttpMethod.Get, $"/api/cycles/{id}", null, Forbidden, "other-community"),
            ("another community reads the events", await other.As(outsider), HttpMethod.Get, $"/api/cycles/{id}/events", null, Forbidden, "other-community"),
            ("bad events paging", asOrganizer, HttpMethod.Get, $"/api/cycles/{id}/events?after=-1", null, BadRequest, "invalid-parameter"),
            ("bad events limit", asOrganizer, HttpMethod.Get, $"/api/cycles/{id}/events?limit=0", null, BadRequest, "invalid-parameter"),
        };
        var beforeCycle = await CycleSnapshotAsync(c, organizer, id, ids);
        var problems = new List<string>();
        foreach (var r in refusals)
        {
            var response = await SendAsync(r.Client, r.Method, r.Path, r.Body);
            var text = await response.Content.ReadAsStringAsync();
            var code = response.StatusCode == r.Status && text.Length > 0 ? (string?)JsonNode.Parse(text)?["code"] : null;
            if (response.StatusCode != r.Status || code != r.Code || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                problems.Add($"{r.What}: expected {(int)r.Status} {r.Code}, got {(int)response.StatusCode} {text}");
        }
        using (var anonymous = api.Anonymous())
        {
            foreach (var (method, path) in new[] { (HttpMethod.Get, $"/api/cycles/{id}"), (HttpMethod.Post, $"/api/cycles/{id}/start"), (HttpMethod.Post, $"/api/cycles/{id}/stages/2/join") })
            {
                var response = await SendAsync(anonymous, method, path);
                if (response.StatusCode != HttpStatusCode.Unauthorized) problems.Add($"no token {method} {path}: got {(int)response.StatusCode}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Empty(Changes(beforeCycle, await CycleSnapshotAsync(c, organizer, id, ids)));
        Assert.Equal("recruiting", (string?)(await OkAsync(await c.Operator.GetAsync($"/api/cycles/{id}")))["state"]); // operators may read

        // Once the last stage joins, the cycle starts; a running stage cannot be reassigned.
        await OkAsync(await (await c.As(members[2])).PostAsync($"/api/cycles/{id}/stages/2/join", null));
        var started = await OkAsync(await asOrganizer.PostAsync($"/api/cycles/{id}/start", null));
        Assert.Equal("running", (string?)started["state"]);
        var running = await CycleSnapshotAsync(c, organizer, id, ids);
        await ExpectProblem(await asOrganizer.PostAsJsonAsync($"/api/cycles/{id}/stages/0/reassign", reassign), Conflict, "stage-not-failed");
        await ExpectProblem(await asOrganizer.PostAsJsonAsync($"/api/cycles/{id}/stages/1/reassign", reassign), Conflict, "stage-not-failed");
        await ExpectProblem(await (await c.As(members[1])).PostAsJsonAsync($"/api/cycles/{id}/stages/0/reassign", reassign), Forbidden, "not-the-organizer");
        Assert.Empty(Changes(running, await CycleSnapshotAsync(c, organizer, id, ids)));
    }

    // ---- Helpers ----------------------------------------------------------------------------------

    private static async Task<JsonNode> DesignAsync(ApiCommunity c, string organizer, IReadOnlyList<string> members, decimal productValue)
    {
        var response = await (await c.As(organizer)).PostAsJsonAsync("/api/cycles", new
        {
            operationId = TestCommunity.Unique("cy"),
            communityId = c.Id,
            product = "house",
            productValue,
            stages = members.Select((m, i) => new { role = House[i].Role, memberId = m, marketPrice = House[i].Market }),
        });
        var body = await Expect(response, HttpStatusCode.Created);
        Assert.Equal($"/api/cycles/{(string)body["id"]!}", response.Headers.Location?.OriginalString);
        return body;
    }

    private static async Task<string> EventsTextAsync(ApiCommunity c, string reader, string id) =>
        string.Join("\n", (await OkAsync(await (await c.As(reader)).GetAsync($"/api/cycles/{id}/events?limit=1000"))).AsArray()
            .Select(e => $"  {e!["seq"]} {e["kind"]} [{e["stageIndex"]}] {e["state"]}: {e["description"]}"));

    private static async Task<JsonNode> CycleAsync(ApiCommunity c, string reader, string id) =>
        await OkAsync(await (await c.As(reader)).GetAsync($"/api/cycles/{id}"));

    /// <summary>Polls the cycle (bounded) until the condition holds; fails with the last answer otherwise.</summary>
    private static async Task<JsonNode> WaitForAsync(ApiCommunity c, string reader, string id, Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var cycle = await CycleAsync(c, reader, id);
            if (condition(cycle)) return cycle;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Waited 10 s for {what}; the cycle is {cycle.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    /// <summary>Checks the running stage's deal (accepted, covered), both parties confirm it, and the cycle moves on.</summary>
    private static async Task ConfirmCurrentStageAsync(ApiCommunity c, string organizer, string id, int index, string provider, string consumer)
    {
        var cycle = await CycleAsync(c, organizer, id);
        Assert.Equal(("running", index), ((string?)cycle["state"], (int)cycle["currentStage"]!));
        var dealId = (string)cycle["stages"]![index]!["dealId"]!;
        Assert.True((string?)cycle["stages"]![index]!["dealState"] == "accepted", $"stage {index}'s deal should be accepted: {cycle.ToJsonString()}\n{await EventsTextAsync(c, organizer, id)}");
        var deal = await c.DealAsync(dealId, consumer);
        Assert.Equal("accepted", (string?)deal["state"]);
        Assert.Equal((provider, consumer), ((string?)deal["providerId"], (string?)deal["consumerId"]));
        AssertCovered(deal, provider, consumer, Dec(cycle["stages"]![index]!["cyclePrice"]) * CoverageRatio);
        await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{dealId}/confirm", null));
        Assert.Equal("completed", (string?)(await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{dealId}/confirm", null)))["state"]);
        await WaitForAsync(c, organizer, id, x => NextStageRuns(x, index), $"stage {index} to complete and the next to run");
    }

    /// <summary>
    /// Stage <paramref name="index"/> is done and the cycle has moved on: the next stage's deal is accepted (covered), or
    /// the cycle completed. (Reads interleave with the cycle's work, so the stage number moves before the deal is covered.)
    /// </summary>
    private static bool NextStageRuns(JsonNode cycle, int index) =>
        (int)cycle["currentStage"]! == index + 1 &&
        ((string?)cycle["state"] == "completed" ||
         (string?)cycle["state"] == "running" && (string?)cycle["stages"]![index + 1]!["dealState"] == "accepted");

    /// <summary>Each party's cover is held in full (value × coverage ratio), here from its own deposit.</summary>
    private static void AssertCovered(JsonNode deal, string provider, string consumer, decimal each)
    {
        var cover = deal["cover"]!.AsArray();
        foreach (var party in new[] { provider, consumer })
        {
            var holds = cover.Where(h => (string?)h!["forParty"] == party).ToList();
            Assert.True(holds.Sum(h => Dec(h!["amount"])) == each, $"{party}'s cover should be {each}: {deal.ToJsonString()}");
            Assert.All(holds, h => Assert.Equal(party, (string?)h!["memberId"]));
        }
        Assert.Equal(2 * each, cover.Sum(h => Dec(h!["amount"])));
    }

    private static async Task AssertLedgerConservedAsync(ApiCommunity c, decimal deposited)
    {
        var ledger = await OkAsync(await c.Operator.GetAsync($"/api/communities/{c.Id}/ledger?refresh=true"));
        Assert.Equal(deposited, Dec(ledger["deposited"]));
        Assert.Equal(Dec(ledger["deposited"]) - Dec(ledger["withdrawn"]), Dec(ledger["sumOfBalances"]));
        Assert.Equal(0m, Dec(ledger["sumOfHeld"]));
        Assert.True((bool)ledger["balanced"]!);
    }

    /// <summary>Every event of the cycle, numbered 1..N without gaps, N being the cycle's last event number; returns the kinds.</summary>
    private static async Task<List<string>> AssertEventsAsync(ApiCommunity c, string reader, string id, JsonNode cycle, string first, string last)
    {
        var events = (await OkAsync(await (await c.As(reader)).GetAsync($"/api/cycles/{id}/events?after=0&limit=1000"))).AsArray();
        var n = (long)cycle["lastEventSeq"]!;
        Assert.Equal(n, events.Count);
        Assert.Equal(Enumerable.Range(1, (int)n).Select(i => (long)i), events.Select(e => (long)e!["seq"]!));
        var at = events.Select(e => DateTimeOffset.Parse((string)e!["at"]!)).ToList();
        Assert.Equal(at.Order(), at);
        Assert.All(events, e => Assert.False(string.IsNullOrWhiteSpace((string?)e!["description"])));
        var kinds = events.Select(e => (string)e!["kind"]!).ToList();
        Assert.Equal(first, kinds[0]);
        Assert.Equal(last, kinds[^1]);
        Assert.Equal("completed", (string?)events[^1]!["state"]);
        Assert.Empty((await OkAsync(await (await c.As(reader)).GetAsync($"/api/cycles/{id}/events?after={n}"))).AsArray());
        return kinds;
    }

    /// <summary>The cycle as its organizer sees it, its events, the ledger and the members.</summary>
    private static async Task<IReadOnlyDictionary<string, string>> CycleSnapshotAsync(ApiCommunity c, string organizer, string id, IEnumerable<string> members)
    {
        var parts = new Dictionary<string, string>(await c.SnapshotAsync(members))
        {
            [$"cycle {id}"] = (await CycleAsync(c, organizer, id)).ToJsonString(),
            [$"events of {id}"] = (await OkAsync(await (await c.As(organizer)).GetAsync($"/api/cycles/{id}/events?limit=1000"))).ToJsonString(),
        };
        return parts;
    }
}
