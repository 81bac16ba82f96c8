using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansGuarantee.Demo;

/// <summary>A refusal of the API (problem+json): its status, machine-readable code and the title a person can act on.</summary>
public sealed class ApiProblemException(HttpStatusCode status, string? code, string title, string request)
    : Exception($"{request}: {(int)status} {code}: {title}")
{
    public HttpStatusCode Status { get; } = status;
    public string? Code { get; } = code;
    public string Title { get; } = title;
}

/// <summary>
/// The front door's HTTP API as the seeder uses it: as the operator, as any demo member (a token per member, asked
/// for once and renewed when refused), or anonymously. Transient failures (no connection, a timeout, 502/503/504,
/// 429, and cover that changed while it was being held) are retried with the same request, so a money-moving call
/// is repeated with its operation id and has one effect.
/// </summary>
public sealed class DemoApi : IDisposable
{
    /// <summary>Who makes a call: the operator, or the member with this id.</summary>
    public const string Operator = "operator";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan[] Backoff =
        [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2),
         TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(4)];

    private readonly HttpClient _http;
    private readonly string _operatorKey;
    private readonly string _password;
    private readonly Action<string> _onRetry;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _tokens = new(StringComparer.Ordinal);
    private int _retries;

    public DemoApi(Uri baseUrl, string operatorKey, string memberPassword, Action<string> onRetry)
    {
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        _operatorKey = operatorKey;
        _password = memberPassword;
        _onRetry = onRetry;
    }

    public Uri BaseUrl => _http.BaseAddress!;

    /// <summary>How many transient failures were retried.</summary>
    public int Retries => _retries;

    /// <summary>How many members signed in (each costs a password check on the server).</summary>
    public int SignIns => _tokens.Count(t => t.Key != Operator);

    /// <summary>Waits until <c>/health</c> answers 200 (the cluster and storage answer).</summary>
    public async Task WaitForHealthAsync(TimeSpan timeout, CancellationToken cancel)
    {
        var until = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (true)
        {
            try
            {
                using var response = await _http.GetAsync("/health", cancel);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}";
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is TaskCanceledException && !cancel.IsCancellationRequested)
            {
                last = ex.Message;
            }
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"{BaseUrl}health did not answer 200 within {timeout.TotalSeconds:0}s (last: {last}). Is the front door running?");
            await Task.Delay(500, cancel);
        }
    }

    public Task<JsonNode> GetAsync(string who, string path, CancellationToken cancel) => SendAsync(who, HttpMethod.Get, path, null, cancel);

    /// <summary>The resource, or null when the API answers 404.</summary>
    public async Task<JsonNode?> FindAsync(string who, string path, CancellationToken cancel)
    {
        try
        {
            return await GetAsync(who, path, cancel);
        }
        catch (ApiProblemException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<JsonNode> PostAsync(string? who, string path, object? body, CancellationToken cancel) => SendAsync(who, HttpMethod.Post, path, body, cancel);

    public Task<JsonNode> DeleteAsync(string who, string path, CancellationToken cancel) => SendAsync(who, HttpMethod.Delete, path, null, cancel);

    /// <summary>Sends a call as <paramref name="who"/> (null: anonymous), retrying transient failures; throws <see cref="ApiProblemException"/> on a refusal.</summary>
    public async Task<JsonNode> SendAsync(string? who, HttpMethod method, string path, object? body, CancellationToken cancel)
    {
        var request = $"{method} {path}{(who is null ? "" : $" as {who}")}";
        var renewed = false;
        for (var attempt = 0; ; attempt++)
        {
            string reason;
            try
            {
                using var message = new HttpRequestMessage(method, path);
                if (body is not null) message.Content = JsonContent.Create(body, body.GetType(), options: Json);
                if (who is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(who, cancel));
                using var response = await _http.SendAsync(message, cancel);
                var text = await response.Content.ReadAsStringAsync(cancel);
                if (response.IsSuccessStatusCode)
                    return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text)!;
                var problem = Problem(response.StatusCode, text, request);
                if (response.StatusCode == HttpStatusCode.Unauthorized && who is not null && who != Operator && !renewed)
                {
                    // The token expired (or the front door's keys changed): sign in again once.
                    _tokens.TryRemove(who, out _);
                    renewed = true;
                    attempt--;
                    continue;
                }
                if (!IsTransient(problem)) throw problem;
                reason = $"{(int)problem.Status} {problem.Code}";
            }
            catch (HttpRequestException ex)
            {
                reason = ex.Message;
            }
            catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
            {
                reason = $"no answer within {_http.Timeout.TotalSeconds:0}s";
            }
            if (attempt >= Backoff.Length)
                throw new InvalidOperationException($"{request} still fails after {attempt + 1} attempts: {reason}");
            Interlocked.Increment(ref _retries);
            _onRetry($"{request}: {reason}; retrying in {Backoff[attempt].TotalSeconds:0.##}s with the same request");
            await Task.Delay(Backoff[attempt], cancel);
        }
    }

    private static bool IsTransient(ApiProblemException problem) =>
        problem.Status is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
            or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
        || problem.Status == HttpStatusCode.InternalServerError && problem.Code is null
        || problem.Code == "cover-contended";

    private static ApiProblemException Problem(HttpStatusCode status, string text, string request)
    {
        string? code = null;
        var title = text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject o)
            {
                code = (string?)o["code"];
                title = (string?)o["title"] ?? text;
            }
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's page, say): the text is the title.
        }
        return new ApiProblemException(status, code, string.IsNullOrWhiteSpace(title) ? status.ToString() : title, request);
    }

    private Task<string> TokenAsync(string who, CancellationToken cancel) =>
        _tokens.GetOrAdd(who, w => new Lazy<Task<string>>(() => SignInAsync(w, cancel))).Value;

    private async Task<string> SignInAsync(string who, CancellationToken cancel)
    {
        object body = who == Operator ? new { operatorKey = _operatorKey } : new { memberId = who, password = _password };
        try
        {
            var answer = await SendAsync(null, HttpMethod.Post, "/api/auth/token", body, cancel);
            return (string?)answer["accessToken"] ?? throw new InvalidOperationException("The token answer has no accessToken.");
        }
        catch
        {
            _tokens.TryRemove(who, out _); // a later call signs in again
            throw;
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Reading the API's JSON answers.</summary>
public static class JsonRead
{
    public static string Str(this JsonNode node, string name) =>
        (string?)node[name] ?? throw new InvalidOperationException($"The answer has no '{name}': {node.ToJsonString()}");

    public static string? StrOrNull(this JsonNode node, string name) => node[name] is JsonValue v ? (string?)v : null;

    public static decimal Dec(this JsonNode node, string name) => node[name]?.GetValue<decimal>() ?? 0m;

    public static int Int(this JsonNode node, string name) => node[name]?.GetValue<int>() ?? 0;

    public static bool Bool(this JsonNode node, string name) => node[name]?.GetValue<bool>() ?? false;

    public static IReadOnlyList<JsonNode> Items(this JsonNode node, string name) =>
        node[name] is JsonArray a ? a.Where(x => x is not null).Select(x => x!).ToList() : [];

    public static IReadOnlyList<string> Strings(this JsonNode node, string name) =>
        node[name] is JsonArray a ? a.Select(x => (string?)x).OfType<string>().ToList() : [];
}
