using System.Net;
using System.Text.Json.Nodes;
using OrleansGuarantee.Tests.Cluster;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>
/// Bad inputs across the endpoints: each is answered 4xx application/problem+json with its own code, and
/// none changes anything (the ledger totals, the members and deals involved, and no member or community
/// is left behind by a refused creation).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiBadInputTests(ApiFixture api)
{
    private const HttpStatusCode BadRequest = HttpStatusCode.BadRequest;
    private const HttpStatusCode Unauthorized = HttpStatusCode.Unauthorized;
    private const HttpStatusCode Forbidden = HttpStatusCode.Forbidden;
    private const HttpStatusCode NotFound = HttpStatusCode.NotFound;
    private const HttpStatusCode Conflict = HttpStatusCode.Conflict;

    /// <summary>
    /// One bad call: made <paramref name="By"/> a caller of the scenario, answered <paramref name="Status"/> with
    /// <paramref name="Code"/>; <paramref name="Absent"/> names members (m:id) and communities (c:id) that must not exist afterwards.
    /// </summary>
    private sealed record BadCase(string Name, string By, HttpMethod Method, string Path, object? Body, HttpStatusCode Status, string Code, params string[] Absent);

    private sealed record Scenario(
        ApiCommunity C, ApiCommunity Other, string A, string B, string Ward, string Candidate,
        string Proposed, string Cancelled, string Delivered)
    {
        public string F1 => C.Founders[0];
        public string F3 => C.Founders[2];
        public string Stranger => Other.Founders[0];
        public string[] Members => [.. C.Founders, A, B, Ward, Candidate];
        public (string, string)[] Deals => [(Proposed, A), (Cancelled, A), (Delivered, A)];
    }

    /// <summary>
    /// A is active with a ward (Ward, guaranteed by A and F1); B is active; Candidate has asked F1 for a guarantee.
    /// Deals between A (provider, proposer) and B: one proposed, one cancelled, one accepted and confirmed by A.
    /// </summary>
    private async Task<Scenario> ScenarioAsync()
    {
        var created = await AllAsync(ApiCommunity.CreateAsync(api), ApiCommunity.CreateAsync(api, founderDeposit: 0));
        var (c, other) = (created[0], created[1]);
        var ids = await AllAsync(c.ActiveMemberAsync("a", deposit: 500m), c.ActiveMemberAsync("b", deposit: 500m), c.SignUpAsync("ward"), c.SignUpAsync("cand"));
        var (a, b, ward, candidate) = (ids[0], ids[1], ids[2], ids[3]);
        await c.GuaranteeAsync(a, ward, 100m);
        await c.GuaranteeAsync(c.Founders[0], ward, 100m);
        await c.RequestGuaranteeAsync(candidate, c.Founders[0]);

        var proposed = (string)(await c.ProposeAsync(a, a, b, 100m))["id"]!;
        var cancelled = (string)(await c.ProposeAsync(a, a, b, 100m))["id"]!;
        await OkAsync(await (await c.As(b)).PostAsync($"/api/deals/{cancelled}/cancel", null));
        var delivered = await c.AcceptedDealAsync(a, b, 100m);
        await OkAsync(await (await c.As(a)).PostAsync($"/api/deals/{delivered}/confirm", null));
        return new Scenario(c, other, a, b, ward, candidate, proposed, cancelled, delivered);
    }

    private static string Op() => TestCommunity.Unique("op");

    private static RawJson Raw(string json) => new(json);

    private static JsonObject Money(decimal amount) => new() { ["operationId"] = Op(), ["amount"] = amount };

    private static JsonObject SignUp(string id, string name = "Fresh member", string password = Password) =>
        new() { ["id"] = id, ["name"] = name, ["password"] = password, ["offers"] = new JsonArray("masonry") };

    private static JsonObject Founder(string id, string password = Password) => new() { ["id"] = id, ["name"] = $"Founder {id}", ["password"] = password };

    private static JsonObject Community(string id, string name, params JsonNode[] founders) =>
        new() { ["id"] = id, ["name"] = name, ["founders"] = new JsonArray(founders) };

    private static JsonObject Deal(string provider, string consumer, decimal value = 10m, DateTimeOffset? dueAt = null, string description = "bad input") => new()
    {
        ["operationId"] = Op(), ["providerId"] = provider, ["consumerId"] = consumer, ["value"] = value,
        ["description"] = description, ["dueAt"] = dueAt ?? DateTimeOffset.UtcNow.AddDays(1),
    };

    private static JsonObject Without(JsonObject o, string key)
    {
        o.Remove(key);
        return o;
    }

    private static JsonObject With(JsonObject o, string key, JsonNode? value)
    {
        o[key] = value;
        return o;
    }

    private static IReadOnlyList<BadCase> Cases(Scenario s)
    {
        var (a, b, f1, f3) = (s.A, s.B, s.F1, s.F3);
        var deposit = $"/api/members/{a}/deposits";
        var unknown = TestCommunity.Unique("nobody");
        var fresh = Enumerable.Range(0, 12).Select(i => TestCommunity.Unique($"fresh{i}")).ToArray();
        var newCommunity = Enumerable.Range(0, 9).Select(i => TestCommunity.Unique($"nc{i}")).ToArray();
        JsonObject Founders3(string id, string name = "New community") =>
            Community(id, name, Founder(TestCommunity.Unique("nf")), Founder(TestCommunity.Unique("nf")), Founder(TestCommunity.Unique("nf")));

        return
        [
            // ---- Malformed bodies and wrong types -------------------------------------------------------
            new("malformed JSON", a, HttpMethod.Post, deposit, Raw("""{"operationId":"m1","amount":"""), BadRequest, "malformed-json"),
            new("not JSON at all", a, HttpMethod.Post, deposit, Raw("operationId=m2&amount=5"), BadRequest, "malformed-json"),
            new("trailing comma", a, HttpMethod.Post, deposit, Raw("""{"operationId":"m3","amount":5,}"""), BadRequest, "malformed-json"),
            new("empty body", a, HttpMethod.Post, deposit, Raw(""), BadRequest, "missing-body"),
            new("JSON sent as text/plain", a, HttpMethod.Post, deposit, new RawJson("""{"operationId":"m0","amount":5}""", "text/plain"),
                HttpStatusCode.UnsupportedMediaType, "unsupported-media-type"),
            new("JSON null body", a, HttpMethod.Post, deposit, Raw("null"), BadRequest, "missing-body"),
            new("array for the body object", a, HttpMethod.Post, deposit, Raw("""[{"operationId":"m4","amount":5}]"""), BadRequest, "wrong-type"),
            new("string for amount", a, HttpMethod.Post, deposit, Raw("""{"operationId":"m5","amount":"5"}"""), BadRequest, "wrong-type"),
            new("boolean for amount", a, HttpMethod.Post, deposit, Raw("""{"operationId":"m6","amount":true}"""), BadRequest, "wrong-type"),
            new("amount beyond any decimal", a, HttpMethod.Post, deposit, Raw("""{"operationId":"m7","amount":1e40}"""), BadRequest, "wrong-type"),
            new("number for operationId", a, HttpMethod.Post, deposit, Raw("""{"operationId":7,"amount":5}"""), BadRequest, "wrong-type"),
            new("object for operationId", a, HttpMethod.Post, deposit, Raw("""{"operationId":{"id":"m8"},"amount":5}"""), BadRequest, "wrong-type"),
            new("number for a member id", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members",
                Raw($$"""{"id":12345,"name":"n","password":"{{Password}}"}"""), BadRequest, "wrong-type"),
            new("string for the offers array", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members",
                With(SignUp(fresh[0]), "offers", "masonry"), BadRequest, "wrong-type", $"m:{fresh[0]}"),
            new("array for the settings object", "operator", HttpMethod.Post, "/api/communities",
                With(Founders3(newCommunity[0]), "settings", new JsonArray(2)), BadRequest, "wrong-type", $"c:{newCommunity[0]}"),
            new("object for the founders array", "operator", HttpMethod.Post, "/api/communities",
                With(Founders3(newCommunity[1]), "founders", Founder(fresh[1])), BadRequest, "wrong-type", $"c:{newCommunity[1]}", $"m:{fresh[1]}"),
            new("dueAt that is not a date", a, HttpMethod.Post, "/api/deals", With(Deal(a, b), "dueAt", "tomorrow"), BadRequest, "wrong-type"),
            new("string for a deal value", a, HttpMethod.Post, "/api/deals", With(Deal(a, b), "value", "10"), BadRequest, "wrong-type"),
            new("string for a guarantee limit", f1, HttpMethod.Post, $"/api/members/{f1}/guarantees",
                new JsonObject { ["operationId"] = Op(), ["wardId"] = s.Candidate, ["limit"] = "100" }, BadRequest, "wrong-type"),

            // ---- Missing fields -------------------------------------------------------------------------
            new("deposit without an amount", a, HttpMethod.Post, deposit, Without(Money(5m), "amount"), BadRequest, "missing-field"),
            new("deposit without an operationId", a, HttpMethod.Post, deposit, Without(Money(5m), "operationId"), BadRequest, "invalid-operation-id"),
            new("withdrawal with a blank operationId", a, HttpMethod.Post, $"/api/members/{a}/withdrawals", With(Money(5m), "operationId", "   "),
                BadRequest, "invalid-operation-id"),
            new("guarantee acceptance without a limit", f1, HttpMethod.Post, $"/api/members/{f1}/guarantees",
                new JsonObject { ["operationId"] = Op(), ["wardId"] = s.Candidate }, BadRequest, "missing-field"),
            new("deal without dueAt", a, HttpMethod.Post, "/api/deals", Without(Deal(a, b), "dueAt"), BadRequest, "missing-field"),
            new("deal without value", a, HttpMethod.Post, "/api/deals", Without(Deal(a, b), "value"), BadRequest, "missing-field"),
            new("sign-up without password", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members",
                Without(SignUp(fresh[2]), "password"), BadRequest, "missing-field", $"m:{fresh[2]}"),
            new("sign-up without name", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members",
                Without(SignUp(fresh[3]), "name"), BadRequest, "missing-field", $"m:{fresh[3]}"),
            new("profile without name", a, HttpMethod.Put, $"/api/members/{a}/profile", new JsonObject { ["offers"] = new JsonArray("x") },
                BadRequest, "missing-field"),
            new("community without founders", "operator", HttpMethod.Post, "/api/communities",
                Without(Founders3(newCommunity[2]), "founders"), BadRequest, "missing-field", $"c:{newCommunity[2]}"),
            new("a null founder", "operator", HttpMethod.Post, "/api/communities",
                Community(newCommunity[2], "n", Founder(fresh[4]), Founder(fresh[5]), null!), BadRequest, "missing-field",
                $"c:{newCommunity[2]}", $"m:{fresh[4]}", $"m:{fresh[5]}"),
            new("token request with no credentials", "anonymous", HttpMethod.Post, "/api/auth/token", new JsonObject(), BadRequest, "missing-field"),
            new("token request without password", "anonymous", HttpMethod.Post, "/api/auth/token", new JsonObject { ["memberId"] = a },
                BadRequest, "missing-field"),
            new("guarantee request without guarantorId", s.Candidate, HttpMethod.Post, $"/api/members/{s.Candidate}/guarantee-requests",
                new JsonObject { ["operationId"] = Op() }, BadRequest, "invalid-id"),
            new("contact without memberId", a, HttpMethod.Post, $"/api/members/{a}/contacts", new JsonObject(), BadRequest, "invalid-id"),

            // ---- Bad ids --------------------------------------------------------------------------------
            new("member id with spaces", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members", SignUp("two words"), BadRequest, "invalid-id"),
            new("member id of 65 characters", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members", SignUp(new string('m', 65)),
                BadRequest, "invalid-id", $"m:{new string('m', 64)}"),
            new("member id in unicode", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members", SignUp("мастер"), BadRequest, "invalid-id"),
            new("empty member id", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members", SignUp(""), BadRequest, "invalid-id"),
            new("community id with punctuation", "operator", HttpMethod.Post, "/api/communities", Founders3("bad!id"), BadRequest, "invalid-id"),
            new("route member id with a space", a, HttpMethod.Get, "/api/members/two%20words", null, BadRequest, "invalid-id"),
            new("route member id in unicode", a, HttpMethod.Get, "/api/members/%D0%BC%D0%B0%D1%81%D1%82%D0%B5%D1%80", null, BadRequest, "invalid-id"),
            new("route deal id of 65 characters", a, HttpMethod.Get, $"/api/deals/{new string('d', 65)}", null, BadRequest, "invalid-id"),
            new("route community id with an encoded slash", "operator", HttpMethod.Get, "/api/communities/a%2Fb", null, BadRequest, "invalid-id"),
            new("deal provider id with a slash", a, HttpMethod.Post, "/api/deals", With(Deal(a, b), "providerId", "a/b"), BadRequest, "invalid-id"),
            new("token member id with spaces", "anonymous", HttpMethod.Post, "/api/auth/token",
                new JsonObject { ["memberId"] = "two words", ["password"] = Password }, BadRequest, "invalid-id"),

            // ---- Amounts --------------------------------------------------------------------------------
            new("zero amount", a, HttpMethod.Post, deposit, Money(0m), BadRequest, "invalid-amount"),
            new("negative amount", a, HttpMethod.Post, deposit, Money(-5m), BadRequest, "invalid-amount"),
            new("amount with 3 decimals", a, HttpMethod.Post, deposit, Money(1.005m), BadRequest, "invalid-amount"),
            new("amount a cent above 1,000,000,000,000", a, HttpMethod.Post, deposit, Money(1_000_000_000_000.01m), BadRequest, "invalid-amount"),
            new("amount of 10^13", a, HttpMethod.Post, deposit, Money(10_000_000_000_000m), BadRequest, "invalid-amount"),
            new("withdrawal of a tenth of a cent", a, HttpMethod.Post, $"/api/members/{a}/withdrawals", Money(0.001m), BadRequest, "invalid-amount"),
            new("negative deal value", a, HttpMethod.Post, "/api/deals", Deal(a, b, value: -1m), BadRequest, "invalid-amount"),
            new("zero guarantee limit", f1, HttpMethod.Post, $"/api/members/{f1}/guarantees",
                new JsonObject { ["operationId"] = Op(), ["wardId"] = s.Candidate, ["limit"] = 0m }, BadRequest, "invalid-amount"),

            // ---- Unknown ids ----------------------------------------------------------------------------
            new("unknown member", a, HttpMethod.Get, $"/api/members/{unknown}", null, NotFound, "member-not-found"),
            new("unknown deal", a, HttpMethod.Get, "/api/deals/d-000000000000000000000000", null, NotFound, "deal-not-found"),
            new("accepting an unknown deal", b, HttpMethod.Post, "/api/deals/d-000000000000000000000000/accept", null, NotFound, "deal-not-found"),
            new("unknown community", "operator", HttpMethod.Get, $"/api/communities/{unknown}", null, NotFound, "community-not-found"),
            new("ledger of an unknown community", "operator", HttpMethod.Get, $"/api/communities/{unknown}/ledger", null, NotFound, "community-not-found"),
            new("sign-up in an unknown community", "anonymous", HttpMethod.Post, $"/api/communities/{unknown}/members", SignUp(fresh[6]),
                NotFound, "community-not-found", $"m:{fresh[6]}"),
            new("guarantee asked of an unknown member", s.Candidate, HttpMethod.Post, $"/api/members/{s.Candidate}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = unknown }, NotFound, "member-not-found"),
            new("deal with an unknown consumer", a, HttpMethod.Post, "/api/deals", Deal(a, unknown), NotFound, "member-not-found"),
            new("contact with an unknown member", a, HttpMethod.Post, $"/api/members/{a}/contacts", new JsonObject { ["memberId"] = unknown },
                NotFound, "member-not-found"),
            new("withdrawing a guarantee never given", f3, HttpMethod.Delete, $"/api/members/{f3}/guarantees/{a}", null, NotFound, "guarantee-not-found"),

            // ---- The state does not allow it ------------------------------------------------------------
            new("confirming a cancelled deal", a, HttpMethod.Post, $"/api/deals/{s.Cancelled}/confirm", null, Conflict, "deal-not-accepted"),
            new("confirming a deal not accepted yet", b, HttpMethod.Post, $"/api/deals/{s.Proposed}/confirm", null, Conflict, "deal-not-accepted"),
            new("confirming twice", a, HttpMethod.Post, $"/api/deals/{s.Delivered}/confirm", null, Conflict, "already-confirmed"),
            new("accepting a cancelled deal", b, HttpMethod.Post, $"/api/deals/{s.Cancelled}/accept", null, Conflict, "deal-not-proposed"),
            new("the proposer accepting its own proposal", a, HttpMethod.Post, $"/api/deals/{s.Proposed}/accept", null, Forbidden, "own-proposal"),
            new("the proposer accepting again once accepted", a, HttpMethod.Post, $"/api/deals/{s.Delivered}/accept", null, Conflict, "deal-not-proposed"),
            new("cancelling an accepted deal", b, HttpMethod.Post, $"/api/deals/{s.Delivered}/cancel", null, Conflict, "deal-not-cancellable"),
            new("withdrawing more than is free", a, HttpMethod.Post, $"/api/members/{a}/withdrawals", Money(450m), Conflict, "insufficient-funds"),
            new("signing up with a taken member id", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members", SignUp(b), Conflict, "member-exists"),
            new("creating a community whose id is taken", "operator", HttpMethod.Post, "/api/communities",
                Community(s.C.Id, "Another name", Founder(fresh[7]), Founder(fresh[8]), Founder(fresh[9])), Conflict, "community-exists",
                $"m:{fresh[7]}", $"m:{fresh[8]}", $"m:{fresh[9]}"),
            new("a founder id that is already a member", "operator", HttpMethod.Post, "/api/communities",
                Community(newCommunity[3], "n", Founder(fresh[10]), Founder(fresh[11]), Founder(b)), Conflict, "member-exists",
                $"c:{newCommunity[3]}", $"m:{fresh[10]}", $"m:{fresh[11]}"),
            new("asking one's own ward for a guarantee", a, HttpMethod.Post, $"/api/members/{a}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = s.Ward }, Conflict, "guarantee-cycle"),
            new("asking oneself for a guarantee", a, HttpMethod.Post, $"/api/members/{a}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = a }, BadRequest, "self-guarantee"),
            new("guaranteeing oneself", a, HttpMethod.Post, $"/api/members/{a}/guarantees",
                new JsonObject { ["operationId"] = Op(), ["wardId"] = a, ["limit"] = 10m }, BadRequest, "self-guarantee"),
            new("asking the same guarantor twice", s.Candidate, HttpMethod.Post, $"/api/members/{s.Candidate}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = f1 }, Conflict, "duplicate-request"),
            new("asking one's guarantor again", a, HttpMethod.Post, $"/api/members/{a}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = f1 }, Conflict, "duplicate-guarantee"),
            new("a founder asking for a guarantee", f3, HttpMethod.Post, $"/api/members/{f3}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = f1 }, Conflict, "founder-needs-no-guarantor"),
            new("asking a candidate for a guarantee", a, HttpMethod.Post, $"/api/members/{a}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = s.Candidate }, Conflict, "guarantor-not-eligible"),
            new("accepting a guarantee nobody asked for", f3, HttpMethod.Post, $"/api/members/{f3}/guarantees",
                new JsonObject { ["operationId"] = Op(), ["wardId"] = a, ["limit"] = 10m }, Conflict, "no-guarantee-request"),
            new("declining a guarantee nobody asked for", f3, HttpMethod.Post, $"/api/members/{f3}/guarantee-requests/{a}/decline", null,
                Conflict, "no-guarantee-request"),
            new("a candidate proposing a deal", s.Candidate, HttpMethod.Post, "/api/deals", Deal(s.Candidate, a), Conflict, "not-active"),

            // ---- Inputs that break a rule on their own --------------------------------------------------
            new("a deal with oneself", a, HttpMethod.Post, "/api/deals", Deal(a, a), BadRequest, "same-party"),
            new("a deal due in the past", a, HttpMethod.Post, "/api/deals", Deal(a, b, dueAt: DateTimeOffset.UtcNow.AddDays(-1)), BadRequest, "due-in-past"),
            new("a contact with oneself", a, HttpMethod.Post, $"/api/members/{a}/contacts", new JsonObject { ["memberId"] = a }, BadRequest, "self-contact"),
            new("a contact in another community", a, HttpMethod.Post, $"/api/members/{a}/contacts", new JsonObject { ["memberId"] = s.Stranger },
                BadRequest, "different-community"),
            new("a deal with a member of another community", a, HttpMethod.Post, "/api/deals", Deal(a, s.Stranger), BadRequest, "different-community"),
            new("a guarantor from another community", s.Candidate, HttpMethod.Post, $"/api/members/{s.Candidate}/guarantee-requests",
                new JsonObject { ["operationId"] = Op(), ["guarantorId"] = s.Stranger }, BadRequest, "different-community"),

            // ---- Oversized ------------------------------------------------------------------------------
            new("name of 201 characters", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members",
                SignUp(fresh[0], name: new string('n', 201)), BadRequest, "too-long", $"m:{fresh[0]}"),
            new("profile name of 201 characters", a, HttpMethod.Put, $"/api/members/{a}/profile", new JsonObject { ["name"] = new string('n', 201) },
                BadRequest, "too-long"),
            new("description of 2001 characters", a, HttpMethod.Post, "/api/deals", Deal(a, b, description: new string('d', 2001)), BadRequest, "too-long"),
            new("operationId of 65 characters", a, HttpMethod.Post, deposit, With(Money(5m), "operationId", new string('o', 65)),
                BadRequest, "invalid-operation-id"),
            new("an offer of 101 characters", a, HttpMethod.Put, $"/api/members/{a}/profile",
                new JsonObject { ["name"] = "A", ["offers"] = new JsonArray(new string('o', 101)) }, BadRequest, "too-long"),
            new("51 offers", a, HttpMethod.Put, $"/api/members/{a}/profile",
                new JsonObject { ["name"] = "A", ["offers"] = new JsonArray(Enumerable.Range(0, 51).Select(i => (JsonNode)$"skill{i}").ToArray()) },
                BadRequest, "too-long"),
            new("community name of 201 characters", "operator", HttpMethod.Post, "/api/communities", Founders3(newCommunity[4], new string('n', 201)),
                BadRequest, "too-long", $"c:{newCommunity[4]}"),
            new("password of 129 characters", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members",
                SignUp(fresh[1], password: new string('p', 129)), BadRequest, "too-long", $"m:{fresh[1]}"),

            // ---- Passwords, founders and settings -------------------------------------------------------
            new("weak password", "anonymous", HttpMethod.Post, $"/api/communities/{s.C.Id}/members", SignUp(fresh[2], password: "short12"),
                BadRequest, "weak-password", $"m:{fresh[2]}"),
            new("a founder's weak password", "operator", HttpMethod.Post, "/api/communities",
                Community(newCommunity[5], "n", Founder(fresh[3]), Founder(fresh[4]), Founder(fresh[5], "short12")), BadRequest, "weak-password",
                $"c:{newCommunity[5]}", $"m:{fresh[3]}"),
            new("too few founders", "operator", HttpMethod.Post, "/api/communities",
                Community(newCommunity[6], "n", Founder(fresh[6]), Founder(fresh[7])), BadRequest, "too-few-founders", $"c:{newCommunity[6]}", $"m:{fresh[6]}"),
            new("the same founder twice", "operator", HttpMethod.Post, "/api/communities",
                Community(newCommunity[7], "n", Founder(fresh[8]), Founder(fresh[8]), Founder(fresh[9])), BadRequest, "duplicate-founder",
                $"c:{newCommunity[7]}", $"m:{fresh[8]}"),
            new("requiredGuarantors 0", "operator", HttpMethod.Post, "/api/communities",
                With(Founders3(newCommunity[8]), "settings", new JsonObject { ["requiredGuarantors"] = 0 }), BadRequest, "invalid-settings", $"c:{newCommunity[8]}"),
            new("coverageRatio 0", "operator", HttpMethod.Post, "/api/communities",
                With(Founders3(newCommunity[8]), "settings", new JsonObject { ["coverageRatio"] = 0 }), BadRequest, "invalid-settings", $"c:{newCommunity[8]}"),
            new("stageDiscount 1", "operator", HttpMethod.Post, "/api/communities",
                With(Founders3(newCommunity[8]), "settings", new JsonObject { ["stageDiscount"] = 1 }), BadRequest, "invalid-settings", $"c:{newCommunity[8]}"),
            new("verdictWindowSeconds 0", "operator", HttpMethod.Post, "/api/communities",
                With(Founders3(newCommunity[8]), "settings", new JsonObject { ["verdictWindowSeconds"] = 0 }), BadRequest, "invalid-settings", $"c:{newCommunity[8]}"),

            // ---- Credentials and routes -----------------------------------------------------------------
            new("wrong password", "anonymous", HttpMethod.Post, "/api/auth/token", new JsonObject { ["memberId"] = a, ["password"] = Password + "x" },
                Unauthorized, "invalid-credentials"),
            new("unknown member signing in", "anonymous", HttpMethod.Post, "/api/auth/token", new JsonObject { ["memberId"] = unknown, ["password"] = Password },
                Unauthorized, "invalid-credentials"),
            new("wrong operator key", "anonymous", HttpMethod.Post, "/api/auth/token", new JsonObject { ["operatorKey"] = ApiFixture.OperatorKey + "x" },
                Unauthorized, "invalid-credentials"),
            new("operator key and member together", "anonymous", HttpMethod.Post, "/api/auth/token",
                new JsonObject { ["operatorKey"] = ApiFixture.OperatorKey, ["memberId"] = a, ["password"] = Password }, BadRequest, "ambiguous-credentials"),
            new("unknown API path", a, HttpMethod.Get, "/api/no/such/thing", null, NotFound, "no-such-endpoint"),
            new("unknown API path without a token", "anonymous", HttpMethod.Post, "/api/no-such-collection", new JsonObject(), NotFound, "no-such-endpoint"),
            new("a method an endpoint does not take", a, HttpMethod.Delete, $"/api/members/{a}/deposits", null, HttpStatusCode.MethodNotAllowed, "method-not-allowed"),
            new("ledger refresh that is not a boolean", "operator", HttpMethod.Get, $"/api/communities/{s.C.Id}/ledger?refresh=maybe", null,
                BadRequest, "invalid-parameter"),
        ];
    }

    [Fact]
    public async Task Bad_inputs_are_refused_with_their_problem_code_and_change_nothing()
    {
        var s = await ScenarioAsync();
        var cases = Cases(s);
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        using var anonymous = api.Anonymous();
        var failures = new List<string>();

        var initial = await SnapshotAsync(s);
        var before = initial;
        foreach (var @case in cases)
        {
            var client = @case.By switch
            {
                "anonymous" => anonymous,
                "operator" => s.C.Operator,
                _ => await s.C.As(@case.By),
            };
            var response = await SendAsync(client, @case.Method, @case.Path, @case.Body);
            var text = await response.Content.ReadAsStringAsync();
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            JsonNode? body = null;
            try { body = mediaType == "application/problem+json" ? JsonNode.Parse(text) : null; } catch (System.Text.Json.JsonException) { }
            if (response.StatusCode != @case.Status || body is null || (string?)body["code"] != @case.Code || string.IsNullOrWhiteSpace((string?)body["title"]))
                failures.Add($"{@case.Name}: expected {(int)@case.Status} problem+json {@case.Code}, got {(int)response.StatusCode} {mediaType}: {Shorten(text)}");

            foreach (var absent in @case.Absent)
            {
                var (kind, id) = (absent[..1], absent[2..]);
                var path = kind == "c" ? $"/api/communities/{id}" : $"/api/members/{id}";
                var read = await s.C.Operator.GetAsync(path);
                if (read.StatusCode != HttpStatusCode.NotFound)
                    failures.Add($"{@case.Name}: was refused but left {path} behind ({(int)read.StatusCode})");
            }
            var after = await SnapshotAsync(s);
            failures.AddRange(Changes(before, after).Select(change => $"{@case.Name}: was refused but {change}"));
            before = after;
        }
        failures.AddRange(Changes(initial, before).Select(change => $"after all bad inputs, {change}"));
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} bad inputs went wrong:\n" + string.Join("\n", failures));
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static async Task<IReadOnlyDictionary<string, string>> SnapshotAsync(Scenario s)
    {
        var parts = new Dictionary<string, string>(await s.C.SnapshotAsync(s.Members, s.Deals));
        foreach (var (k, v) in await s.Other.SnapshotAsync(s.Other.Founders)) parts[k] = v;
        return parts;
    }
}
