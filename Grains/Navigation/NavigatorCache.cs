using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Navigation;

/// <summary>Settings of the navigator (configuration section "Navigator").</summary>
public sealed class NavigatorOptions
{
    /// <summary>
    /// How long a silo reuses what it read of the whole directory (the members offering a skill; every member's
    /// offers and needs, and the cycle proposals computed from them) before asking the 64 partitions again. 0 turns
    /// the cache off. Offers and needs that change are seen within this time; expulsions are not delayed by it.
    /// </summary>
    public double CacheSeconds { get; set; } = 10;

    /// <summary>The most members the cache keeps in one silo, over all communities, skills and offer lists; past it,
    /// entries are dropped (expired ones first), so a silo never keeps more than a bounded part of the directory.</summary>
    public int CacheMaxMembers { get; set; } = 2_000_000;
}

/// <summary>Every non-expelled member's offers and needs as read at one moment, with the cycle proposals already
/// computed from it (by maxLength and limit), so a repeated request only checks for expulsions.</summary>
public sealed class OffersSnapshot(IReadOnlyList<MemberOffer> members)
{
    private readonly HashSet<string> _ids = members.Select(m => m.MemberId).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyList<MemberOffer> Members { get; } = members;

    public bool Contains(string memberId) => _ids.Contains(memberId);

    internal ConcurrentDictionary<(int MaxLength, int Limit), IReadOnlyList<CycleProposal>> Proposals { get; } = new();
}

/// <summary>
/// Per silo: what the navigator reads from all 64 directory partitions of a community, kept for
/// <see cref="NavigatorOptions.CacheSeconds"/>. A skill search otherwise starts by asking every partition who offers
/// the skill and merging thousands of ids (at 100,000 members, two thirds of the calls of a skill search), and a cycle proposal
/// request reads every member's offers and needs. Reused, those reads happen once per period per silo. The sets are
/// shared read-only by concurrent queries. Not a grain: no grain holds them or sees every query; each silo keeps its
/// own copy of what its queries asked for, within <see cref="NavigatorOptions.CacheMaxMembers"/>.
/// <para>What may be stale: who offers and needs what, for up to the period. What may not: expulsions. An expelled
/// provider in a stale set is unreachable (the partitions drop expelled members from every contact list at once), and
/// proposals are checked against the partitions' current expelled members on every request.</para>
/// </summary>
public sealed class NavigatorCache(IOptions<NavigatorOptions> options, TimeProvider clock)
{
    private sealed record Entry(Task Value, long LoadedAt, Func<int> Size);

    private readonly ConcurrentDictionary<(string Community, string Kind, string Key), Entry> _entries = new();

    /// <summary>The members of <paramref name="communityId"/> offering <paramref name="skill"/> (case-insensitive).</summary>
    public Task<IReadOnlySet<string>> GetProvidersAsync(string communityId, string skill, Func<Task<IReadOnlySet<string>>> load) =>
        GetAsync((communityId, "providers", skill.Trim().ToUpperInvariant()), load, set => set.Count);

    /// <summary>Every non-expelled member's offers and needs in <paramref name="communityId"/>.</summary>
    public Task<OffersSnapshot> GetOffersAsync(string communityId, Func<Task<OffersSnapshot>> load) =>
        GetAsync((communityId, "offers", ""), load, snapshot => snapshot.Members.Count);

    /// <summary>Drops everything cached.</summary>
    public void Clear() => _entries.Clear();

    /// <summary>The cached value, or the one <paramref name="load"/> reads (and the cache keeps) when there is none or
    /// it is older than the period. Queries that miss together may each read; every answer is right.</summary>
    private Task<T> GetAsync<T>((string, string, string) key, Func<Task<T>> load, Func<T, int> size)
    {
        ArgumentNullException.ThrowIfNull(load);
        var settings = options.Value;
        if (settings.CacheSeconds <= 0) return load();
        var ttl = TimeSpan.FromSeconds(settings.CacheSeconds);
        var now = clock.GetTimestamp();
        if (_entries.TryGetValue(key, out var known) && known.Value is Task<T> cached
            && !cached.IsFaulted && !cached.IsCanceled && clock.GetElapsedTime(known.LoadedAt, now) < ttl)
            return cached;
        var fresh = load();
        _entries[key] = new Entry(fresh, now, () => fresh.IsCompletedSuccessfully ? size(fresh.Result) : 0);
        Trim(settings.CacheMaxMembers, ttl, now);
        return fresh;
    }

    private void Trim(int maxMembers, TimeSpan ttl, long now)
    {
        long Total() => _entries.Values.Sum(e => (long)e.Size());
        if (Total() <= maxMembers) return;
        foreach (var (key, entry) in _entries)
            if (clock.GetElapsedTime(entry.LoadedAt, now) >= ttl) _entries.TryRemove(key, out _);
        if (Total() > maxMembers) _entries.Clear();
    }
}
