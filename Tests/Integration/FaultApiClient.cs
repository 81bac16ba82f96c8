using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>One answer of the API as the fault suite saw it: a status (0 when none came) and the JSON body.</summary>
internal sealed record ApiAnswer(int Status, JsonNode? Body, string? MediaType, string? Failure)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>No answer in time, or a 5xx: the call may or may not have taken effect, so it is repeated as it was.</summary>
    public bool IsUnavailable => Status == 0 || Status >= 500;

    public bool IsProblem => MediaType == "application/problem+json";

    /// <summary>The problem's machine code, or "timeout" when no answer came.</summary>
    public string? Code => IsProblem ? (string?)Body?["code"] : Status == 0 ? "timeout" : null;

    public override string ToString()
    {
        if (Status == 0) return $"no answer ({Failure})";
        var text = Body?.ToJsonString() ?? Failure ?? "";
        return $"{Status} {(text.Length > 400 ? text[..400] + "..." : text)}";
    }
}

/// <summary>A call made by the fault suite: when it started (on the suite's clock), what it was and how it was answered.</summary>
internal sealed record CallRecord(TimeSpan At, TimeSpan Took, string Step, int Status, string? Code, bool Repeat);

/// <summary>A deal or cycle flow could not go on: a wrong answer, or no answer for too long.</summary>
internal sealed class FlowFailure(string message) : Exception(message);

/// <summary>
/// The fault suite's HTTP client of the front door: one connection pool, a bearer token per actor (member id, or
/// <see cref="Operator"/>), every call recorded. An error answer (5xx) that is not a problem description with a code and
/// a title, and a dropped connection, are recorded as violations: during a fault a call may fail, but clearly.
/// </summary>
internal sealed class FaultApiClient : IDisposable
{
    public const string Operator = "operator";
    /// <summary>Longer than the front door's grain call timeout (30 s), so the front door answers first when it can.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(45);
    /// <summary>How long one step is repeated while the cluster does not answer before its flow gives up.</summary>
    public static readonly TimeSpan StepDeadline = TimeSpan.FromMinutes(3);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly Stopwatch _clock;
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public FaultApiClient(Uri baseAddress, Stopwatch clock)
    {
        _clock = clock;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan, // each call has its own RequestTimeout
        };
    }

    public ConcurrentQueue<CallRecord> Calls { get; } = new();

    /// <summary>Everything that broke a promise of the system (unclear errors, wrong data, lost money...), as sentences.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    public void Violation(string what) => Violations.Enqueue(what);

    /// <summary>Gets a token for a member (or, with <paramref name="operatorKey"/>, the operator), repeating while the cluster does not answer.</summary>
    public async Task SignInAsync(string actor, string? password = null, string? operatorKey = null)
    {
        object body = operatorKey is not null ? new { operatorKey } : new { memberId = actor, password };
        var (answer, _) = await UntilAnsweredAsync(null, HttpMethod.Post, "/api/auth/token", body, "sign-in");
        if (answer.Status != 200 || (string?)answer.Body?["accessToken"] is not { Length: > 0 } token)
            throw new FlowFailure($"sign-in of {actor}: {answer}");
        _tokens[actor] = token;
    }

    /// <summary>One call; no answer within <see cref="RequestTimeout"/> is status 0.</summary>
    public async Task<ApiAnswer> SendAsync(string? actor, HttpMethod method, string path, object? body, string step, bool repeat)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        if (actor is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _tokens[actor]);
        var started = _clock.Elapsed;
        using var timeout = new CancellationTokenSource(RequestTimeout);
        ApiAnswer answer;
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            JsonNode? node = null;
            string? failure = null;
            try
            {
                if (text.Length > 0) node = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                failure = "the body is not JSON: " + (text.Length > 200 ? text[..200] : text);
            }
            answer = new ApiAnswer((int)response.StatusCode, node, response.Content.Headers.ContentType?.MediaType, failure);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            answer = new ApiAnswer(0, null, null, $"no answer within {RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            answer = new ApiAnswer(0, null, null, $"connection failed: {ex.Message}");
            Violation($"{step}: {method} {path}: the front door dropped the connection ({ex.Message})");
        }
        Calls.Enqueue(new CallRecord(started, _clock.Elapsed - started, step, answer.Status, answer.Code, repeat));
        if (answer.Status >= 500 && !(answer.IsProblem && !string.IsNullOrEmpty(answer.Code) && !string.IsNullOrWhiteSpace((string?)answer.Body?["title"])))
            Violation($"{step}: {method} {path}: an error answer that is not a problem description with a code and a title: {answer}");
        if (answer.Status is > 0 and < 500 && answer.Failure is not null)
            Violation($"{step}: {method} {path}: {answer.Status} with {answer.Failure}");
        return answer;
    }

    /// <summary>
    /// Repeats the call, exactly as it was (same operation id, same body), while it gets no answer or a 5xx, with a short
    /// back-off; gives up after <see cref="StepDeadline"/>. <c>Repeated</c> says whether an earlier attempt may have taken effect.
    /// </summary>
    public async Task<(ApiAnswer Answer, bool Repeated)> UntilAnsweredAsync(string? actor, HttpMethod method, string path, object? body, string step)
    {
        var watch = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var answer = await SendAsync(actor, method, path, body, step, repeat: attempt > 0);
            if (!answer.IsUnavailable) return (answer, attempt > 0);
            if (watch.Elapsed > StepDeadline)
                throw new FlowFailure($"{step}: {method} {path} still fails after {watch.Elapsed.TotalSeconds:0} s: {answer}");
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2_000, 200 * (1 << Math.Min(attempt, 4))) + Random.Shared.Next(100)));
        }
    }

    /// <summary>A GET that must succeed (repeated while the cluster does not answer).</summary>
    public async Task<JsonNode> GetAsync(string actor, string path, string step)
    {
        var (answer, _) = await UntilAnsweredAsync(actor, HttpMethod.Get, path, null, step);
        if (answer.Status != 200 || answer.Body is null) throw new FlowFailure($"{step}: GET {path}: {answer}");
        return answer.Body;
    }

    public void Dispose() => _http.Dispose();
}
