using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>A contact graph in memory; expelled members never appear as neighbours or providers and have no contacts.</summary>
internal sealed class InMemoryContactGraph : IContactGraph
{
    private readonly Dictionary<string, Dictionary<string, decimal>> _edges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _offers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _expelled = new(StringComparer.Ordinal);
    public int NeighborCalls { get; private set; }

    /// <summary>Every member whose contacts were asked, in order (a search asks each member at most once).</summary>
    public List<string> Asked { get; } = [];

    /// <summary>Answers provider sets as one shared <see cref="HashSet{T}"/> per skill, as a silo's cache does.</summary>
    public bool SharedProviderSets { get; init; }

    /// <summary>Lists expelled members as providers too, as a provider set read before an expulsion would.</summary>
    public bool StaleProviders { get; init; }

    private readonly Dictionary<string, HashSet<string>> _shared = new(StringComparer.Ordinal);

    public InMemoryContactGraph Contact(string a, string b, decimal strength = 0m)
    {
        Edges(a)[b] = strength;
        Edges(b)[a] = strength;
        return this;
    }

    public InMemoryContactGraph Offer(string member, string skill)
    {
        if (!_offers.TryGetValue(skill, out var set)) _offers[skill] = set = new(StringComparer.Ordinal);
        set.Add(member);
        return this;
    }

    public InMemoryContactGraph Expel(string member)
    {
        _expelled.Add(member);
        return this;
    }

    public bool IsExpelled(string member) => _expelled.Contains(member);

    /// <summary>The contacts the navigator may use (expelled members removed on both sides).</summary>
    public IEnumerable<(string Id, decimal Strength)> Visible(string member) =>
        _expelled.Contains(member) || !_edges.TryGetValue(member, out var e)
            ? []
            : e.Where(kv => !_expelled.Contains(kv.Key)).Select(kv => (kv.Key, kv.Value));

    public IReadOnlySet<string> Providers(string skill) =>
        _offers.TryGetValue(skill, out var set)
            ? set.Where(m => StaleProviders || !_expelled.Contains(m)).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>();

    public decimal Strength(string a, string b) => _edges[a][b];

    public Task<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds)
    {
        NeighborCalls++;
        Asked.AddRange(memberIds);
        var result = new Dictionary<string, IReadOnlyList<DirectoryEdge>>(StringComparer.Ordinal);
        foreach (var id in memberIds)
            result[id] = Visible(id).Select(v => new DirectoryEdge(v.Id, v.Strength)).ToList();
        return Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>>(result);
    }

    public Task<IReadOnlyCollection<string>> MembersOfferingAsync(string skill)
    {
        if (!SharedProviderSets) return Task.FromResult<IReadOnlyCollection<string>>(Providers(skill).ToList());
        if (!_shared.TryGetValue(skill, out var set)) _shared[skill] = set = Providers(skill).ToHashSet(StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyCollection<string>>(set);
    }

    private Dictionary<string, decimal> Edges(string a)
    {
        if (!_edges.TryGetValue(a, out var e)) _edges[a] = e = new(StringComparer.Ordinal);
        return e;
    }
}

public class NavigatorTests
{
    // ---------- path search ----------

    private static (InMemoryContactGraph Graph, List<string> Nodes) RandomGraph(Random random)
    {
        var n = random.Next(10, 61);
        var nodes = Enumerable.Range(0, n).Select(i => $"m{i:D2}").ToList();
        var graph = new InMemoryContactGraph();
        var degree = 1.0 + random.NextDouble() * 4.0; // average degree 1..5
        var p = degree / (n - 1);
        for (var i = 0; i < n; i++)
        for (var j = i + 1; j < n; j++)
            if (random.NextDouble() < p)
                graph.Contact(nodes[i], nodes[j], random.Next(2) == 0 ? 0m : random.Next(1, 4) * 100m);
        foreach (var node in nodes)
        {
            if (random.NextDouble() < 0.08) graph.Expel(node);
            if (random.NextDouble() < 0.12) graph.Offer(node, "masonry");
        }
        return (graph, nodes);
    }

