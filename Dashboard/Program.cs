using OrleansGuarantee.Dashboard.Telemetry;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Json;
using OrleansGuarantee.Dashboard;
using OrleansGuarantee.Dashboard.Api;
using OrleansGuarantee.Dashboard.Components;
using OrleansGuarantee.Dashboard.Health;
using OrleansGuarantee.Dashboard.Security;
using OrleansGuarantee.Dashboard.Services;
using Radzen;

// The front door: Blazor pages and the JSON API (shared/API.md), an Orleans client of the silo cluster.
var builder = WebApplication.CreateBuilder(args);
// Serve the static web assets (the site's CSS, Blazor's script) from a build output in every
// environment, not only Development; a published app has them in wwwroot and this does nothing.
builder.WebHost.UseStaticWebAssets();

builder.AddGuaranteeClusterClient();

builder.Services.AddSingleton(OperatorKey.Load(builder.Configuration, Console.Out));
builder.Services.AddSingleton<Passwords>();
builder.Services.AddSingleton<GuaranteeService>();
builder.Services.AddSingleton<CycleFeeds>();

if (builder.Configuration["DataDir"] is { Length: > 0 } dataDir)
{
    // Tokens and cookies stay valid across restarts of the front door.
    builder.Services.AddDataProtection()
        .SetApplicationName("OrleansGuarantee")
        .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(dataDir), "keys")));
}

builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(o =>
    {
        o.LoginPath = "/signin";
        o.LogoutPath = "/signout";
        o.AccessDeniedPath = "/signin";
        o.ExpireTimeSpan = TimeSpan.FromHours(8);
        o.SlidingExpiration = true;
        o.Cookie.Name = "og.auth";
        o.Cookie.HttpOnly = true;
        o.Cookie.SameSite = SameSiteMode.Lax;
    })
    .AddBearerToken(o => o.BearerTokenExpiration = TimeSpan.FromHours(1));
builder.Services.AddAuthorizationBuilder()
    .AddPolicy(ApiEndpoints.ApiPolicy, p => p.AddAuthenticationSchemes(BearerTokenDefaults.AuthenticationScheme).RequireAuthenticatedUser())
    .AddPolicy(OrleansDashboardSetup.OperatorPolicy, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme)
        .RequireRole(Actor.OperatorRole));
builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
builder.Services.AddCascadingAuthenticationState();

builder.Services.Configure<JsonOptions>(o =>
{
    o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    // Amounts are JSON numbers (API.md): "100" in quotes is a wrong type, not an amount.
    o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
});
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ApiExceptionHandler>();
builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
{
    document.Info.Title = "OrleansGuarantee API";
    document.Info.Description =
        "Communities, members, guarantees, deposits and covered deals. Get a token with POST /api/auth/token " +
        "({ operatorKey } or { memberId, password }) and send it as 'Authorization: Bearer <token>'. Errors are " +
        "application/problem+json with a 'title' and a machine-readable 'code'. Every call that moves money or " +
        "changes a guarantee takes an operationId; repeating it returns the first answer and changes nothing.";
    document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
    document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
    document.Components.SecuritySchemes["Bearer"] = new Microsoft.OpenApi.OpenApiSecurityScheme
    {
        Type = Microsoft.OpenApi.SecuritySchemeType.Http,
        Scheme = "bearer",
        Description = "A token from POST /api/auth/token.",
    };
    return Task.CompletedTask;
}));
builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster");

builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.AddFrontDoorTelemetry();
builder.Services.AddRadzenComponents();

var app = builder.Build();

app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandlingPath = "/error", AllowStatusCode404Response = true });
app.UseStatusCodePages(ApiStatusCodePages.WriteAsync);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapStaticAssets();
app.MapOpenApi();
app.MapHealthChecks("/health", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
{
    ResponseWriter = (context, report) => context.Response.WriteAsJsonAsync(new
    {
        status = report.Status.ToString(),
        checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
    }),
});
app.MapFrontDoorTelemetry();
app.MapGuaranteeApi();
app.MapAccountEndpoints();
app.MapOrleansDashboardForOperators();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Logger.LogInformation("Operator key from {Source}", app.Services.GetRequiredService<OperatorKey>().Source);
app.Run();

/// <summary>The entry point, visible to the API tests' WebApplicationFactory.</summary>
public partial class Program;
