using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace OrleansGuarantee.Tests.Browser;

/// <summary>
/// The front door's HTTP API as "another client": the founders who accept a guarantee, the other party of a deal, a
/// judge. Each member signs in once (a bearer token); every call must succeed, or the test fails with the answer.
/// </summary>
public sealed class ApiClient(Uri baseUrl, string operatorKey) : IDisposable
{
    public const string Operator = "operator";

    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _tokens = new(StringComparer.Ordinal);

    public async Task WaitForHealthAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await _http.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (watch.Elapsed > timeout) throw new TimeoutException($"{baseUrl}health did not answer 200 within {timeout.TotalSeconds:0}s.");
            await Task.Delay(250);
        }
    }

    public async Task CreateCommunityAsync(string id, IEnumerable<string> founders, string password) =>
        await PostAsync(Operator, "/api/communities", new
        {
            id,
            name = "Browser tests",
            founders = founders.Select(f => new { id = f, name = char.ToUpperInvariant(f[0]) + f[1..], password }),
        }, HttpStatusCode.Created);

    public async Task SignUpAsync(string communityId, string id, string password, string[] offers, string[] needs) =>
        await SendAsync(null, HttpMethod.Post, $"/api/communities/{communityId}/members",
            new { id, name = $"Member {id}", password, offers, needs }, HttpStatusCode.Created);

    public Task<JsonNode> GetAsync(string who, string path) => SendAsync(who, HttpMethod.Get, path, null, HttpStatusCode.OK);

    public Task<JsonNode> PostAsync(string who, string path, object? body, HttpStatusCode expected = HttpStatusCode.OK) =>
        SendAsync(who, HttpMethod.Post, path, body, expected);

    private async Task<JsonNode> SendAsync(string? who, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType());
        if (who is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(who));
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path} as {who ?? "anonymous"}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text)!;
    }

    private Task<string> TokenAsync(string who) =>
        _tokens.GetOrAdd(who, w => new Lazy<Task<string>>(async () =>
        {
            object body = w == Operator ? new { operatorKey } : new { memberId = w, password = BrowserSystem.Password };
            var answer = await SendAsync(null, HttpMethod.Post, "/api/auth/token", body, HttpStatusCode.OK);
            return (string)answer["accessToken"]!;
        })).Value;

    public void Dispose() => _http.Dispose();
}