    /// <summary>Every simple chain of ≤ maxHops from <paramref name="from"/> ending at a target, interior never a target.</summary>
    private static List<ContactChain> BruteForce(InMemoryContactGraph graph, string from, ISet<string> targets, int maxHops)
    {
        var all = new List<ContactChain>();
        var path = new List<string> { from };
        void Go()
        {
            var v = path[^1];
            if (path.Count > 1 && targets.Contains(v))
            {
                var strengths = Enumerable.Range(0, path.Count - 1).Select(i => graph.Strength(path[i], path[i + 1])).ToArray();
                all.Add(new ContactChain(path.ToArray(), strengths));
                return;
            }
            if (path.Count - 1 == maxHops) return;
            foreach (var (w, _) in graph.Visible(v))
            {
                if (path.Contains(w)) continue;
                path.Add(w);
                Go();
                path.RemoveAt(path.Count - 1);
            }
        }
        if (!graph.IsExpelled(from)) Go();
        all.Sort(PathSearch.Compare);
        return all;
    }

    private static void AssertValidChain(InMemoryContactGraph graph, ContactChain chain, string from, ISet<string> targets, int maxHops)
    {
        var ids = chain.MemberIds;
        Assert.Equal(from, ids[0]);
        Assert.Contains(ids[^1], targets);
        Assert.InRange(chain.Hops, 1, maxHops);
        Assert.Equal(ids.Count - 1, chain.Hops);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        for (var i = 0; i < chain.Hops; i++)
        {
            Assert.False(graph.IsExpelled(ids[i + 1]));
            Assert.Contains((ids[i + 1], chain.Strengths[i]), graph.Visible(ids[i]));
        }
    }

    [Fact]
    public async Task Paths_match_brute_force_on_random_graphs()
    {
        var checkedNonEmpty = 0;
        var longerThanShortest = 0;
        for (var seed = 0; seed < 220; seed++)
        {
            var random = new Random(seed);
            var (graph, nodes) = RandomGraph(random);
            var maxHops = random.Next(1, 7);
            var limit = random.Next(1, 13);
            var from = nodes[random.Next(nodes.Count)];
            var queries = new List<(string? To, string? Skill, HashSet<string> Targets)>();
            var to = nodes[random.Next(nodes.Count)];
            if (to != from) queries.Add((to, null, new HashSet<string>(StringComparer.Ordinal) { to }));
            var providers = graph.Providers("masonry").Where(m => m != from).ToHashSet(StringComparer.Ordinal);
            queries.Add((null, "masonry", providers));

            foreach (var (qTo, qSkill, targets) in queries)
            {
                var calls = graph.NeighborCalls;
                graph.Asked.Clear();
                var found = await PathSearch.FindAsync(graph, from, qTo, qSkill, maxHops, limit);
                Assert.True(graph.NeighborCalls - calls <= maxHops, $"seed {seed}: {graph.NeighborCalls - calls} round trips");
                // A member reached by both sides is still asked for its contacts once.
                Assert.Equal(graph.Asked.Count, graph.Asked.Distinct().Count());
                var expected = BruteForce(graph, from, targets, maxHops);
                Assert.Equal(Math.Min(limit, expected.Count), found.Count);
                foreach (var chain in found)
                {
                    AssertValidChain(graph, chain, from, targets, maxHops);
                    Assert.DoesNotContain(chain.MemberIds, graph.IsExpelled);
                }
                if (expected.Count > 0)
                {
                    checkedNonEmpty++;
                    Assert.Equal(expected[0].Hops, found[0].Hops); // the shortest length
                    if (found[^1].Hops > found[0].Hops) longerThanShortest++;
                }
                // Exactly the best `limit` chains in the documented order (a subset of the brute-force chains).
                Assert.Equal(
                    expected.Take(limit).Select(c => string.Join(">", c.MemberIds)),
                    found.Select(c => string.Join(">", c.MemberIds)));
                for (var i = 1; i < found.Count; i++) Assert.True(PathSearch.Compare(found[i - 1], found[i]) < 0);
            }
        }
        Assert.True(checkedNonEmpty > 150, $"only {checkedNonEmpty} queries had chains");
        Assert.True(longerThanShortest > 10, $"only {longerThanShortest} queries went past the shortest length");
    }

