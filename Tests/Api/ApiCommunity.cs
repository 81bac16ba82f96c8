using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansGuarantee.Tests.Cluster;

namespace OrleansGuarantee.Tests.Api;

/// <summary>A fresh community built through the HTTP API only, with a signed-in client per member.</summary>
public sealed class ApiCommunity
{
    public const string Password = "correct-horse-battery";

    private readonly ApiFixture _api;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<HttpClient>>> _clients = new(StringComparer.Ordinal);

    private ApiCommunity(ApiFixture api, string id, IReadOnlyList<string> founders, HttpClient @operator)
    {
        _api = api;
        Id = id;
        Founders = founders;
        Operator = @operator;
    }

    public string Id { get; }
    public IReadOnlyList<string> Founders { get; }
    public HttpClient Operator { get; }

    public static async Task<ApiCommunity> CreateAsync(ApiFixture api, object? settings = null, decimal founderDeposit = 10_000m)
    {
        var id = TestCommunity.Unique("c");
        var founders = Enumerable.Range(1, 3).Select(i => TestCommunity.Unique($"f{i}")).ToList();
        var @operator = await api.OperatorAsync();
        var response = await @operator.PostAsJsonAsync("/api/communities", new
        {
            id,
            name = "API test community",
            founders = founders.Select(f => new { id = f, name = $"Founder {f}", password = Password }),
            settings,
        });
        await Expect(response, HttpStatusCode.Created);
        var community = new ApiCommunity(api, id, founders, @operator);
        if (founderDeposit > 0)
            await Task.WhenAll(founders.Select(f => community.DepositAsync(f, founderDeposit))); // signing in hashes: in parallel
        return community;
    }

    /// <summary>The signed-in client of a member (a token obtained once per member; safe to call concurrently).</summary>
    public Task<HttpClient> As(string memberId) =>
        _clients.GetOrAdd(memberId, id => new Lazy<Task<HttpClient>>(() => _api.MemberAsync(id, Password))).Value;

    /// <summary>Runs independent set-up steps concurrently (password hashing dominates set-up time).</summary>
    public static async Task<T[]> AllAsync<T>(params Task<T>[] steps) => await Task.WhenAll(steps);

    public async Task<string> SignUpAsync(string name = "m", decimal deposit = 0)
    {
        var id = TestCommunity.Unique(name);
        using var anonymous = _api.Anonymous();
        var response = await anonymous.PostAsJsonAsync($"/api/communities/{Id}/members",
            new { id, name = $"Member {name}", password = Password, offers = new[] { "masonry" }, needs = new[] { "timber" } });
        await Expect(response, HttpStatusCode.Created);
        if (deposit > 0) await DepositAsync(id, deposit);
        return id;
    }

    /// <summary>Both members ask each other: an established contact.</summary>
    public async Task ContactAsync(string a, string b)
    {
        await OkAsync(await (await As(a)).PostAsJsonAsync($"/api/members/{a}/contacts", new { memberId = b }));
        var body = await OkAsync(await (await As(b)).PostAsJsonAsync($"/api/members/{b}/contacts", new { memberId = a }));
        Assert.True((bool)body["established"]!);
    }

    /// <summary>Replaces the member's offers and needs.</summary>
    public async Task OffersAsync(string memberId, string[] offers, string[] needs) =>
        await OkAsync(await (await As(memberId)).PutAsJsonAsync($"/api/members/{memberId}/profile",
            new { name = $"Member {memberId}", offers, needs }));

    public async Task<JsonNode> DepositAsync(string memberId, decimal amount, string? operationId = null) =>
        await OkAsync(await (await As(memberId)).PostAsJsonAsync($"/api/members/{memberId}/deposits",
            new { operationId = operationId ?? TestCommunity.Unique("dep"), amount }));

    public async Task GuaranteeAsync(string guarantor, string ward, decimal limit)
    {
        await OkAsync(await (await As(ward)).PostAsJsonAsync($"/api/members/{ward}/guarantee-requests",
            new { operationId = TestCommunity.Unique("req"), guarantorId = guarantor }));
        await OkAsync(await (await As(guarantor)).PostAsJsonAsync($"/api/members/{guarantor}/guarantees",
            new { operationId = TestCommunity.Unique("acc"), wardId = ward, limit }));
    }

    /// <summary>A member guaranteed by the first two founders (so active), with a deposit.</summary>
    public async Task<string> ActiveMemberAsync(string name = "m", decimal deposit = 0, decimal limit = 1_000m)
    {
        var id = await SignUpAsync(name, deposit);
        foreach (var g in Founders.Take(2)) await GuaranteeAsync(g, id, limit);
        return id;
    }

