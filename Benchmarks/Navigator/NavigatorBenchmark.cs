using System.Diagnostics;
using System.Globalization;
using System.Text;
using OrleansGuarantee.Domain;
using OrleansGuarantee.Navigation;

namespace OrleansGuarantee.Benchmarks.Navigator;

/// <summary>
/// The navigator benchmark (issue 7): seeds a generated community through the grains (<see cref="Seeder"/>), then
/// measures path searches (to random members and to random skills) at each concurrency level, and the time to the
/// top cycle proposals cold and warm. Prints a summary and, with --markdown, writes it as a markdown file.
/// </summary>
public static class NavigatorBenchmark
{
    /// <summary>The targets on this two-core machine.</summary>
    public const double TargetP50Ms = 20, TargetP99Ms = 100, TargetQueriesPerSecond = 500, TargetProposalsSeconds = 5;

    private sealed record Query(string From, string? To, string? Skill)
    {
        public bool ToMember => To is not null;
    }

    private sealed class Phase(int concurrency)
    {
        public int Concurrency { get; } = concurrency;
        public LatencySample All { get; } = new();
        public LatencySample ToMember { get; } = new();
        public LatencySample ToSkill { get; } = new();
        public TimeSpan Elapsed { get; set; }
        /// <summary>CPU time of the whole process (silo and load generator) during the phase.</summary>
        public TimeSpan Cpu { get; set; }
        public string Load { get; set; } = "";
        /// <summary>Garbage collections during the phase (gen0/gen1/gen2).</summary>
        public string Collections { get; set; } = "";
        public TimeSpan GcPause { get; set; }
        public long Allocated { get; set; }
        public int Errors;
        public int FoundMember, FoundSkill;
        public long HopsMember, HopsSkill, ChainsMember, ChainsSkill;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var options = NavigatorBenchmarkOptions.Parse(args);
        var command = "dotnet run -c Release --project Benchmarks -- navigator" + (args.Length > 0 ? " " + string.Join(' ', args) : "");
        Console.WriteLine(command);
        var loadAtStart = Machine.LoadAverages();
        foreach (var (name, value) in Machine.Describe()) Console.WriteLine($"  {name}: {value}");
        Console.WriteLine($"  load average (1 / 5 / 15 min): {loadAtStart}");

        var clock = Stopwatch.StartNew();
        var model = CommunityModel.Generate(options.Members, options.Degree, options.Skills, options.Preferential, options.RandomSeed);
        var degrees = model.DegreeStats();
        Console.WriteLine($"Generated {model.Members:N0} members, {model.Edges:N0} contacts (average degree {2.0 * model.Edges / model.Members:0.0}; " +
            $"degree min {degrees.Min}, median {degrees.Median}, p99 {degrees.P99}, max {degrees.Max}; {degrees.Hubs100:N0} members with 100 or more), " +
            $"{model.Skills.Length} skills, in {clock.Elapsed.TotalSeconds:0.0} s");

        var settings = new Dictionary<string, string?>();
        if (options.CacheSeconds is { } cacheSeconds) settings["Navigator:CacheSeconds"] = cacheSeconds;
        await using var silo = await BenchmarkSilo.StartAsync(settings);
        var seeder = new Seeder(silo.Grains, model, options);
        var seed = await seeder.SeedAsync();
        Console.WriteLine($"Seeded in {seed.Total.TotalSeconds:0.0} s (contacts: {seed.ContactPath})");

        var navigator = silo.Grains.GetGrain<INavigatorGrain>(Seeder.CommunityId);
        var random = new Random(options.RandomSeed + 2);
        var eligible = Enumerable.Range(0, model.Members).Where(i => !seeder.Expelled.Contains(i)).ToArray();
        var warmup = MakeQueries(random, model, eligible, options.Warmup);