    [Fact]
    public async Task Ties_are_ranked_by_the_weakest_hop_then_the_total()
    {
        var graph = new InMemoryContactGraph()
            .Contact("a", "b", 0m).Contact("b", "z", 500m)      // weakest 0
            .Contact("a", "c", 100m).Contact("c", "z", 100m)    // weakest 100, total 200
            .Contact("a", "d", 300m).Contact("d", "z", 100m)    // weakest 100, total 400
            .Contact("a", "e", 100m).Contact("e", "f", 100m).Contact("f", "z", 900m); // three hops
        var found = await PathSearch.FindAsync(graph, "a", "z", null, 6, 10);
        Assert.Equal(["a>d>z", "a>c>z", "a>b>z", "a>e>f>z"], found.Select(c => string.Join(">", c.MemberIds)));
    }

    [Fact]
    public async Task A_skill_chain_ends_at_the_first_provider_and_skips_expelled_members()
    {
        var graph = new InMemoryContactGraph()
            .Contact("a", "b").Contact("b", "c").Contact("c", "d")
            .Contact("a", "x").Contact("x", "d")
            .Offer("c", "masonry").Offer("d", "masonry").Offer("a", "masonry")
            .Expel("x");
        var found = await PathSearch.FindAsync(graph, "a", null, "masonry", 6, 10);
        Assert.Equal(["a>b>c"], found.Select(c => string.Join(">", c.MemberIds)));
    }

    [Fact]
    public async Task A_shared_provider_set_is_read_not_changed_and_never_makes_the_searcher_a_target()
    {
        var graph = new InMemoryContactGraph { SharedProviderSets = true }
            .Contact("a", "b").Contact("b", "c").Contact("a", "d")
            .Offer("a", "masonry").Offer("c", "masonry").Offer("d", "masonry");
        var shared = (IReadOnlySet<string>)await graph.MembersOfferingAsync("masonry");
        var found = await PathSearch.FindAsync(graph, "a", null, "masonry", 6, 10);
        Assert.Equal(["a>d", "a>b>c"], found.Select(c => string.Join(">", c.MemberIds)));
        Assert.Equal(["a", "c", "d"], shared.Order(StringComparer.Ordinal));
        Assert.Same(shared, await graph.MembersOfferingAsync("masonry"));
        // From a provider's side: the other providers only.
        Assert.Equal(["d>a"], (await PathSearch.FindAsync(graph, "d", null, "masonry", 1, 10)).Select(c => string.Join(">", c.MemberIds)));
    }

    [Fact]
    public async Task A_stale_provider_set_naming_an_expelled_member_leads_nowhere()
    {
        // A silo's cached provider set may still name a member expelled since; nobody's contacts do, so no chain can
        // end there (the rule the navigator's cache relies on).
        var graph = new InMemoryContactGraph { StaleProviders = true }
            .Contact("a", "b").Contact("b", "x").Contact("x", "y").Contact("y", "z")
            .Offer("x", "masonry").Offer("z", "masonry")
            .Expel("x");
        Assert.Contains("x", await graph.MembersOfferingAsync("masonry"));
        Assert.Empty(await PathSearch.FindAsync(graph, "a", null, "masonry", 6, 10));
        Assert.Equal(["y>z"], (await PathSearch.FindAsync(graph, "y", null, "masonry", 6, 10)).Select(c => string.Join(">", c.MemberIds)));
    }

    [Fact]
    public async Task Unknown_unreachable_and_expelled_targets_give_no_chains()
    {
        var graph = new InMemoryContactGraph()
            .Contact("a", "b").Contact("b", "c").Contact("c", "d").Contact("d", "e")
            .Contact("x", "y").Contact("a", "gone").Expel("gone");
        Assert.Empty(await PathSearch.FindAsync(graph, "a", "nobody", null, 6, 5));
        Assert.Empty(await PathSearch.FindAsync(graph, "a", "y", null, 6, 5));
        Assert.Empty(await PathSearch.FindAsync(graph, "a", "gone", null, 6, 5));
        Assert.Empty(await PathSearch.FindAsync(graph, "a", "e", null, 3, 5)); // 4 hops away
        Assert.Single(await PathSearch.FindAsync(graph, "a", "e", null, 4, 5));
        Assert.Empty(await PathSearch.FindAsync(graph, "a", null, "unknown-skill", 6, 5));
        Assert.Empty(await PathSearch.FindAsync(graph, "nobody", "a", null, 6, 5));
    }

