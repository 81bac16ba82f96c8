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
    private readonly Dictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

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
            foreach (var f in founders) await community.DepositAsync(f, founderDeposit);
        return community;
    }

    /// <summary>The signed-in client of a member (a token obtained once per member).</summary>
    public async Task<HttpClient> As(string memberId)
    {
        if (!_clients.TryGetValue(memberId, out var client))
            _clients[memberId] = client = await _api.MemberAsync(memberId, Password);
        return client;
    }

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
