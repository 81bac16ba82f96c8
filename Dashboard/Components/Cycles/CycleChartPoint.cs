namespace OrleansGuarantee.Dashboard.Components.Cycles;

/// <summary>One stage of the cycle chart: what the stage would cost at market price, what it costs in the cycle,
/// and the saving accumulated up to and including it.</summary>
public sealed record CycleChartPoint(string Stage, decimal MarketPrice, decimal CyclePrice, decimal CumulativeSaving)
{
    public static IReadOnlyList<CycleChartPoint> From(CycleView cycle) =>
        cycle.Stages.OrderBy(s => s.Index)
            .Select(s => new CycleChartPoint($"{s.Index + 1}. {s.Role}", s.MarketPrice, s.CyclePrice, s.CumulativeSaving))
            .ToList();
}
