using System.Diagnostics.Metrics;

namespace OrleansGuarantee;

/// <summary>
/// The domain's own metrics (OpenTelemetry through System.Diagnostics.Metrics), next to Orleans' "Microsoft.Orleans"
/// meter: deals accepted, completed and settled, cover shortfalls, arbitration cases open by level, and cycle stages
/// by outcome. The silo and the front door export them (Prometheus scrape endpoint and/or OTLP; see the README).
/// Counts are per process; a dashboard sums them over silos.
/// </summary>
public static class GuaranteeMetrics
{
    public const string MeterName = "OrleansGuarantee";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> DealsAccepted =
        Meter.CreateCounter<long>("orleansguarantee.deals.accepted", "{deal}", "Deals accepted with their cover held.");

    public static readonly Counter<long> DealsCompleted =
        Meter.CreateCounter<long>("orleansguarantee.deals.completed", "{deal}", "Deals confirmed by both parties and closed.");

    public static readonly Counter<long> DealsSettled =
        Meter.CreateCounter<long>("orleansguarantee.deals.settled", "{deal}", "Deals closed by paying a claim.");

    public static readonly Counter<long> CoverShortfalls =
        Meter.CreateCounter<long>("orleansguarantee.cover.shortfalls", "{refusal}", "Acceptances refused because the cover was short.");

    public static readonly UpDownCounter<long> CasesOpen =
        Meter.CreateUpDownCounter<long>("orleansguarantee.cases.open", "{case}", "Arbitration cases open, by the level they are at (tag level).");

    public static readonly Counter<long> CycleStages =
        Meter.CreateCounter<long>("orleansguarantee.cycle.stages", "{stage}", "Cycle stages by what happened to them (tag outcome: started, completed, failed).");

    public static KeyValuePair<string, object?> Level(int level) => new("level", level);

    public static KeyValuePair<string, object?> Outcome(string outcome) => new("outcome", outcome);
}
