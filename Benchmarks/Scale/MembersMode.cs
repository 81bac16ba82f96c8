using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace OrleansGuarantee.Benchmarks.Scale;

/// <summary>
/// Issue 9: a community of a million members with guarantees on one silo (memory storage): how fast they are made
/// through the real grains, how fast a random member answers afterwards, and how much memory a member takes.
/// </summary>
public static class MembersMode
{
    public const string Options = """
          --members N           members to create (default 1000000)
          --concurrency N       members created at once (default 500)
          --queries N           random IMemberGrain.Get calls measured afterwards (default 20000)
          --query-callers N     concurrent callers of the queries (default 100)
          --markdown FILE       also write the results as markdown
          --json-storage        keep grain states in memory storage as Newtonsoft JSON (memory storage's default, as
                                before); by default they are kept as the real silo stores them: Orleans serializer
          --hold-seconds N      wait N seconds after the all-alive memory measurement and again before exiting
                                (time for dotnet-gcdump collect -p PID; default 0)

        """;

    public static BenchmarkMode Mode { get; } = new("members",
        "Create N members with guarantees (default 1,000,000), then query random members; memory per member", Options, RunAsync);

    private static async Task<int> RunAsync(string[] argv)
    {
        var args = new Arguments(argv);
        var count = args.Int("members", 1_000_000, 1, 10_000_000);
        var concurrency = args.Int("concurrency", 500, 1, 100_000);
        var queries = args.Int("queries", 20_000, 1, 100_000_000);
        var queryCallers = args.Int("query-callers", 100, 1, 100_000);
        var markdown = args.String("markdown");
        var holdSeconds = args.Int("hold-seconds", 0, 0, 86_400);
        var jsonStorage = args.Flag("json-storage");
        args.EnsureAllRead();

        var machine = Machine.AsTable("value",
            ("grain storage", jsonStorage ? "memory, Newtonsoft JSON (--json-storage)" : "memory, Orleans serializer (as the real silo)"));
        Console.WriteLine(machine.ToText());

        var results = new Table("figure", "value", "notes");
        var memory = new Table("memory", "total", "per member");
        var activations = new Table("activations after creation", "count", "per member");
        await using var silo = await BenchmarkSilo.StartAsync(orleansStorageSerializer: !jsonStorage);
        var (heap0, ws0) = MeasureMemory();

        var community = new BenchCommunity(silo.Grains, "mc");
        await community.CreateAsync(1_000_000m);
        Console.WriteLine($"Creating {count:N0} members, {concurrency} at a time (sign-up, two guarantee requests and acceptances each)...");
        var progress = new EtaProgress(count);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await community.AddMembersAsync(count, concurrency, 0m, progress.Add);
        progress.Finish();
        var createSeconds = clock.Elapsed.TotalSeconds;
        var createCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        results.Add("members created", Format.Number(count), $"{BenchCommunity.FounderCount} founders; every member has 2 accepted guarantees from earlier members");
        results.Add("creation rate", $"{Format.Number(count / createSeconds)} members/s", $"{createSeconds:0} s in all, {concurrency} at a time; load average {Machine.LoadAverage()} at the end");
        results.Add("CPU per member created", $"{Format.Number(createCpu * 1000 / count, "N1")} ms",
            $"this process's CPU time ({createCpu:0} s) over the members: {Format.Number(count / createCpu)} members per CPU-second, so about {Format.Number(2 * count / createCpu)} members/s if both cores were ours");

        foreach (var (name, sample) in new[] { ("sign-up", community.SignUps), ("guarantee request", community.Requests), ("guarantee acceptance", community.Accepts) })
            results.Add($"creation step: {name}", $"p50 {Format.Ms(sample.Percentile(50))} ms, p99 {Format.Ms(sample.Percentile(99))} ms", $"mean {Format.Ms(sample.Mean)} ms over {sample.Count:N0} calls");
        Console.WriteLine(results.ToText());
        var (heap1, ws1) = MeasureMemory();
        memory.Add("GC heap after full GC (all activations alive)", Bytes(heap1 - heap0), Bytes((heap1 - heap0) / (double)count));
        memory.Add("working set (all activations alive)", Bytes(ws1 - ws0), Bytes((ws1 - ws0) / (double)count));
        await HoldAsync(holdSeconds, "all activations alive");
        // The in-memory journal store keeps every journal entry (in production they are rows of an Azure table, not
        // silo memory): count them and measure what such entries take on the heap.
        long journalEntries = 0;
        var store = silo.Services.GetRequiredService<Journal.IJournalStore>();
        JournalEntry? journalSample = null;
        for (var p = 0; p < JournalPartitions.Count; p++)
        {
            var chain = JournalPartitions.KeyOf(community.Id, p);
            var head = await store.ReadHeadAsync(chain);
            journalEntries += head.LocalSeq;
            // The chain's last entry: a member's guarantee record, as most entries are (the first are the founders' deposits).
            journalSample ??= (await store.ReadAsync(chain, head.LocalSeq - 1, 1)).FirstOrDefault();
        }
        if (journalSample is not null)
        {
            // A difference of two heap readings: the scratch store must dwarf what the idle silo frees or makes
            // meanwhile (at a million members 20,000 copies did not: the estimate came out negative), so it grows with
            // the heap, and the median of three readings is taken.
            var copies = (int)Math.Clamp(journalEntries / 10, 20_000, 400_000);
            var perEntry = new[] { 0, 1, 2 }.Select(_ => BytesPerStoredEntry(journalSample, copies)).Order().ElementAt(1);
            var label = $"of which {journalEntries:N0} journal entries in the in-memory journal store (estimate)";
            if (perEntry > 0) memory.Add(label, Bytes(perEntry * journalEntries), Bytes(perEntry * journalEntries / count));
            else memory.Add($"{label}: not measurable, the heap changed by more than the scratch store while it was measured", "-", "-");
        }
        var management = silo.Grains.GetGrain<IManagementGrain>(0);
        foreach (var stat in (await management.GetSimpleGrainStatistics()).GroupBy(s => s.GrainType).Select(g => (Type: g.Key, Count: g.Sum(s => s.ActivationCount))).OrderByDescending(s => s.Count).Take(8))
            activations.Add(ShortType(stat.Type), Format.Number(stat.Count), Format.Number(stat.Count / (double)count, "N2"));

        // Random members answer (reactivating none: all are active).
        Console.WriteLine($"Querying {queries:N0} random members, {queryCallers} callers...");
        var latency = new LatencySample();
        long next = 0;
        var qclock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, queryCallers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= queries)
            {
                var id = community.MemberId(Random.Shared.Next(count));
                var started = Stopwatch.GetTimestamp();
                await community.Member(id).Get();
                latency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var qps = queries / qclock.Elapsed.TotalSeconds;
        results.Add("random IMemberGrain.Get", $"p50 {Format.Ms(latency.Percentile(50))} ms, p99 {Format.Ms(latency.Percentile(99))} ms",
            $"{queries:N0} calls, {queryCallers} callers, {Format.Number(qps)} calls/s, max {Format.Ms(latency.Max)} ms");

        // What stays when idle activations are collected (as Orleans does after the collection age): the stored
        // states in memory storage and the directory partitions' summaries.
        Console.WriteLine("Collecting idle activations (older than 1 s)...");
        await management.ForceActivationCollection(TimeSpan.FromSeconds(1));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var (heap2, ws2) = MeasureMemory();
        memory.Add("GC heap after idle activations were collected", Bytes(heap2 - heap0), Bytes((heap2 - heap0) / (double)count));
        memory.Add("working set after idle activations were collected", Bytes(ws2 - ws0), Bytes((ws2 - ws0) / (double)count));
        var left = (await management.GetSimpleGrainStatistics()).Sum(s => s.ActivationCount);
        memory.Add("activations left", Format.Number(left), "");

        Console.WriteLine();
        Console.WriteLine(results.ToText());
        Console.WriteLine(memory.ToText());
        Console.WriteLine(activations.ToText());
        if (markdown is not null)
        {
            var md = new StringBuilder();
            md.AppendLine($"### Members: {count:N0} members with guarantees on one silo (memory storage)");
            md.AppendLine();
            md.AppendLine($"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine:");
            md.AppendLine();
            md.Append(machine.ToMarkdown());
            md.AppendLine();
            md.Append(results.ToMarkdown());
            md.AppendLine();
            md.Append(memory.ToMarkdown());
            md.AppendLine();
            md.Append(activations.ToMarkdown());
            await File.WriteAllTextAsync(markdown, md.ToString());
            Console.WriteLine($"Markdown written to {markdown}.");
        }
        await HoldAsync(holdSeconds, "idle activations collected");
        return 0;
    }