    [Theory]
    [InlineData("a", "b", null, 0, 5, "invalid-max-hops")]
    [InlineData("a", "b", null, 7, 5, "invalid-max-hops")]
    [InlineData("a", "b", null, 6, 0, "invalid-limit")]
    [InlineData("a", "b", null, 6, 101, "invalid-limit")]
    [InlineData("a", "b", "masonry", 6, 5, "invalid-target")]
    [InlineData("a", null, null, 6, 5, "invalid-target")]
    [InlineData("a", " ", "", 6, 5, "invalid-target")]
    [InlineData("a", "a", null, 6, 5, "path-to-self")]
    [InlineData("", "b", null, 6, 5, "invalid-member")]
    public async Task Bad_path_parameters_are_refused(string from, string? to, string? skill, int maxHops, int limit, string code)
    {
        var graph = new InMemoryContactGraph().Contact("a", "b");
        var error = await Assert.ThrowsAsync<GuaranteeException>(() => PathSearch.FindAsync(graph, from, to, skill, maxHops, limit));
        Assert.Equal(code, error.Code);
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    // ---------- cycle proposals ----------

    private static List<MemberOffer> RandomMembers(Random random, int count, int skills, string prefix = "r")
    {
        var members = new List<MemberOffer>();
        for (var i = 0; i < count; i++)
        {
            string[] Pick() => Enumerable.Range(0, random.Next(1, 3)).Select(_ => $"s{random.Next(skills)}").Distinct().ToArray();
            members.Add(new MemberOffer($"{prefix}{random.Next(1000):D3}-{i}", Pick(), Pick(), random.Next(4) * 50m));
        }
        return members;
    }

    /// <summary>Every loop (canonical: smallest id first) of 2..maxLength members.</summary>
    private static List<string[]> AllLoops(IReadOnlyList<MemberOffer> members, int maxLength)
    {
        var byId = members.ToDictionary(m => m.MemberId, StringComparer.Ordinal);
        bool Gives(MemberOffer a, MemberOffer b) => a.Offers.Intersect(b.Needs).Any();
        var loops = new List<string[]>();
        var path = new List<MemberOffer>();
        foreach (var start in members)
        {
            path.Add(start);
            void Go()
            {
                var last = path[^1];
                if (path.Count >= 2 && Gives(last, start)) loops.Add(path.Select(m => m.MemberId).ToArray());
                if (path.Count == maxLength) return;
                foreach (var next in members)
                {
                    if (string.CompareOrdinal(next.MemberId, start.MemberId) <= 0 || path.Contains(next) || !Gives(last, next)) continue;
                    path.Add(next);
                    Go();
                    path.RemoveAt(path.Count - 1);
                }
            }
            Go();
            path.Clear();
        }
        return loops;
    }

    /// <summary>The documented order: length, then the weakest member's rank (backing desc, id), then the ids.</summary>
    private static Comparison<string[]> LoopOrder(IReadOnlyList<MemberOffer> members)
    {
        var ranked = members.ToList();
        ranked.Sort(CycleProposals.CompareRank);
        var rank = ranked.Select((m, i) => (m.MemberId, i)).ToDictionary(x => x.MemberId, x => x.i, StringComparer.Ordinal);
        return (x, y) =>
        {
            var c = x.Length.CompareTo(y.Length);
            if (c != 0) return c;
            c = x.Max(id => rank[id]).CompareTo(y.Max(id => rank[id]));
            if (c != 0) return c;
            for (var i = 0; i < x.Length; i++)
            {
                c = string.CompareOrdinal(x[i], y[i]);
                if (c != 0) return c;
            }
            return 0;
        };
    }

    private static void AssertValidProposals(IReadOnlyList<MemberOffer> members, IReadOnlyList<CycleProposal> proposals, int maxLength)
    {
        var byId = members.ToDictionary(m => m.MemberId, StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in proposals)
        {
            Assert.InRange(p.Length, 2, maxLength);
            var ids = p.MemberIds;
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(ids.Min(StringComparer.Ordinal), ids[0]); // canonical rotation
            for (var i = 0; i < p.Length; i++)
            {
                var hop = p.Hops[i];
                Assert.Equal(p.Hops[(i + 1) % p.Length].MemberId, hop.ToMemberId); // closes
                Assert.Contains(hop.Offers, byId[hop.MemberId].Offers);
                Assert.Contains(hop.Offers, byId[hop.ToMemberId].Needs);
            }
            Assert.Equal(ids.Min(id => byId[id].Backing), p.WeakestBacking);
            // No rotation of another proposal: every rotation maps to the same canonical key.
            for (var r = 0; r < p.Length; r++)
                Assert.DoesNotContain(string.Join(">", ids.Skip(r).Concat(ids.Take(r))), keys);
            Assert.True(keys.Add(string.Join(">", ids)));
        }
    }

    [Fact]
    public void Proposals_match_brute_force_and_are_ordered_as_documented()
    {
        var nonEmpty = 0;
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(1000 + seed);
            var members = RandomMembers(random, random.Next(5, 26), random.Next(4, 16));
            var maxLength = random.Next(2, 7);
            var limit = random.Next(1, 40);
            var proposals = CycleProposals.Find(members, maxLength, limit);
            AssertValidProposals(members, proposals, maxLength);

            var expected = AllLoops(members, maxLength);
            expected.Sort(LoopOrder(members));
            Assert.Equal(
                expected.Take(limit).Select(l => string.Join(">", l)),
                proposals.Select(p => string.Join(">", p.MemberIds)));
            if (proposals.Count > 0) nonEmpty++;
        }
        Assert.True(nonEmpty > 100, $"only {nonEmpty} seeds had loops");
    }

