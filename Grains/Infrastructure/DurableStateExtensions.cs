namespace OrleansGuarantee.Infrastructure;

public static class DurableStateExtensions
{
    /// <summary>
    /// Writes the state; when the write fails the in-memory state is reloaded from storage (or, failing
    /// that, the activation is dropped) so that no later call can act on a change that was never stored.
    /// </summary>
    public static async Task PersistAsync<T>(this IPersistentState<T> state, IGrainBase grain)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            try { await state.ReadStateAsync(); }
            catch { grain.DeactivateOnIdle(); }
            throw;
        }
    }
}
