using System.Net;
using Orleans.Dashboard;

namespace OrleansGuarantee.Dashboard.Security;

/// <summary>
/// The Orleans dashboard (Microsoft.Orleans.Dashboard: grain statistics, silos, reminders) served by the
/// front door under <see cref="Path"/>, to operators only: it shows every grain of every community. The
/// silos collect the statistics (<c>AddDashboard()</c> on each silo); the front door's cluster client reads them.
/// </summary>
public static class OrleansDashboardSetup
{
    public const string Path = "/orleans";
    public const string OperatorPolicy = "operator";

    /// <summary>Maps the dashboard's pages and JSON under <see cref="Path"/>, behind the operator cookie.</summary>
    public static void MapOrleansDashboardForOperators(this IEndpointRouteBuilder app) =>
        app.MapOrleansDashboard(routePrefix: Path).RequireAuthorization(OperatorPolicy).ExcludeFromDescription();

    public static bool IsDashboard(HttpContext context) => context.Request.Path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A signed-in member who opens the dashboard: a plain 403 page that says why and how to get in, instead of
    /// being sent to the sign-in form with no explanation.
    /// </summary>
    public static async Task WriteRefusalAsync(HttpContext context)
    {
        var who = WebUtility.HtmlEncode(context.User.Identity?.Name ?? "a member");
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>Operators only · OrleansGuarantee</title><link rel="stylesheet" href="/app.css" /></head>
            <body><main>
            <h1>Operators only</h1>
            <div class="note error" role="alert" data-refusal>
            <p>The Orleans dashboard shows the whole cluster, so only operators can open it. You are signed in as {{who}}.</p>
            </div>
            <p><a href="/signin?returnUrl=%2Forleans%2F">Sign in with the operator key</a> or go back to <a href="/">the home page</a>.</p>
            </main></body></html>
            """);
    }
}
