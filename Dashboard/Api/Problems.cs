using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing.Template;
using OrleansGuarantee.Dashboard.Security;

namespace OrleansGuarantee.Dashboard.Api;

/// <summary>Errors of the API as RFC 9457 problem details: a <c>title</c> a person can act on and a machine <c>code</c>.</summary>
public static class Problems
{
    public static bool IsApi(HttpContext context) => context.Request.Path.StartsWithSegments("/api");

    public static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.Interrupted => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static ProblemDetails Create(int status, string code, string title, string? instance = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Type = $"https://orleansguarantee.dev/problems/{code}", Instance = instance };
        problem.Extensions["code"] = code;
        return problem;
    }

    public static ProblemDetails From(GuaranteeException ex, string? instance)
    {
        var problem = Create(StatusOf(ex.Kind), ex.Code, ex.Message, instance);
        if (ex.Shortfalls.Length > 0)
            problem.Extensions["shortfalls"] = ex.Shortfalls.Select(s => new { memberId = s.MemberId, party = s.Party, required = s.Required, missing = s.Missing }).ToList();
        return problem;
    }

    public static async Task WriteAsync(HttpContext context, ProblemDetails problem)
    {
        context.Response.StatusCode = problem.Status ?? 500;
        await context.Response.WriteAsJsonAsync(problem, (JsonSerializerOptions?)null, "application/problem+json");
    }
}

/// <summary>Turns exceptions under <c>/api</c> into problem details; a refused command has changed nothing.</summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // The middleware has already pointed the request at the error page; the feature keeps the original path.
        var path = context.Features.Get<IExceptionHandlerFeature>()?.Path ?? context.Request.Path.Value ?? "";
        if (!new PathString(path).StartsWithSegments("/api")) return false;
        var instance = path;
        var problem = exception switch
        {
            GuaranteeException g => Problems.From(g, instance),
            BadHttpRequestException { InnerException: JsonException json } => Problems.Create(400,
                json.Message.Contains("could not be converted", StringComparison.Ordinal) ? "wrong-type" : "malformed-json",
                $"The request body is not valid: {Describe(json)}", instance),
            // "Required parameter ... was not provided" or, for an empty or null body, "... but no body was provided".
            BadHttpRequestException b when b.Message.Contains("was not provided", StringComparison.Ordinal)
                || b.Message.Contains("no body was provided", StringComparison.Ordinal) => Problems.Create(400,
                "missing-body", "The request needs a JSON body; see /openapi/v1.json for its fields.", instance),
            BadHttpRequestException b when b.StatusCode == StatusCodes.Status415UnsupportedMediaType => Problems.Create(415,
                "unsupported-media-type", "Send the body as JSON with Content-Type: application/json.", instance),
            BadHttpRequestException b when b.Message.StartsWith("Failed to bind parameter", StringComparison.Ordinal) => Problems.Create(400,
                "invalid-parameter", $"A parameter in the address has an invalid value ({b.Message}).", instance),
            BadHttpRequestException b => Problems.Create(b.StatusCode, "bad-request", b.Message, instance),
            _ when IsClusterUnavailable(exception) => Problems.Create(503, "cluster-unavailable",
                "The cluster or its storage is not answering right now. The call may not have taken effect: repeat it with the same operationId once /health answers 200.", instance),
            _ => null,
        };
        if (problem is null)
        {
            logger.LogError(exception, "Unexpected error on {Method} {Path}", context.Request.Method, instance);
            problem = Problems.Create(500, "internal-error",
                "Something went wrong on our side. Repeat the call with the same operationId; it will not take effect twice.", instance);
        }
        else if (problem.Status >= 500)
        {
            logger.LogWarning(exception, "{Method} {Path} failed: {Code}", context.Request.Method, instance, problem.Extensions["code"]);
        }
        await Problems.WriteAsync(context, problem);
        return true;
    }

    /// <summary>
    /// Failures of the cluster or its storage rather than of the request: Orleans errors and timeouts, storage that
    /// cannot be reached (a grain's own storage call, e.g. registering a reminder, fails with the Azure SDK's exception,
    /// after its retries as an <see cref="AggregateException"/>), and a message Orleans gave up on (its placement
    /// expired while the cluster could not place the grain). The caller can repeat the call once the cluster answers.
    /// </summary>
    public static bool IsClusterUnavailable(Exception exception) => exception switch
    {
        OrleansException or TimeoutException or Azure.RequestFailedException => true,
        OperationCanceledException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsClusterUnavailable),
        _ => false,
    };

    private static string Describe(JsonException json)
    {
        var where = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "" : $" at {json.Path}";
        var line = json.LineNumber is { } l ? $" (line {l + 1}, position {json.BytePositionInLine + 1})" : "";
        return json.Message.Contains("could not be converted", StringComparison.Ordinal)
            ? $"a value has the wrong type or is out of range{where}{line}."
            : $"it is not well-formed JSON{line}.";
    }
}

/// <summary>
/// Empty error answers under <c>/api</c> (no such endpoint, wrong method, wrong content type) as problem
/// details; pages keep the plain status pages.
/// </summary>
public static class ApiStatusCodePages
{
    public static async Task WriteAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        if (!Problems.IsApi(context)) return;
        // Routing answers 405 for any POST it cannot place (the static-asset fallback route takes GET only);
        // only a path of a real API endpoint is "the wrong method", anything else is no endpoint at all.
        if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !IsApiEndpointPath(context))
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        var (code, title) = context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => ("no-such-endpoint", $"There is no API endpoint {context.Request.Method} {context.Request.Path}; see /openapi/v1.json."),
            StatusCodes.Status405MethodNotAllowed => ("method-not-allowed", $"{context.Request.Path} does not take {context.Request.Method}; see /openapi/v1.json."),
            StatusCodes.Status415UnsupportedMediaType => ("unsupported-media-type", "Send the body as JSON with Content-Type: application/json."),
            var other => ("http-" + other, $"The request failed with status {other}."),
        };
        await Problems.WriteAsync(context, Problems.Create(context.Response.StatusCode, code, title, context.Request.Path));
    }

    private static bool IsApiEndpointPath(HttpContext context)
    {
        var endpoints = context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints;
        return endpoints.OfType<RouteEndpoint>().Any(e =>
            e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/", StringComparison.Ordinal) &&
            new TemplateMatcher(TemplateParser.Parse(raw), new RouteValueDictionary()).TryMatch(context.Request.Path, new RouteValueDictionary()));
    }
}

/// <summary>401 and 403 under <c>/api</c> as problem details (pages keep the cookie redirects).</summary>
public sealed class ApiAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (Problems.IsApi(context) && authorizeResult.Challenged)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.WriteAsync(context, Problems.Create(401, "not-signed-in",
                "Sign in first: get a token from POST /api/auth/token and send it as 'Authorization: Bearer <token>'.", context.Request.Path));
            return;
        }
        if (Problems.IsApi(context) && authorizeResult.Forbidden)
        {
            await Problems.WriteAsync(context, Problems.Create(403, "forbidden", "You are signed in but not allowed to do this.", context.Request.Path));
            return;
        }
        if (OrleansDashboardSetup.IsDashboard(context) && authorizeResult.Forbidden)
        {
            await OrleansDashboardSetup.WriteRefusalAsync(context);
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
