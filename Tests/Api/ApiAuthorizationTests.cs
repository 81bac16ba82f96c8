using System.Net;
using System.Net.Http.Json;
using OrleansGuarantee.Tests.Cluster;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>
/// Who may do what: every member action, called by someone who is not that member, is refused (403 with
/// another member's token, 401 without a token, 403 operator-cannot-act with the operator's token) and
/// changes nothing. The cases are one table; each is also run by its rightful caller, which succeeds, so
/// a refusal cannot come from a broken request.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiAuthorizationTests(ApiFixture api)
{
    public enum Caller
    {
        /// <summary>An active member of the same community who has nothing to do with the target.</summary>
        AnotherMember,
        Anonymous,
        Operator,
    }

    /// <summary>The members and deals the cases act on.</summary>
    private sealed record Scenario(
        ApiCommunity C, ApiCommunity Other, string A, string B, string Intruder, string WardToAccept, string WardToDecline,
        string DealToAccept, string DealToConfirm, string DealToCancel)
    {
        public string F1 => C.Founders[0];
        public string[] Members => [A, B, WardToAccept, WardToDecline, F1, C.Founders[1], Intruder];
        public (string, string)[] Deals => [(DealToAccept, A), (DealToConfirm, A), (DealToCancel, A)];
    }

    /// <summary>
    /// One call. <paramref name="Refusal"/> is the code for another member's token; <paramref name="Owner"/> is
    /// the member for whom it succeeds; <paramref name="OperatorMay"/> marks a read the operator is allowed;
    /// <paramref name="By"/> replaces the intruder (e.g. the ward acting for its guarantor).
    /// </summary>
    private sealed record Case(
        string Name, HttpMethod Method, string Path, object? Body, string Refusal, string Owner,
        bool OperatorMay = false, string? By = null, HttpStatusCode Success = HttpStatusCode.OK);

    private static object Money(decimal amount) => new { operationId = TestCommunity.Unique("op"), amount };

    private static IReadOnlyList<Case> Cases(Scenario s) =>
    [
        new("deposit", HttpMethod.Post, $"/api/members/{s.A}/deposits", Money(50m), "not-yourself", s.A),
        new("deposit by the other party of a deal", HttpMethod.Post, $"/api/members/{s.A}/deposits", Money(50m), "not-yourself", s.A, By: s.B),
        new("withdraw", HttpMethod.Post, $"/api/members/{s.A}/withdrawals", Money(50m), "not-yourself", s.A),
        new("withdraw by a guarantor", HttpMethod.Post, $"/api/members/{s.A}/withdrawals", Money(50m), "not-yourself", s.A, By: s.F1),
        new("update profile", HttpMethod.Put, $"/api/members/{s.A}/profile", new { name = "Taken over", offers = new[] { "x" } }, "not-yourself", s.A),
        new("request a guarantee", HttpMethod.Post, $"/api/members/{s.WardToDecline}/guarantee-requests",
            new { operationId = TestCommunity.Unique("op"), guarantorId = s.B }, "not-yourself", s.WardToDecline),
        new("list guarantee requests", HttpMethod.Get, $"/api/members/{s.A}/guarantee-requests", null, "not-yourself", s.A),
        new("accept a guarantee", HttpMethod.Post, $"/api/members/{s.A}/guarantees",
            new { operationId = TestCommunity.Unique("op"), wardId = s.WardToAccept, limit = 100m }, "not-yourself", s.A),
        new("accept a guarantee by its own ward", HttpMethod.Post, $"/api/members/{s.A}/guarantees",
            new { operationId = TestCommunity.Unique("op"), wardId = s.WardToAccept, limit = 100m }, "not-yourself", s.A, By: s.WardToAccept),
        new("decline a guarantee", HttpMethod.Post, $"/api/members/{s.A}/guarantee-requests/{s.WardToDecline}/decline", null, "not-yourself", s.A),
        new("ask for a contact", HttpMethod.Post, $"/api/members/{s.A}/contacts", new { memberId = s.B }, "not-yourself", s.A),
        new("list a member's deals", HttpMethod.Get, $"/api/members/{s.A}/deals", null, "not-yourself", s.A),
        new("propose a deal between others", HttpMethod.Post, "/api/deals", new
        {
            operationId = TestCommunity.Unique("op"), providerId = s.A, consumerId = s.B, value = 10m, description = "not mine",
            dueAt = DateTimeOffset.UtcNow.AddDays(1),
        }, "not-a-party", s.A, Success: HttpStatusCode.Created),
        new("accept a deal", HttpMethod.Post, $"/api/deals/{s.DealToAccept}/accept", null, "not-a-party", s.B),
        new("accept a deal for the other party (as its proposer)", HttpMethod.Post, $"/api/deals/{s.DealToAccept}/accept", null, "own-proposal", s.B, By: s.A),
        new("confirm a deal", HttpMethod.Post, $"/api/deals/{s.DealToConfirm}/confirm", null, "not-a-party", s.A),
        new("cancel a deal", HttpMethod.Post, $"/api/deals/{s.DealToCancel}/cancel", null, "not-a-party", s.B),
        new("read a deal", HttpMethod.Get, $"/api/deals/{s.DealToAccept}", null, "not-a-party", s.A, OperatorMay: true),
        new("read a member of another community", HttpMethod.Get, $"/api/members/{s.Other.Founders[0]}", null, "other-community",
            s.Other.Founders[1], OperatorMay: true),
        new("read another community", HttpMethod.Get, $"/api/communities/{s.Other.Id}", null, "other-community", s.Other.Founders[1], OperatorMay: true),
        new("read another community's ledger", HttpMethod.Get, $"/api/communities/{s.Other.Id}/ledger", null, "other-community",
            s.Other.Founders[1], OperatorMay: true),
        // Last: it suspends A, after which A could not act in the cases above.
        new("withdraw a guarantee", HttpMethod.Delete, $"/api/members/{s.F1}/guarantees/{s.A}", null, "not-yourself", s.F1),
    ];

    private async Task<Scenario> ScenarioAsync()
    {
        var created = await AllAsync(ApiCommunity.CreateAsync(api), ApiCommunity.CreateAsync(api, founderDeposit: 0));
        var (c, other) = (created[0], created[1]);
        var ids = await AllAsync(c.ActiveMemberAsync("a", deposit: 1_000m), c.ActiveMemberAsync("b", deposit: 1_000m),
            c.ActiveMemberAsync("x", deposit: 1_000m), c.SignUpAsync("wa"), c.SignUpAsync("wd"));
        var (a, b, intruder, wardToAccept, wardToDecline) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
        await c.RequestGuaranteeAsync(wardToAccept, a);
        await c.RequestGuaranteeAsync(wardToDecline, a);
        var dealToAccept = (string)(await c.ProposeAsync(a, a, b, 100m))["id"]!;
        var dealToConfirm = await c.AcceptedDealAsync(a, b, 100m);
        var dealToCancel = (string)(await c.ProposeAsync(a, a, b, 100m))["id"]!;
        return new Scenario(c, other, a, b, intruder, wardToAccept, wardToDecline, dealToAccept, dealToConfirm, dealToCancel);
    }

    [Theory]
    [InlineData(Caller.AnotherMember)]
    [InlineData(Caller.Anonymous)]
    [InlineData(Caller.Operator)]
    public async Task Member_actions_by_anyone_but_the_member_are_refused_and_change_nothing(Caller caller)
    {
        var s = await ScenarioAsync();
        var cases = Cases(s);
        using var anonymous = api.Anonymous();
        var failures = new List<string>();

        var before = await SnapshotAsync(s);
        foreach (var @case in cases)
        {
            var (client, status, code) = caller switch
            {
                Caller.AnotherMember => (await s.C.As(@case.By ?? s.Intruder), HttpStatusCode.Forbidden, @case.Refusal),
                Caller.Anonymous => (anonymous, HttpStatusCode.Unauthorized, "not-signed-in"),
                _ => (s.C.Operator, @case.OperatorMay ? HttpStatusCode.OK : HttpStatusCode.Forbidden, @case.OperatorMay ? null : "operator-cannot-act"),
            };
            var who = caller == Caller.AnotherMember ? $"{@case.By ?? "another member"}'s token" : caller.ToString();
            var response = await SendAsync(client, @case.Method, @case.Path, @case.Body);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != status)
                failures.Add($"{@case.Name} ({who}): expected {(int)status}, got {(int)response.StatusCode}: {text}");
            else if (code is not null && !IsProblem(response, text, code))
                failures.Add($"{@case.Name} ({who}): expected problem+json with code {code}, got {response.Content.Headers.ContentType}: {text}");

            var after = await SnapshotAsync(s);
            failures.AddRange(Changes(before, after).Select(change => $"{@case.Name} ({who}) was refused but {change}"));
            before = after;
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Each call succeeds for its rightful caller: the refusals above were about who called, nothing else.
        if (caller != Caller.AnotherMember) return;
        foreach (var @case in cases.DistinctBy(c => (c.Method, c.Path)))
        {
            var owner = s.Other.Founders.Contains(@case.Owner) ? await s.Other.As(@case.Owner) : await s.C.As(@case.Owner);
            var response = await SendAsync(owner, @case.Method, @case.Path, @case.Body);
            if (response.StatusCode != @case.Success)
                failures.Add($"{@case.Name} by its owner {@case.Owner}: expected {(int)@case.Success}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_member_token_cannot_create_a_community()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var id = TestCommunity.Unique("c");
        var body = new
        {
            id, name = "Not allowed",
            founders = Enumerable.Range(1, 3).Select(i => new { id = TestCommunity.Unique($"nf{i}"), name = $"N{i}", password = Password }),
        };

        await ExpectProblem(await (await c.As(c.Founders[0])).PostAsJsonAsync("/api/communities", body), HttpStatusCode.Forbidden, "operator-only");
        using var anonymous = api.Anonymous();
        await ExpectProblem(await anonymous.PostAsJsonAsync("/api/communities", body), HttpStatusCode.Unauthorized, "not-signed-in");

        await ExpectProblem(await c.Operator.GetAsync($"/api/communities/{id}"), HttpStatusCode.NotFound, "community-not-found");
        await ExpectProblem(await c.Operator.GetAsync($"/api/members/{body.founders.First().id}"), HttpStatusCode.NotFound, "member-not-found");
    }

    [Fact]
    public async Task A_token_that_is_not_ours_is_not_signed_in()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var before = await c.SnapshotAsync(c.Founders);
        using var forged = api.Anonymous();
        forged.DefaultRequestHeaders.Authorization = new("Bearer", "not-a-token-we-issued");
        await ExpectProblem(await forged.PostAsJsonAsync($"/api/members/{c.Founders[0]}/deposits", Money(5m)), HttpStatusCode.Unauthorized, "not-signed-in");
        await ExpectProblem(await forged.GetAsync($"/api/members/{c.Founders[0]}"), HttpStatusCode.Unauthorized, "not-signed-in");
        Assert.Empty(Changes(before, await c.SnapshotAsync(c.Founders)));
    }

    private static async Task<IReadOnlyDictionary<string, string>> SnapshotAsync(Scenario s)
    {
        var parts = new Dictionary<string, string>(await s.C.SnapshotAsync(s.Members, s.Deals));
        foreach (var (k, v) in await s.Other.SnapshotAsync(s.Other.Founders)) parts[k] = v;
        return parts;
    }

    private static bool IsProblem(HttpResponseMessage response, string text, string code)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json") return false;
        var body = System.Text.Json.Nodes.JsonNode.Parse(text);
        return (string?)body?["code"] == code && !string.IsNullOrWhiteSpace((string?)body?["title"]);
    }
}