        // Cycle proposals first: the first call is the cold one (nothing read or computed yet for it).
        Console.WriteLine("Cycle proposals:");
        var cold = Stopwatch.StartNew();
        var proposals = await navigator.ProposeCycles(options.CycleLength, options.CycleLimit);
        var coldTime = cold.Elapsed;
        var warm = new LatencySample();
        for (var i = 0; i < options.CycleRepeats; i++)
        {
            var t = Stopwatch.GetTimestamp();
            proposals = await navigator.ProposeCycles(options.CycleLength, options.CycleLimit);
            warm.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        var lengths = string.Join(", ", proposals.GroupBy(p => p.Hops.Count).OrderBy(g => g.Key).Select(g => $"{g.Count()} of length {g.Key}"));
        Console.WriteLine($"  {proposals.Count} proposals ({lengths}); cold {coldTime.TotalMilliseconds:0} ms, warm median {warm.Percentile(50):0} ms, max {warm.Max:0} ms");

        Console.WriteLine($"Path searches: warm-up of {warmup.Count:N0}");
        await RunQueriesAsync(navigator, warmup, 8, options);
        var phases = new List<Phase>();
        foreach (var concurrency in options.Concurrency)
        {
            var queries = MakeQueries(random, model, eligible, options.Queries);
            var phase = await RunQueriesAsync(navigator, queries, concurrency, options);
            phases.Add(phase);
            Console.WriteLine($"  concurrency {concurrency}: {queries.Count:N0} searches in {phase.Elapsed.TotalSeconds:0.00} s, " +
                $"p50 {Format.Ms(phase.All.Percentile(50))} ms, p99 {Format.Ms(phase.All.Percentile(99))} ms, " +
                $"{queries.Count / phase.Elapsed.TotalSeconds:N0} searches/s, {phase.Cpu.TotalMilliseconds / queries.Count:0.00} ms CPU per search, " +
                $"load average {phase.Load}, GCs {phase.Collections} paused {phase.GcPause.TotalMilliseconds:N0} ms, {phase.Errors} errors");
        }

        var anatomy = await AnatomyAsync(silo.Grains, MakeQueries(random, model, eligible, options.Anatomy), options);

        var report = Report(command, options, model, degrees, seed, phases, coldTime, warm, proposals.Count, lengths, anatomy, loadAtStart);
        Console.WriteLine();
        Console.WriteLine(report.Text);
        if (options.Markdown is { } file)
        {
            await File.WriteAllTextAsync(file, report.Markdown);
            Console.WriteLine($"Markdown written to {Path.GetFullPath(file)}");
        }
        return phases.Sum(p => p.Errors) > 0 ? 1 : 0;
    }

    /// <summary>Half the searches go to a random other member, half to a random skill, from random members.</summary>
    private static List<Query> MakeQueries(Random random, CommunityModel model, int[] eligible, int count)
    {
        var queries = new List<Query>(count);
        for (var i = 0; i < count; i++)
        {
            var from = model.Ids[eligible[random.Next(eligible.Length)]];
            if (i % 2 == 0)
            {
                string to;
                do to = model.Ids[eligible[random.Next(eligible.Length)]]; while (to == from);
                queries.Add(new Query(from, to, null));
            }
            else queries.Add(new Query(from, null, model.Skills[random.Next(model.Skills.Length)]));
        }
        return queries;
    }

