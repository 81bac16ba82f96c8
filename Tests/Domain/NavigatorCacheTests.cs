using Microsoft.Extensions.Options;
using OrleansGuarantee.Domain;
using OrleansGuarantee.Navigation;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}

/// <summary>The navigator's per-silo cache: what it keeps, for how long, and what it never keeps.</summary>
public class NavigatorCacheTests
{
    private static (NavigatorCache Cache, ManualClock Clock) Make(double seconds = 10, int maxMembers = 1000)
    {
        var clock = new ManualClock();
        return (new NavigatorCache(Options.Create(new NavigatorOptions { CacheSeconds = seconds, CacheMaxMembers = maxMembers }), clock), clock);
    }

    private static Func<Task<IReadOnlySet<string>>> Loader(List<string> calls, params string[] ids) => () =>
    {
        calls.Add(string.Join(",", ids));
        return Task.FromResult<IReadOnlySet<string>>(ids.ToHashSet(StringComparer.Ordinal));
    };

    [Fact]
    public async Task Providers_are_reused_within_the_period_and_read_again_after_it()
    {
        var (cache, clock) = Make(seconds: 10);
        var calls = new List<string>();
        var first = await cache.GetProvidersAsync("c1", "masonry", Loader(calls, "a", "b"));
        clock.Advance(TimeSpan.FromSeconds(9));
        // Same skill whatever its case and spaces; the loader is not called.
        Assert.Same(first, await cache.GetProvidersAsync("c1", " Masonry ", Loader(calls, "changed")));
        Assert.Single(calls);
        // Another community or skill is its own entry.
        Assert.Equal(["z"], await cache.GetProvidersAsync("c2", "masonry", Loader(calls, "z")));
        Assert.Equal(["t"], await cache.GetProvidersAsync("c1", "timber", Loader(calls, "t")));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["a", "b", "c"], (await cache.GetProvidersAsync("c1", "masonry", Loader(calls, "a", "b", "c"))).Order(StringComparer.Ordinal));
        Assert.Equal(4, calls.Count);
    }

    [Fact]
    public async Task A_period_of_zero_reads_every_time()
    {
        var (cache, _) = Make(seconds: 0);
        var calls = new List<string>();
        await cache.GetProvidersAsync("c1", "masonry", Loader(calls, "a"));
        await cache.GetProvidersAsync("c1", "masonry", Loader(calls, "a"));
        var snapshots = 0;
        for (var i = 0; i < 2; i++)
            await cache.GetOffersAsync("c1", () => Task.FromResult(new OffersSnapshot([new MemberOffer($"m{++snapshots}", ["x"], ["y"])])));
        Assert.Equal(2, calls.Count);
        Assert.Equal(2, snapshots);
    }

    [Fact]
    public async Task A_failed_read_is_not_kept()
    {
        var (cache, _) = Make();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            cache.GetProvidersAsync("c1", "masonry", () => Task.FromException<IReadOnlySet<string>>(new InvalidOperationException("partition down"))));
        var calls = new List<string>();
        Assert.Equal(["a"], await cache.GetProvidersAsync("c1", "masonry", Loader(calls, "a")));
        Assert.Single(calls);
    }

    [Fact]
    public async Task The_cache_never_keeps_more_members_than_its_bound()
    {
        var (cache, clock) = Make(seconds: 10, maxMembers: 3);
        var calls = new List<string>();
        await cache.GetProvidersAsync("c1", "s1", Loader(calls, "a", "b"));
        clock.Advance(TimeSpan.FromSeconds(11));
        // Over the bound: the expired entry goes first, the fresh one stays.
        await cache.GetProvidersAsync("c1", "s2", Loader(calls, "c", "d"));
        await cache.GetProvidersAsync("c1", "s2", Loader(calls, "never"));
        Assert.Equal(2, calls.Count);
        // Still over the bound with only fresh entries: everything goes, and is read again when asked.
        await cache.GetProvidersAsync("c1", "s3", Loader(calls, "e", "f"));
        await cache.GetProvidersAsync("c1", "s2", Loader(calls, "c", "d"));
        Assert.Equal(4, calls.Count);
    }

    [Fact]
    public async Task Offers_snapshots_keep_their_proposals_and_know_their_members()
    {
        var (cache, clock) = Make();
        var reads = 0;
        Task<OffersSnapshot> Read()
        {
            reads++;
            return Task.FromResult(new OffersSnapshot([new MemberOffer("a", ["x"], ["y"]), new MemberOffer("b", ["y"], ["x"])]));
        }
        var snapshot = await cache.GetOffersAsync("c1", Read);
        Assert.Same(snapshot, await cache.GetOffersAsync("c1", Read));
        Assert.True(snapshot.Contains("a"));
        Assert.False(snapshot.Contains("z"));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.NotSame(snapshot, await cache.GetOffersAsync("c1", Read));
        Assert.Equal(2, reads);
    }
}