    public async Task<JsonNode> ProposeAsync(string proposer, string provider, string consumer, decimal value, string? operationId = null)
    {
        var response = await (await As(proposer)).PostAsJsonAsync("/api/deals", new
        {
            operationId = operationId ?? TestCommunity.Unique("deal"),
            providerId = provider,
            consumerId = consumer,
            value,
            description = "test deal",
            dueAt = DateTimeOffset.UtcNow.AddDays(7),
        });
        return await Expect(response, HttpStatusCode.Created);
    }

    /// <summary>The ward asks the guarantor; returns the answer (the guarantee record).</summary>
    public async Task<JsonNode> RequestGuaranteeAsync(string ward, string guarantor, string? operationId = null) =>
        await OkAsync(await (await As(ward)).PostAsJsonAsync($"/api/members/{ward}/guarantee-requests",
            new { operationId = operationId ?? TestCommunity.Unique("req"), guarantorId = guarantor }));

    /// <summary>The guarantor accepts the ward's waiting request; returns the answer (the guarantee record).</summary>
    public async Task<JsonNode> AcceptGuaranteeAsync(string guarantor, string ward, decimal limit, string? operationId = null) =>
        await OkAsync(await (await As(guarantor)).PostAsJsonAsync($"/api/members/{guarantor}/guarantees",
            new { operationId = operationId ?? TestCommunity.Unique("acc"), wardId = ward, limit }));

    /// <summary>A deal's id after it is proposed (by the provider) and accepted (by the consumer).</summary>
    public async Task<string> AcceptedDealAsync(string provider, string consumer, decimal value)
    {
        var id = (string)(await ProposeAsync(provider, provider, consumer, value))["id"]!;
        await OkAsync(await (await As(consumer)).PostAsync($"/api/deals/{id}/accept", null));
        return id;
    }

    public async Task<JsonNode> DealAsync(string dealId, string asMember) =>
        await OkAsync(await (await As(asMember)).GetAsync($"/api/deals/{dealId}"));

    /// <summary>
    /// What must not change when a call is refused: the ledger totals, and each member's and deal's full
    /// view (read by the member itself, and by a party of the deal), as JSON text by name.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> SnapshotAsync(IEnumerable<string> members, IEnumerable<(string Deal, string Party)>? deals = null)
    {
        var parts = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [$"ledger of {Id}"] = (await LedgerAsync()).ToJsonString(),
        };
        foreach (var m in members) parts[$"member {m}"] = (await MemberAsync(m)).ToJsonString();
        foreach (var (deal, party) in deals ?? []) parts[$"deal {deal}"] = (await DealAsync(deal, party)).ToJsonString();
        return parts;
    }

    /// <summary>The parts of two snapshots that differ, described for a failure message (empty when equal).</summary>
    public static IEnumerable<string> Changes(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after) =>
        before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k))
            .Select(k => $"{k} changed:\n    before {before.GetValueOrDefault(k)}\n    after  {after.GetValueOrDefault(k)}");

    /// <summary>Sends a request with a JSON body (an object to serialize, or raw text) or none.</summary>
    public static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Content = body switch
        {
            null => null,
            RawJson raw => new StringContent(raw.Text, System.Text.Encoding.UTF8, raw.MediaType),
            _ => JsonContent.Create(body, body.GetType(), options: Json),
        };
        return client.SendAsync(request);
    }

    /// <summary>A request body sent exactly as written (for malformed and wrongly typed JSON).</summary>
    public sealed record RawJson(string Text, string MediaType = "application/json");

    public async Task<JsonNode> MemberAsync(string memberId, string? asMember = null) =>
        await OkAsync(await (await As(asMember ?? memberId)).GetAsync($"/api/members/{memberId}"));

    public async Task<JsonNode> LedgerAsync() => await OkAsync(await Operator.GetAsync($"/api/communities/{Id}/ledger"));

    public static Task<JsonNode> OkAsync(HttpResponseMessage response) => Expect(response, HttpStatusCode.OK);

    /// <summary>Asserts the status (showing the body when it differs) and returns the JSON body.</summary>
    public static async Task<JsonNode> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>Asserts a problem+json answer with this status and code.</summary>
    public static async Task<JsonNode> ExpectProblem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await Expect(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, (string?)body["code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["title"]), "a problem needs a title a person can act on");
        return body;
    }

    public static decimal Dec(JsonNode? node) => node!.GetValue<decimal>();

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