    private static async Task<Phase> RunQueriesAsync(INavigatorGrain navigator, List<Query> queries, int concurrency, NavigatorBenchmarkOptions options)
    {
        var phase = new Phase(concurrency);
        var next = -1;
        var loadBefore = Machine.LoadAverage();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var pause = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes();
        var collections = Enumerable.Range(0, 3).Select(GC.CollectionCount).ToArray();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= queries.Count) return;
                var q = queries[i];
                var start = Stopwatch.GetTimestamp();
                IReadOnlyList<PathView> paths;
                try
                {
                    paths = await navigator.FindPaths(q.From, q.To, q.Skill, options.MaxHops, options.Limit);
                }
                catch (Exception ex)
                {
                    if (Interlocked.Increment(ref phase.Errors) <= 3) Console.Error.WriteLine($"  search {q} failed: {ex.Message}");
                    continue;
                }
                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                phase.All.Add(ms);
                (q.ToMember ? phase.ToMember : phase.ToSkill).Add(ms);
                if (paths.Count == 0) continue;
                if (q.ToMember)
                {
                    Interlocked.Increment(ref phase.FoundMember);
                    Interlocked.Add(ref phase.HopsMember, paths[0].Hops);
                    Interlocked.Add(ref phase.ChainsMember, paths.Count);
                }
                else
                {
                    Interlocked.Increment(ref phase.FoundSkill);
                    Interlocked.Add(ref phase.HopsSkill, paths[0].Hops);
                    Interlocked.Add(ref phase.ChainsSkill, paths.Count);
                }
            }
        })));
        phase.Elapsed = clock.Elapsed;
        phase.Cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        phase.Load = $"{loadBefore} → {Machine.LoadAverage()}";
        phase.Collections = string.Join("/", Enumerable.Range(0, 3).Select(g => GC.CollectionCount(g) - collections[g]));
        phase.GcPause = GC.GetTotalPauseDuration() - pause;
        phase.Allocated = GC.GetTotalAllocatedBytes() - allocated;
        return phase;
    }

    /// <summary>
    /// Runs searches one at a time through a <see cref="CountingGraph"/> over the same directory (as the navigator
    /// grain does) and tabulates what one search reads: levels, partition calls, members asked, edges returned.
    /// </summary>
    private static async Task<Table> AnatomyAsync(IGrainFactory grains, List<Query> queries, NavigatorBenchmarkOptions options)
    {
        var table = new Table($"what one search reads ({queries.Count} searches, one at a time)", "mean", "p95", "max");
        if (queries.Count == 0) return table;
        var rows = new Dictionary<string, List<double>>();
        void Note(string row, double value)
        {
            if (!rows.TryGetValue(row, out var list)) rows[row] = list = [];
            list.Add(value);
        }
        foreach (var q in queries)
        {
            var graph = new CountingGraph(new DirectoryContactGraph(grains, Seeder.CommunityId));
            var start = Stopwatch.GetTimestamp();
            await PathSearch.FindAsync(graph, q.From, q.To, q.Skill, options.MaxHops, options.Limit);
            var total = Stopwatch.GetElapsedTime(start);
            var kind = q.ToMember ? "to a member" : "to a skill";
            Note($"{kind}: ms reading the directory", graph.Reading.TotalMilliseconds);
            Note($"{kind}: ms searching (the rest)", (total - graph.Reading).TotalMilliseconds);
            Note($"{kind}: levels read (round trips)", graph.Levels);
            Note($"{kind}: partition calls", graph.PartitionCalls);
            Note($"{kind}: members asked for contacts", graph.MembersAsked);
            Note($"{kind}: largest level (members)", graph.LargestLevel);
            Note($"{kind}: edges returned", graph.EdgesRead);
            Note($"{kind}: % of them in lists of members with ≥ {CountingGraph.HubDegree} contacts",
                graph.EdgesRead == 0 ? 0 : 100.0 * graph.EdgesFromHubs / graph.EdgesRead);
            if (!q.ToMember) Note($"{kind}: providers of the skill", graph.Providers);
        }
        foreach (var (row, values) in rows.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var sorted = values.Order().ToArray();
            var format = row.Contains(" ms ", StringComparison.Ordinal) || row.Contains('%') ? "N1" : "N0";
            table.Add(row, Format.Number(values.Average(), "N1"),
                Format.Number(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.95 * sorted.Length) - 1)], format),
                Format.Number(sorted[^1], format));
        }
        Console.WriteLine(table.ToText());
        return table;
    }

    private static (string Text, string Markdown) Report(string command, NavigatorBenchmarkOptions o, CommunityModel model,
        (int Min, int Median, int P99, int Max, int Hubs100) degrees, SeedReport seed, List<Phase> phases,
        TimeSpan coldProposals, LatencySample warmProposals, int proposals, string lengths, Table anatomy, string loadAtStart)
    {
        var machine = Machine.AsTable("", ("load average (1 / 5 / 15 min), start → end", $"{loadAtStart} → {Machine.LoadAverages()}"));

        var community = new Table("community", "");
        community.Add("members", $"{model.Members:N0} (+3 founders)");
        community.Add("contacts", $"{model.Edges:N0}, average degree {2.0 * model.Edges / model.Members:0.0}");
        community.Add("degree min / median / p99 / max", $"{degrees.Min} / {degrees.Median} / {degrees.P99} / {degrees.Max}");
        community.Add("members with ≥ 100 contacts", $"{degrees.Hubs100:N0}");
        community.Add("skills", $"{model.Skills.Length}, each member offers 1-2 and needs 1-2 (Zipf popularity)");
        community.Add("guaranteed (2 real guarantees each) / expelled", $"{seed.Guaranteed:N0} / {seed.Expelled}");
        if (seed.BulkHeapGrowth > 0)
            community.Add("directory contact lists in memory", $"{seed.BulkHeapGrowth / (1024.0 * 1024):N0} MiB for {2 * model.Edges:N0} list entries " +
                $"({(double)seed.BulkHeapGrowth / (2 * model.Edges):N0} bytes each; heap growth while the bulk reports were kept)");
        community.Add("seeding", $"{seed.Total.TotalSeconds:0} s: sign-up {seed.Members / seed.SignUp.TotalSeconds:N0} members/s; " +
            $"real contacts {seed.RealContacts:N0} at {seed.RealContacts / Math.Max(seed.RealContactsTime.TotalSeconds, 1e-3):N0}/s" +
            (seed.BulkMembers > 0 ? $"; bulk path {seed.BulkContacts:N0} contacts for {seed.BulkMembers:N0} members in {seed.BulkTime.TotalSeconds:0} s" : ""));

        var search = new Table("path search (maxHops " + o.MaxHops + ", limit " + o.Limit + ")", "concurrency", "searches",
            "p50 ms", "p95 ms", "p99 ms", "max ms", "searches/s", "found", "avg hops", "avg chains");
        var runtime = new Table("process during the searches", "CPU ms per search", "KiB allocated per search",
            "GCs gen0/1/2", "GC pause ms", "load average (1 min) before → after");
        foreach (var p in phases)
        {
            var qps = p.All.Count / p.Elapsed.TotalSeconds;
            search.Add("to a member", Str(p.Concurrency), Str(p.ToMember.Count), Format.Ms(p.ToMember.Percentile(50)),
                Format.Ms(p.ToMember.Percentile(95)), Format.Ms(p.ToMember.Percentile(99)), Format.Ms(p.ToMember.Max), "",
                Percent(p.FoundMember, p.ToMember.Count), Avg(p.HopsMember, p.FoundMember), Avg(p.ChainsMember, p.FoundMember));
            search.Add("to a skill", Str(p.Concurrency), Str(p.ToSkill.Count), Format.Ms(p.ToSkill.Percentile(50)),
                Format.Ms(p.ToSkill.Percentile(95)), Format.Ms(p.ToSkill.Percentile(99)), Format.Ms(p.ToSkill.Max), "",
                Percent(p.FoundSkill, p.ToSkill.Count), Avg(p.HopsSkill, p.FoundSkill), Avg(p.ChainsSkill, p.FoundSkill));
            search.Add("**all**", Str(p.Concurrency), Str(p.All.Count), Format.Ms(p.All.Percentile(50)),
                Format.Ms(p.All.Percentile(95)), Format.Ms(p.All.Percentile(99)), Format.Ms(p.All.Max), Format.Number(qps),
                Percent(p.FoundMember + p.FoundSkill, p.All.Count), Avg(p.HopsMember + p.HopsSkill, p.FoundMember + p.FoundSkill),
                Avg(p.ChainsMember + p.ChainsSkill, p.FoundMember + p.FoundSkill));
            runtime.Add($"concurrency {p.Concurrency}", Format.Ms(p.Cpu.TotalMilliseconds / p.All.Count),
                Format.Number(p.Allocated / 1024.0 / p.All.Count), p.Collections, Format.Number(p.GcPause.TotalMilliseconds), p.Load);
        }

        var cycles = new Table($"cycle proposals (maxLength {o.CycleLength}, limit {o.CycleLimit})", "ms", "proposals");
        cycles.Add("cold (first call)", Format.Ms(coldProposals.TotalMilliseconds), $"{proposals} ({lengths})");
        cycles.Add($"warm (median of {warmProposals.Count})", Format.Ms(warmProposals.Percentile(50)), "");
        cycles.Add($"warm (max of {warmProposals.Count})", Format.Ms(warmProposals.Max), "");

        var targets = new Table("target", "goal", "measured", "met");
        foreach (var p in phases)
        {
            var qps = p.All.Count / p.Elapsed.TotalSeconds;
            targets.Add($"search p50 (concurrency {p.Concurrency})", $"≤ {TargetP50Ms} ms", Format.Ms(p.All.Percentile(50)) + " ms", Met(p.All.Percentile(50) <= TargetP50Ms));
            targets.Add($"search p99 (concurrency {p.Concurrency})", $"≤ {TargetP99Ms} ms", Format.Ms(p.All.Percentile(99)) + " ms", Met(p.All.Percentile(99) <= TargetP99Ms));
            targets.Add($"searches/s (concurrency {p.Concurrency})", $"≥ {TargetQueriesPerSecond}", Format.Number(qps),
                p.Concurrency == 1 ? "n/a (one search at a time)" : Met(qps >= TargetQueriesPerSecond));
        }
        var worstProposals = Math.Max(coldProposals.TotalSeconds, warmProposals.Max / 1000);
        targets.Add("top cycle proposals, cold and warm", $"≤ {TargetProposalsSeconds} s", $"{worstProposals:0.00} s", Met(worstProposals <= TargetProposalsSeconds));

        var tables = new[] { machine, community, search, runtime, anatomy, cycles, targets };
        var text = new StringBuilder();
        foreach (var t in tables) text.AppendLine(t.ToText());
        var markdown = new StringBuilder();
        markdown.AppendLine("```sh").AppendLine(command).AppendLine("```").AppendLine();
        foreach (var t in tables) markdown.AppendLine(t.ToMarkdown());
        return (text.ToString(), markdown.ToString());

        static string Str(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
        static string Percent(int found, int total) => total == 0 ? "-" : (100.0 * found / total).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        static string Avg(long sum, int n) => n == 0 ? "-" : ((double)sum / n).ToString("0.00", CultureInfo.InvariantCulture);
        static string Met(bool ok) => ok ? "yes" : "**no**";
    }
}
