namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.HealthProbeState")]
public sealed class HealthProbeState
{
    [Id(0)] public DateTimeOffset? LastWrite { get; set; }
}

/// <summary>A health check's round trip: a grain call and a read from grain storage (one per front door).</summary>
public sealed class HealthProbeGrain(
    [PersistentState("health", StorageNames.Store)] IPersistentState<HealthProbeState> state,
    ILocalSiloDetails silo) : Grain, IHealthProbeGrain
{
    public async Task<string> Check()
    {
        await state.ReadStateAsync();
        return silo.SiloAddress.ToString();
    }
}
