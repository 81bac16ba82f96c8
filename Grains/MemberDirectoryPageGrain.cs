namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.MemberDirectoryPageState")]
public sealed class MemberDirectoryPageState
{
    [Id(0)] public HashSet<string> Members { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One stored page of a directory partition's member ids (<see cref="IMemberDirectoryPageGrain"/>).</summary>
public sealed class MemberDirectoryPageGrain(
    [PersistentState("directorypage", StorageNames.Store)] IPersistentState<MemberDirectoryPageState> state) : Grain, IMemberDirectoryPageGrain
{
    public async Task Add(IReadOnlyList<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        var added = memberIds.Where(state.State.Members.Add).ToList();
        if (added.Count == 0) return;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: the page stays as stored, and the caller (told it failed) keeps its own list as it was.
            foreach (var id in added) state.State.Members.Remove(id);
            DeactivateOnIdle(); // the outcome is unknown: read the stored page (and its ETag) again
            throw;
        }
    }

    public async Task Remove(IReadOnlyList<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        var removed = memberIds.Where(state.State.Members.Remove).ToList();
        if (removed.Count == 0) return;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            foreach (var id in removed) state.State.Members.Add(id);
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>(state.State.Members.ToList());
}