    [Fact]
    public void A_planted_loop_is_always_found()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(5000 + seed);
            var members = RandomMembers(random, random.Next(8, 30), random.Next(14, 30));
            var length = random.Next(2, 7);
            var planted = Enumerable.Range(0, length).Select(i => $"p{seed}-{i}").ToArray();
            for (var i = 0; i < length; i++)
            {
                // Member i offers the unique skill u{i}, which only member i+1 needs (plus maybe a common need).
                var extra = random.Next(2) == 0 ? [] : new[] { $"s{random.Next(8)}" };
                members.Insert(random.Next(members.Count + 1), new MemberOffer(planted[i],
                    [$"u{seed}-{i}"], [$"u{seed}-{(i + length - 1) % length}", .. extra], random.Next(4) * 50m));
            }
            var canonical = Rotate(planted);

            var all = AllLoops(members, length);
            all.Sort(LoopOrder(members));
            var position = all.FindIndex(l => l.SequenceEqual(canonical));
            Assert.True(position >= 0, $"seed {seed}: brute force misses the planted loop");
            var limit = Math.Min(CycleProposals.MaxLimit, position + 1);
            var proposals = CycleProposals.Find(members, length, limit);
            AssertValidProposals(members, proposals, length);
            Assert.True(position < CycleProposals.MaxLimit, $"seed {seed}: {position} loops rank before the planted one");
            // Exactly at its rank: the last of the best position + 1 proposals.
            Assert.Equal(canonical, proposals[^1].MemberIds);
            Assert.Equal(limit, proposals.Count);
            // And with room to spare it is still there.
            Assert.Contains(CycleProposals.Find(members, length, CycleProposals.MaxLimit), p => p.MemberIds.SequenceEqual(canonical));
        }

        static string[] Rotate(string[] loop)
        {
            var start = Array.IndexOf(loop, loop.Min(StringComparer.Ordinal));
            return loop.Skip(start).Concat(loop.Take(start)).ToArray();
        }
    }

    [Fact]
    public void Rotations_are_one_proposal_and_hops_name_the_skill_passed_on()
    {
        var members = new List<MemberOffer>
        {
            new("c", ["x"], ["z"], 100m),
            new("a", ["z"], ["x"], 50m),   // a⇄c as a 2-loop
            new("b", ["y"], ["x"]),        // c→b→? b gives y
            new("d", ["x"], ["y"]),        // b→d, d gives x to a, b, c? c needs z
        };
        var proposals = CycleProposals.Find(members, 6, 100);
        AssertValidProposals(members, proposals, 6);
        Assert.Equal(proposals.Count, proposals.Select(p => string.Join(">", p.MemberIds)).Distinct().Count());
        Assert.Equal(["a>c", "b>d", "a>c>b>d"], proposals.Select(p => string.Join(">", p.MemberIds)));
        Assert.Equal("z", proposals[0].Hops[0].Offers);
    }

    [Fact]
    public void Shorter_loops_come_first_then_stronger_backing()
    {
        var members = new List<MemberOffer>
        {
            new("a", ["1"], ["3"], 900m), new("b", ["2"], ["1"], 900m), new("c", ["3"], ["2"], 900m), // strong 3-loop
            new("d", ["4"], ["5"], 10m), new("e", ["5"], ["4"], 10m),                                 // weak 2-loop
            new("f", ["6"], ["7"], 500m), new("g", ["7"], ["6"], 20m),                                // 2-loop, weakest 20
        };
        var proposals = CycleProposals.Find(members, 6, 10);
        Assert.Equal(["f>g", "d>e", "a>b>c"], proposals.Select(p => string.Join(">", p.MemberIds)));
        Assert.Equal([20m, 10m, 900m], proposals.Select(p => p.WeakestBacking));
        Assert.Equal(["f>g"], CycleProposals.Find(members, 6, 1).Select(p => string.Join(">", p.MemberIds)));
        Assert.Equal(["f>g", "d>e"], CycleProposals.Find(members, 2, 10).Select(p => string.Join(">", p.MemberIds)));
    }

    [Theory]
    [InlineData(1, 5, "invalid-max-length")]
    [InlineData(7, 5, "invalid-max-length")]
    [InlineData(6, 0, "invalid-limit")]
    [InlineData(6, 1001, "invalid-limit")]
    public void Bad_proposal_parameters_are_refused(int maxLength, int limit, string code)
    {
        var error = Assert.Throws<GuaranteeException>(() => CycleProposals.Find([new("a", ["x"], ["y"])], maxLength, limit));
        Assert.Equal(code, error.Code);
    }

    [Fact]
    public void Duplicate_members_are_refused()
    {
        var error = Assert.Throws<GuaranteeException>(() =>
            CycleProposals.Find([new("a", ["x"], ["y"]), new("a", ["y"], ["x"])], 6, 5));
        Assert.Equal("duplicate-member", error.Code);
    }

    [Fact]
    public void Many_members_give_the_top_proposals_quickly()
    {
        var random = new Random(42);
        var members = new List<MemberOffer>();
        for (var i = 0; i < 20_000; i++)
        {
            // Skewed skills: low skill numbers are far more common.
            string Skill() => $"k{(int)(50 * Math.Pow(random.NextDouble(), 2.5))}";
            members.Add(new MemberOffer($"m{i:D6}", [Skill(), Skill()], [Skill()], random.Next(100) * 10m));
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var proposals = CycleProposals.Find(members, 6, 20);
        watch.Stop();
        Assert.Equal(20, proposals.Count);
        AssertValidProposals(members, proposals, 6);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Path_search_on_a_large_skewed_graph_reads_a_level_per_call()
    {
        var random = new Random(7);
        const int n = 20_000;
        var graph = new InMemoryContactGraph();
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < 10; k++)
            {
                // Preferential-ish: low ids are far more popular.
                var j = (int)(n * Math.Pow(random.NextDouble(), 2));
                if (j != i) graph.Contact($"m{i}", $"m{j}", random.Next(3) * 100m);
            }
            if (random.Next(50) == 0) graph.Offer($"m{i}", "masonry");
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var q = 0; q < 100; q++)
        {
            var from = $"m{random.Next(n)}";
            var to = $"m{random.Next(n)}";
            if (from == to) continue;
            var calls = graph.NeighborCalls;
            var chains = await PathSearch.FindAsync(graph, from, to, null, 6, 5);
            Assert.True(graph.NeighborCalls - calls <= 6);
            Assert.Equal(5, chains.Count);
            Assert.Equal(5, (await PathSearch.FindAsync(graph, from, null, "masonry", 6, 5)).Count);
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }
}
