using System.Diagnostics;

namespace OrleansGuarantee.Benchmarks.Navigator;

/// <summary>How the contacts of the generated community were made, for the report.</summary>
public sealed record SeedReport(
    TimeSpan Community, int Members, TimeSpan SignUp, int Guaranteed, int Guarantees, TimeSpan GuaranteesTime,
    long RealContacts, TimeSpan RealContactsTime, long BulkContacts, int BulkMembers, TimeSpan BulkTime,
    int Expelled, TimeSpan Total, string ContactPath, long BulkHeapGrowth);

/// <summary>
/// Creates the generated community through the grains, so the navigator reads the real directory index:
/// <list type="number">
/// <item>the community with its three founders (<see cref="ICommunityGrain.Create"/>);</item>
/// <item>every member signs up (<see cref="IMemberGrain.SignUp"/>: stored, reported to its directory partition);</item>
/// <item>some members become active: the founders guarantee the first ones, who then guarantee later ones, two
/// guarantors each (<see cref="IGuaranteeGrain.Request"/> and <see cref="IGuaranteeGrain.Accept"/>, the ancestor
/// check included); each guarantee is also a contact with its limit as strength;</item>
/// <item>contacts through the real path, both sides asking (<see cref="IContactGrain.Ask"/> twice), for the contacts
/// among the first <c>sampleMembers</c> members; the rate measured there decides the rest (see below);</item>
/// <item>a few guaranteed members are expelled the real way (a debt, then both guarantors withdraw), so the searches
/// run with expelled members in the index, whom no path may cross;</item>
/// <item>the remaining contacts: through the real path if that is projected to fit the seeding budget, otherwise
/// through the <b>bulk path</b>.</item>
/// </list>
/// <para><b>The bulk path</b> exists because the real contact path costs two contact-grain calls, four member state
/// writes, two recovery reminders and four directory reports per contact: at 100,000 members and about a million
/// contacts it does not fit in minutes on two cores (the run prints the measured rate and the projection). The bulk
/// path reads each member's real <see cref="MemberSummary"/> (<see cref="IMemberGrain.GetSummary"/>: status, offers,
/// needs, backing, the contacts and guarantees made so far), adds its generated contacts at strength 0, and reports
/// it to the member's partition with <see cref="IMemberDirectoryGrain.Report"/> — the same call and record the
/// member makes — under a revision far above the member's own, so the partition keeps it. Member grains do not
/// learn these contacts: in this benchmark community a member's own later report would be older than the bulk one
/// and ignored, which is acceptable only because nothing changes after seeding. The navigator reads exactly what it
/// would read had the members made the contacts themselves.</para>
/// </summary>
public sealed class Seeder(IGrainFactory grains, CommunityModel model, NavigatorBenchmarkOptions options)
{
    public const string CommunityId = "bench";

    /// <summary>Added to a member's revision in the bulk report, so the partition prefers it to the member's own.</summary>
    public const long BulkRevisionOffset = 1_000_000_000;

    public static readonly string[] Founders = ["bench-f1", "bench-f2", "bench-f3"];

    private readonly HashSet<int> _expelled = [];

    /// <summary>Indexes of the members expelled while seeding: never a searching member or a target.</summary>
    public IReadOnlySet<int> Expelled => _expelled;

    public async Task<SeedReport> SeedAsync()
    {
        var total = Stopwatch.StartNew();
        var random = new Random(options.RandomSeed + 1);

        var clock = Stopwatch.StartNew();
        await grains.GetGrain<ICommunityGrain>(CommunityId).Create(new CreateCommunity("Benchmark community",
            Founders.Select((f, i) => new FounderSpec(f, $"Founder {i + 1}")).ToList(), null));
        var communityTime = clock.Elapsed;

        Console.WriteLine($"Seeding {model.Members:N0} members through the grains:");
        clock.Restart();
        var signUp = new Progress("sign-up", model.Members, "members");
        await ForEachAsync(Enumerable.Range(0, model.Members), async i =>
        {
            await Member(i).SignUp(CommunityId, new MemberProfile($"Member {i}", model.Offers[i], model.Needs[i]), null);
            signUp.Add();
        });
        signUp.Finish();
        var signUpTime = clock.Elapsed;

        clock.Restart();
        var (guaranteed, guarantees, guarantorsOf) = await GuaranteeAsync(random);
        var guaranteesTime = clock.Elapsed;

        // Contacts among the first members through the real path: the sample that measures its rate.
        var allEdges = model.EdgeList().ToList();
        var sampleMembers = Math.Min(options.SampleMembers, model.Members);
        var sample = allEdges.Where(e => e.A < sampleMembers).ToList();
        var rest = allEdges.Where(e => e.A >= sampleMembers).ToList();
        clock.Restart();
        await RealContactsAsync(sample, $"contacts among the first {sampleMembers:N0} members (real path)");
        var sampleTime = clock.Elapsed;
        var rate = sample.Count / Math.Max(sampleTime.TotalSeconds, 1e-3);
        var projected = TimeSpan.FromSeconds(rest.Count / Math.Max(rate, 1e-3));
        var useReal = rest.Count == 0 || options.Seeding == "real"
            || (options.Seeding == "auto" && total.Elapsed + projected <= TimeSpan.FromSeconds(options.SeedBudgetSeconds));
        Console.WriteLine($"  real contact path: {rate:N0} contacts/s; the other {rest.Count:N0} contacts would take about " +
            $"{projected.TotalSeconds:N0} s that way -> {(rest.Count == 0 ? "nothing left" : useReal ? "real path" : "bulk path")}");

        long realContacts = sample.Count;
        var realTime = sampleTime;
        if (useReal && rest.Count > 0)
        {
            clock.Restart();
            await RealContactsAsync(rest, "remaining contacts (real path)");
            realContacts += rest.Count;
            realTime += clock.Elapsed;
        }

        await ExpelAsync(random, guaranteed, guarantorsOf);

        long bulkContacts = 0;
        var bulkMembers = 0;
        var bulkTime = TimeSpan.Zero;
        long heapGrowth = 0;
        if (!useReal)
        {
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            clock.Restart();
            var bulk = new Progress("bulk reports", model.Members, "members");
            await ForEachAsync(Enumerable.Range(0, model.Members), async i =>
            {
                var summary = await Member(i).GetSummary();
                var edges = (summary.Contacts ?? []).ToDictionary(e => e.MemberId, e => e.Strength, StringComparer.Ordinal);
                foreach (var j in model.Contacts[i]) edges.TryAdd(model.Ids[j], 0m);
                var merged = edges.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new DirectoryEdge(e.Key, e.Value)).ToList();
                await grains.GetGrain<IMemberDirectoryGrain>(MemberDirectory.KeyOf(CommunityId, model.Ids[i]))
                    .Report(summary with { Contacts = merged, Revision = summary.Revision + BulkRevisionOffset });
                bulk.Add();
            });
            bulk.Finish();
            bulkContacts = rest.Count;
            bulkMembers = model.Members;
            bulkTime = clock.Elapsed;
            heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        }

