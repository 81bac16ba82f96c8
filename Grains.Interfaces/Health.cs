namespace OrleansGuarantee;

/// <summary>Answers only when a silo runs it and grain storage answers a read.</summary>
[Alias("og.IHealthProbeGrain")]
public interface IHealthProbeGrain : IGrainWithStringKey
{
    /// <summary>Reads this grain's state from storage and returns the silo that answered.</summary>
    [Alias("Check")]
    Task<string> Check();
}