    private static async Task HoldAsync(int seconds, string what)
    {
        if (seconds <= 0) return;
        Console.WriteLine($"Holding {seconds} s ({what}): dotnet-gcdump collect -p {Environment.ProcessId}");
        await Task.Delay(TimeSpan.FromSeconds(seconds));
    }

    /// <summary>Heap bytes one more entry like <paramref name="entry"/> takes in a <see cref="Journal.MemoryJournalStore"/>
    /// (each with its own copy of the source id and the data, the kind shared as the grains share it), measured by
    /// appending <paramref name="copies"/> of them to a new store.</summary>
    private static double BytesPerStoredEntry(JournalEntry entry, int copies)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var scratch = FillScratchStore(entry, copies);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(scratch);
        return (after - before) / (double)copies;
    }

    /// <summary>Not inlined, so nothing but the store outlives it (the records and linked entries are garbage after).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Journal.MemoryJournalStore FillScratchStore(JournalEntry entry, int copies)
    {
        var scratch = new Journal.MemoryJournalStore();
        var head = Journal.JournalHead.Empty;
        var batch = scratch.MaxEntriesPerAppend - 1;
        for (var first = 1; first <= copies; first += batch)
        {
            var records = Enumerable.Range(first, Math.Min(batch, copies - first + 1))
                .Select(i => new JournalRecord(new string(entry.SourceId.AsSpan()), i, entry.Kind, new string(entry.Data.AsSpan()), entry.At))
                .ToList();
            var entries = Journal.JournalChain.Link(entry.Partition, head.LocalSeq, head.Hash, records);
            var next = new Journal.JournalHead(entries[^1].LocalSeq, entries[^1].Hash);
            // The memory store completes synchronously.
            scratch.AppendAsync("scratch", head, entries, next, new Dictionary<string, long>()).GetAwaiter().GetResult();
            head = next;
        }
        return scratch;
    }

    private static (long Heap, long WorkingSet) MeasureMemory()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
    }

    private static string Bytes(double bytes) => bytes switch
    {
        >= 1024 * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
        >= 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
        >= 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.00} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B"),
    };

    private static string ShortType(string type)
    {
        var name = type.Split(',')[0];
        return name[(name.LastIndexOf('.') + 1)..];
    }

    /// <summary>Progress of the creation: done, percent, rate and time left, at most once a second (every 10 s into a file).</summary>
    private sealed class EtaProgress(long total)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly int _every = Console.IsOutputRedirected ? 10 : 1;
        private long _done;
        private long _lastSlot = -1;

        public void Add()
        {
            Interlocked.Increment(ref _done);
            var slot = (long)_clock.Elapsed.TotalSeconds / _every;
            var last = Interlocked.Read(ref _lastSlot);
            if (slot > last && Interlocked.CompareExchange(ref _lastSlot, slot, last) == last) Print();
        }

        public void Finish()
        {
            Print();
            if (!Console.IsOutputRedirected) Console.WriteLine();
        }

        private void Print()
        {
            var done = Interlocked.Read(ref _done);
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
            var rate = done / seconds;
            var eta = rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"  members: {done:N0}/{total:N0} ({100.0 * done / total:0.0}%), {rate:N0}/s, {seconds:0} s, ETA {eta:hh\\:mm\\:ss}, GC heap {GC.GetTotalMemory(false) / (1024 * 1024):N0} MiB");
            if (Console.IsOutputRedirected) Console.WriteLine(line);
            else Console.Write("\r" + line + "   ");
        }
    }
}