        var totals = await grains.GetGrain<ICommunityGrain>(CommunityId).GetTotals(false);
        if (totals.Members != model.Members + Founders.Length)
            throw new InvalidOperationException($"The directory counts {totals.Members} members, expected {model.Members + Founders.Length}.");
        return new SeedReport(communityTime, model.Members, signUpTime, guaranteed.Count, guarantees, guaranteesTime,
            realContacts, realTime, bulkContacts, bulkMembers, bulkTime, _expelled.Count, total.Elapsed,
            useReal ? "real" : $"real for the first {sampleMembers:N0} members, bulk for the rest", heapGrowth);
    }

    /// <summary>
    /// The founders guarantee the first members; each wave of active members then guarantees as many later ones, two
    /// distinct guarantors each, until <c>options.Guaranteed</c> members are active.
    /// </summary>
    private async Task<(List<int> Guaranteed, int Guarantees, Dictionary<int, string[]> GuarantorsOf)> GuaranteeAsync(Random random)
    {
        var target = Math.Min(options.Guaranteed, model.Members);
        var guarantorsOf = new Dictionary<int, string[]>();
        var active = new List<int>();
        var progress = new Progress("guarantees", target * 2L, "guarantees");
        var next = 0;
        while (next < target)
        {
            var wave = Enumerable.Range(next, Math.Min(target - next, Math.Max(50, active.Count))).ToList();
            foreach (var ward in wave)
            {
                if (active.Count < 2)
                    guarantorsOf[ward] = [Founders[0], Founders[1]];
                else
                {
                    var first = active[random.Next(active.Count)];
                    int second;
                    do second = active[random.Next(active.Count)]; while (second == first);
                    guarantorsOf[ward] = [model.Ids[first], model.Ids[second]];
                }
            }
            var limits = wave.ToDictionary(w => w, _ => (decimal)(100 * (1 + random.Next(50))));
            await ForEachAsync(wave, async ward =>
            {
                foreach (var guarantor in guarantorsOf[ward])
                {
                    var id = model.Ids[ward];
                    var guarantee = grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(id, guarantor));
                    await guarantee.Request($"req-{id}-{guarantor}", id, guarantor);
                    await guarantee.Accept($"acc-{id}-{guarantor}", guarantor, id, limits[ward]);
                    progress.Add();
                }
            });
            active.AddRange(wave);
            next += wave.Count;
        }
        progress.Finish();
        return (active, active.Count * 2, guarantorsOf);
    }

    private async Task RealContactsAsync(List<(int A, int B)> edges, string phase)
    {
        var progress = new Progress(phase, edges.Count, "contacts");
        await ForEachAsync(edges, async edge =>
        {
            var (a, b) = (model.Ids[edge.A], model.Ids[edge.B]);
            var contact = grains.GetGrain<IContactGrain>(GuaranteeKeys.For(a, b));
            await contact.Ask(a, b);
            await contact.Ask(b, a);
            progress.Add();
        });
        progress.Finish();
    }

    /// <summary>Rule 5 the real way: a guaranteed member owes a debt, then both its guarantors withdraw.</summary>
    private async Task ExpelAsync(Random random, List<int> guaranteed, Dictionary<int, string[]> guarantorsOf)
    {
        var candidates = guaranteed.Where(i => guarantorsOf[i].All(g => !Founders.Contains(g))).ToList();
        random.Shuffle(CollectionsMarshalSpan(candidates));
        var chosen = candidates.Take(options.Expelled).ToList();
        foreach (var i in chosen)
        {
            var id = model.Ids[i];
            var guarantors = guarantorsOf[i];
            await Member(i).AddDebt($"bench-debt-{id}", guarantors[0], 10m);
            foreach (var g in guarantors)
                await grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(id, g)).Withdraw(g, id);
            var status = (await Member(i).Get()).Status;
            if (status != MemberStatus.Expelled)
                throw new InvalidOperationException($"{id} should be expelled but is {status}.");
            _expelled.Add(i);
        }
        if (chosen.Count > 0) Console.WriteLine($"  expelled {chosen.Count} members (debt, then both guarantors withdrew)");
    }

    private static Span<int> CollectionsMarshalSpan(List<int> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);

    private IMemberGrain Member(int i) => grains.GetGrain<IMemberGrain>(model.Ids[i]);

    private Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> action) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = options.SeedConcurrency },
            async (item, _) => await action(item));
}
