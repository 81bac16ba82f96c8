namespace OrleansGuarantee.Benchmarks.Scale;

/// <summary>A benchmark-only grain: the cheapest call that still writes grain storage, to measure what Orleans
/// itself can do on this machine (the ceiling the real grains are compared with).</summary>
[Alias("og.bench.ICounterGrain")]
public interface ICounterGrain : IGrainWithIntegerKey
{
    [Alias("Increment")]
    Task<long> Increment();
}

[GenerateSerializer, Alias("og.bench.CounterState")]
public sealed class CounterState
{
    [Id(0)] public long Value { get; set; }
}

/// <summary>Adds one and writes the state to the same storage provider the real grains use.</summary>
public sealed class CounterGrain([PersistentState("counter", StorageNames.Store)] IPersistentState<CounterState> state) : Grain, ICounterGrain
{
    public async Task<long> Increment()
    {
        state.State.Value++;
        await state.WriteStateAsync();
        return state.State.Value;
    }
}
