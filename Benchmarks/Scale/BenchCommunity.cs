using System.Globalization;

namespace OrleansGuarantee.Benchmarks.Scale;

/// <summary>
/// Builds a community through the real grains: three founders, then members in waves, each member guaranteed by two
/// earlier ones (the founders guarantee the first members, who guarantee later ones, about <see cref="FanOut"/> wards
/// each). A member's guarantors always come from an earlier wave, so they are active before they are asked.
/// The guarantee tree is wide and shallow (depth about log10 of the members), as the guarantee grain walks a
/// guarantor's ancestors on every request and acceptance.
/// </summary>
public sealed class BenchCommunity(IGrainFactory grains, string id)
{
    /// <summary>How many wards each guarantor takes on, on average about twice this (two guarantors per member).</summary>
    public const int FanOut = 10;

    public const int FounderCount = 3;

    public string Id { get; } = id;

    public IReadOnlyList<string> Founders { get; } = Enumerable.Range(1, FounderCount).Select(i => $"{id}-f{i}").ToList();

    public string MemberId(int index) => $"{Id}-m{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Node j of the tree: founders first, then the members.</summary>
    private string Node(int j) => j < FounderCount ? Founders[j] : MemberId(j - FounderCount);

    /// <summary>Latency of each call made while adding members, to show which step dominates the creation time.</summary>
    public LatencySample SignUps { get; } = new();
    public LatencySample Requests { get; } = new();
    public LatencySample Accepts { get; } = new();

    public IMemberGrain Member(string memberId) => grains.GetGrain<IMemberGrain>(memberId);

    public async Task CreateAsync(decimal founderDeposit)
    {
        await grains.GetGrain<ICommunityGrain>(Id).Create(new CreateCommunity("Benchmark community",
            Founders.Select(f => new FounderSpec(f, $"Founder {f}")).ToList(), null));
        foreach (var f in Founders) await Member(f).Deposit($"{f}-dep", founderDeposit);
    }

    /// <summary>Signs up <paramref name="count"/> members with two accepted guarantees each (and a deposit if asked),
    /// <paramref name="concurrency"/> at a time, wave by wave.</summary>
    public async Task AddMembersAsync(int count, int concurrency, decimal deposit, Action done)
    {
        var next = 0;
        while (next < count)
        {
            // Node j's guarantors are nodes (j-3)/FanOut and that + 1; all of them must be earlier than this wave.
            var start = next + FounderCount;
            var end = Math.Min(count + FounderCount, FanOut * (start - 1) + FounderCount);
            // In a shuffled order: members taken in index order share their guarantors, whose grains would then
            // serialize most of the wave.
            var wave = Enumerable.Range(start, end - start).ToArray();
            new Random(start).Shuffle(wave);
            await Parallel.ForEachAsync(wave,
                new ParallelOptions { MaxDegreeOfParallelism = concurrency },
                async (j, _) =>
                {
                    await AddMemberAsync(j, deposit);
                    done();
                });
            next = end - FounderCount;
        }
    }

    private async Task AddMemberAsync(int j, decimal deposit)
    {
        var id = Node(j);
        var t = System.Diagnostics.Stopwatch.GetTimestamp();
        await Member(id).SignUp(Id, new MemberProfile($"Member {id}", ["masonry"], ["timber"]), null);
        SignUps.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        if (deposit > 0) await Member(id).Deposit($"{id}-dep", deposit);
        var first = (j - FounderCount) / FanOut;
        foreach (var g in new[] { Node(first), Node(first + 1) })
        {
            var guarantee = grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(id, g));
            t = System.Diagnostics.Stopwatch.GetTimestamp();
            await guarantee.Request($"{id}-req-{g}", id, g);
            Requests.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            t = System.Diagnostics.Stopwatch.GetTimestamp();
            await guarantee.Accept($"{id}-acc-{g}", g, id, 100m);
            Accepts.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
    }
}
