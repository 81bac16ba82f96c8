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
    public Task Add(IReadOnlyList<string> memberIds) => ChangeAsync(memberIds, state.State.Members.Add, id => state.State.Members.Remove(id));

    public Task Remove(IReadOnlyList<string> memberIds) => ChangeAsync(memberIds, state.State.Members.Remove, id => state.State.Members.Add(id));

    /// <summary>Applies the change to each member it changes and stores the page; nothing changed, nothing written.</summary>
    private async Task ChangeAsync(IReadOnlyList<string> memberIds, Func<string, bool> apply, Action<string> undo)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        var changed = memberIds.Where(apply).ToList();
        if (changed.Count == 0) return;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: the page stays as stored, and the caller (told it failed) keeps its own list as it was. The
            // outcome is unknown, so the activation goes and the next call reads the stored page (and its ETag) again.
            foreach (var id in changed) undo(id);
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>(state.State.Members.ToList());
}
