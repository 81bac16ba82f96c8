using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OrleansGuarantee.Dashboard.Telemetry;

/// <summary>
/// OpenTelemetry for the front door: the domain's meter (<see cref="GuaranteeMetrics"/>, which in the in-process test
/// setup also sees the grains), Orleans' client meter and traces, ASP.NET Core and the .NET runtime. A Prometheus
/// scrape endpoint at <c>Telemetry:PrometheusPath</c> (default <c>/metrics</c>; empty turns it off); OTLP export when
/// the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (with the other standard OTEL_* settings).
/// </summary>
public static class TelemetrySetup
{
    public static void AddFrontDoorTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var prometheus = !string.IsNullOrWhiteSpace(PrometheusPath(builder.Configuration));
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "orleansguarantee-frontdoor"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GuaranteeMetrics.MeterName, "Microsoft.Orleans")
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation();
                if (prometheus) metrics.AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter();
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/_blazor"));
                if (otlp) tracing.AddOtlpExporter();
            });
    }

    public static void MapFrontDoorTelemetry(this WebApplication app)
    {
        if (PrometheusPath(app.Configuration) is { Length: > 0 } path) app.MapPrometheusScrapingEndpoint(path);
    }

    private static string? PrometheusPath(IConfiguration configuration) =>
        configuration["Telemetry:PrometheusPath"] is { } configured ? configured : "/metrics";
}
