using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.CommunityRegistryState")]
public sealed class CommunityRegistryState
{
    [Id(0)] public Dictionary<string, CommunityListing> Communities { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The communities of the service, for operators. Written only when a community is created (a repeat is
/// answered from memory without a write), so it is never on the path of members' messages.
/// </summary>
public sealed class CommunityRegistryGrain(
    [PersistentState("communities", StorageNames.Store)] IPersistentState<CommunityRegistryState> state) : Grain, ICommunityRegistryGrain
{
    public async Task Register(CommunityListing community)
    {
        ArgumentNullException.ThrowIfNull(community);
        Ids.Validate(community.Id, "community");
        if (state.State.Communities.TryGetValue(community.Id, out var known) && known == community) return;
        state.State.Communities[community.Id] = community;
        await state.PersistAsync(this);
    }

    public Task<IReadOnlyList<CommunityListing>> List()
    {
        IReadOnlyList<CommunityListing> list = state.State.Communities.Values
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal).ToList();
        return Task.FromResult(list);
    }
}
