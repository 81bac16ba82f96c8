using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OrleansGuarantee.Benchmarks.Scale;

/// <summary>
/// Issue 9: how a full deal lifecycle compares with the cheapest Orleans call that writes storage, on the same
/// machine in the same run; what a deal costs in durable Azure Table writes; and the latency of an acceptance at a
/// fixed rate below saturation.
/// </summary>
public static class DealsMode
{
    public const string Options = """
          --callers N           concurrent callers of the ceiling and deal runs (default 1000)
          --grains N            counter grains of the ceiling run (default 10000)
          --pairs N             member pairs doing deals, each pair used by one caller (default 1000)
          --seconds S           measured seconds of each closed-loop run (default 15)
          --warmup S            seconds run before measuring (default 3)
          --latency-fraction F  open-loop rate as a fraction of the measured deal rate (default 0.5)
          --latency-seconds S   seconds of the open-loop run (default 15)
          --azure-pairs N       member pairs (and callers) of the Azurite run (default 50)
          --azure-seconds S     seconds of the Azurite run (default 20)
          --skip-azure          leave out the Azurite run
          --orleans-serializer  memory storage writes state with the Orleans serializer (as the real silo's Azure
                                Table storage does) instead of the memory storage's default JSON serializer
          --markdown FILE       also write the results as markdown

        """;

    public static BenchmarkMode Mode { get; } = new("deals",
        "Orleans ceiling vs. full deal lifecycles (memory), durable writes per deal (Azurite), acceptance latency", Options, RunAsync);

    private const decimal DealValue = 10m;

    private static async Task<int> RunAsync(string[] argv)
    {
        var args = new Arguments(argv);
        var callers = args.Int("callers", 1000, 1, 100_000);
        var grainCount = args.Int("grains", 10_000, 1, 10_000_000);
        var pairs = args.Int("pairs", 1000, 1, 1_000_000);
        var seconds = args.Double("seconds", 15, 1, 3600);
        var warmup = args.Double("warmup", 3, 0, 600);
        var fraction = args.Double("latency-fraction", 0.5, 0.01, 1);
        var latencySeconds = args.Double("latency-seconds", 15, 1, 3600);
        var azurePairs = args.Int("azure-pairs", 50, 1, 100_000);
        var azureSeconds = args.Double("azure-seconds", 20, 1, 3600);
        var skipAzure = args.Flag("skip-azure");
        var orleansSerializer = args.Flag("orleans-serializer");
        var markdown = args.String("markdown");
        args.EnsureAllRead();

        var machine = Machine.AsTable("value",
            ("memory storage serializer", orleansSerializer ? "Orleans (as the real silo's table storage)" : "JSON (memory storage default)"));
        Console.WriteLine(machine.ToText());

        var results = new Table("figure", "value", "notes");
        double ceiling, dealsPerSecond;
        var stepTable = new Table("step", "grain state", "recovery book", "reminders", "journal tx", "total");
        Table? azureTable = null;
        var latencyTable = new Table("open-loop run", "value");

        await using (var silo = await BenchmarkSilo.StartAsync(orleansStorageSerializer: orleansSerializer))
        {
            // (a) the ceiling: a trivial call that writes memory storage.
            Console.WriteLine($"Ceiling: {callers:N0} callers over {grainCount:N0} counter grains, {warmup}+{seconds} s (load {Machine.LoadAverage()})...");
            var counters = Enumerable.Range(0, grainCount).Select(i => silo.Grains.GetGrain<ICounterGrain>(i)).ToArray();
            await Parallel.ForEachAsync(counters, new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (g, _) => await g.Increment());
            var ceilingCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (ceilingRate, ceilingLatency, ceilingErrors, ceilingDone) = await Load.ClosedLoopAsync(callers, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(seconds),
                (_, n) => counters[(int)(Random.Shared.NextInt64() % grainCount)].Increment());
            ceiling = ceilingRate;
            var ceilingCpu = (Process.GetCurrentProcess().TotalProcessorTime - ceilingCpu0).TotalSeconds;
            results.Add("(a) Orleans ceiling: CounterGrain.Increment + WriteStateAsync (memory)", $"{Format.Number(ceiling)} calls/s",
                $"{callers:N0} callers, {grainCount:N0} grains; p50 {Format.Ms(ceilingLatency.Percentile(50))} ms, p99 {Format.Ms(ceilingLatency.Percentile(99))} ms; errors {ceilingErrors}");

            results.Add("(a) CPU per ceiling call", $"{Format.Number(ceilingCpu * 1_000_000 / ceilingDone, "N0")} µs",
                "this process's CPU time during the run over every call that ended in it");
            // (b) full lifecycles through the real grains.
            var community = new BenchCommunity(silo.Grains, "bench");
            await community.CreateAsync(1_000_000_000m);
            var setup = new Progress("members", pairs * 2, "members");
            await community.AddMembersAsync(pairs * 2, 200, 1_000_000m, () => setup.Add());
            setup.Finish();
            var dealCallers = Math.Min(callers, pairs);
            Console.WriteLine($"Deals: {dealCallers:N0} callers, one pair each, {warmup}+{seconds} s (load {Machine.LoadAverage()})...");
            var dealCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (dealRate, dealLatency, dealErrors, dealsDone) = await Load.ClosedLoopAsync(dealCallers, TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(seconds),
                (caller, n) => LifecycleAsync(silo.Grains, community, caller, $"b{n}"));
            dealsPerSecond = dealRate;
            var dealCpu = (Process.GetCurrentProcess().TotalProcessorTime - dealCpu0).TotalSeconds;
            results.Add("(b) full deal lifecycles (memory storage)", $"{Format.Number(dealsPerSecond, "N1")} deals/s",
                $"propose, accept (cover held), 2 confirms, completion; {dealCallers:N0} callers; lifecycle p50 {Format.Ms(dealLatency.Percentile(50))} ms, p99 {Format.Ms(dealLatency.Percentile(99))} ms; errors {dealErrors}");
            results.Add("(b) CPU per deal lifecycle", $"{Format.Number(dealCpu * 1000 / dealsDone, "N1")} ms",
                $"this process's CPU time during the run over every lifecycle that ended in it; CPU ratio 1 : {Format.Number(dealCpu / dealsDone / (ceilingCpu / ceilingDone), "N0")}");
            var ratio = dealsPerSecond / ceiling;
            results.Add("(c) ratio deals/s : ceiling calls/s", $"1 : {Format.Number(1 / ratio, "N1")}",
                $"target at least 1 : 10 -> {(ratio >= 0.1 ? "met" : "NOT met")}");

            // (e) acceptance latency at a fixed rate below saturation.
            var rate = Math.Max(1, dealsPerSecond * fraction);
            Console.WriteLine($"Open loop: {rate:N1} lifecycles/s for {latencySeconds} s ({fraction:P0} of the measured rate)...");
            var accept = new LatencySample();
            var whole = new LatencySample();
            var openErrors = new ErrorTally();
            var lag = await Load.OpenLoopAsync(rate, TimeSpan.FromSeconds(latencySeconds), async (n, due, clock) =>
            {
                try
                {
                    var pair = (int)(n % pairs);
                    var (provider, consumer) = (community.MemberId(2 * pair), community.MemberId(2 * pair + 1));
                    var op = $"e{n}";
                    var deal = silo.Grains.GetGrain<IDealGrain>(DealIds.For(consumer, op));
                    await deal.Propose(new ProposeDeal(op, consumer, provider, consumer, DealValue, "benchmark deal", DateTimeOffset.UtcNow.AddDays(7)));
                    var started = clock.Elapsed;
                    await deal.Accept(provider);
                    accept.Add((clock.Elapsed - started).TotalMilliseconds);
                    await deal.Confirm(provider);
                    await deal.Confirm(consumer);
                    whole.Add((clock.Elapsed - due).TotalMilliseconds);
                }
                catch (Exception ex)
                {
                    openErrors.Add(ex);
                }
            });
            latencyTable.Add("rate (lifecycles/s)", $"{Format.Number(rate, "N1")} ({fraction:P0} of {Format.Number(dealsPerSecond, "N1")})");
            latencyTable.Add("acceptances measured", Format.Number(accept.Count));
            latencyTable.Add("acceptance p50 / p99 / max (ms)", $"{Format.Ms(accept.Percentile(50))} / {Format.Ms(accept.Percentile(99))} / {Format.Ms(accept.Max)}");
            latencyTable.Add("whole lifecycle from its scheduled start p50 / p99 (ms)", $"{Format.Ms(whole.Percentile(50))} / {Format.Ms(whole.Percentile(99))}");
            latencyTable.Add("worst start behind schedule (ms)", Format.Ms(lag));
            latencyTable.Add("errors", openErrors.ToString());
            results.Add("(e) acceptance latency, open loop", $"p50 {Format.Ms(accept.Percentile(50))} ms, p99 {Format.Ms(accept.Percentile(99))} ms",
                $"{Format.Number(rate, "N1")} lifecycles/s scheduled ({fraction:P0} of (b))");
        }

        if (!skipAzure)
        {
            Console.WriteLine("Azurite: starting it and a silo with Azure Table storage, reminders and journal...");
            await using var azurite = await AzuriteProcess.StartAsync();
            await using var silo = await AzureBenchSilo.StartAsync(azurite.ConnectionString);
            var community = new BenchCommunity(silo.Grains, "az");
            await community.CreateAsync(1_000_000_000m);
            var setup = new Progress("members (Azurite)", azurePairs * 2, "members");
            await community.AddMembersAsync(azurePairs * 2, 50, 1_000_000m, () => setup.Add());
            setup.Finish();
            // One warm deal per pair, so the activations, the journal chains' heads and cursors are read before counting.
            await Parallel.ForEachAsync(Enumerable.Range(0, azurePairs), async (p, _) => await LifecycleAsync(silo.Grains, community, p, $"w{p}"));

            // One deal alone, step by step: what each step writes (no other deal shares a journal transaction).
            var steps = new (string Name, Func<IDealGrain, Task> Run)[]
            {
                ("propose (+ both members list the deal)", d => d.Propose(new ProposeDeal("s1", community.MemberId(1), community.MemberId(0), community.MemberId(1), DealValue, "benchmark deal", DateTimeOffset.UtcNow.AddDays(7)))),
                ("accept (plan, 2 holds, accepted)", d => d.Accept(community.MemberId(0))),
                ("confirm by the provider", d => d.Confirm(community.MemberId(0))),
                ("confirm by the consumer (completing, 2 releases, completed)", d => d.Confirm(community.MemberId(1))),
            };
            var single = silo.Grains.GetGrain<IDealGrain>(DealIds.For(community.MemberId(1), "s1"));
            long singleTotal = 0;
            foreach (var (name, run) in steps)
            {
                var before = silo.Counter.Snapshot();
                await run(single);
                var w = TableRequestCounter.Writes(before, silo.Counter.Snapshot());
                long Of(string table) => w.GetValueOrDefault(TableRequestCounter.Describe(table));
                var total = Of("OrleansGrainState") + Of("OrleansGrainState:recoverybook") + Of("OrleansReminders") + Of("$batch");
                singleTotal += total;
                stepTable.Add(name, Of("OrleansGrainState").ToString(CultureInfo.InvariantCulture),
                    Of("OrleansGrainState:recoverybook").ToString(CultureInfo.InvariantCulture), Of("OrleansReminders").ToString(CultureInfo.InvariantCulture),
                    Of("$batch").ToString(CultureInfo.InvariantCulture), total.ToString(CultureInfo.InvariantCulture));
            }
            stepTable.Add("one deal alone", "", "", "", "", singleTotal.ToString(CultureInfo.InvariantCulture));

            // Many deals at once: journal appends of several members share a transaction (group commit).
            Console.WriteLine($"Azurite deals: {azurePairs} callers, {azureSeconds} s (load {Machine.LoadAverage()})...");
            var snapshot = silo.Counter.Snapshot();
            var cpu = azurite.CpuSeconds();
            var clock = Stopwatch.StartNew();
            var (_, azLatency, azErrors, completed) = await Load.ClosedLoopAsync(azurePairs, TimeSpan.Zero, TimeSpan.FromSeconds(azureSeconds),
                (caller, n) => LifecycleAsync(silo.Grains, community, caller, $"z{n}"));
            var elapsed = clock.Elapsed.TotalSeconds;
            var azuriteCpu = azurite.CpuSeconds() - cpu;
            var writes = TableRequestCounter.Writes(snapshot, silo.Counter.Snapshot());
            azureTable = new Table("writes during the Azurite run", "count", "per deal");
            long dealWrites = 0;
            foreach (var (table, count) in writes.OrderBy(w => w.Key, StringComparer.Ordinal))
            {
                var membership = table.StartsWith("membership", StringComparison.Ordinal);
                if (!membership) dealWrites += count;
                azureTable.Add(table + (membership ? " (heartbeat, not counted)" : ""), Format.Number(count), Format.Number((double)count / completed, "N2"));
            }
            azureTable.Add("durable writes of the deals", Format.Number(dealWrites), Format.Number((double)dealWrites / completed, "N2"));
            var azRate = completed / elapsed;
            results.Add("(d) durable Azure Table writes per settled deal", $"{Format.Number((double)dealWrites / completed, "N1")} (alone: {singleTotal})",
                $"target at most 10 -> {((double)dealWrites / completed <= 10 ? "met" : "NOT met")}; counted in the silo's table client pipeline");
            results.Add("(d) full deal lifecycles against Azurite", $"{Format.Number(azRate, "N1")} deals/s",
                $"{azurePairs} callers, {completed:N0} deals in {elapsed:0.0} s; lifecycle p50 {Format.Ms(azLatency.Percentile(50))} ms, p99 {Format.Ms(azLatency.Percentile(99))} ms; " +
                $"Azurite CPU {azuriteCpu / elapsed:P0} of one core; errors {azErrors}");
        }

        Console.WriteLine();
        Console.WriteLine(results.ToText());
        Console.WriteLine(latencyTable.ToText());
        if (!skipAzure)
        {
            Console.WriteLine("Writes of one deal alone, step by step (Azurite):");
            Console.WriteLine(stepTable.ToText());
            Console.WriteLine(azureTable!.ToText());
        }
        if (markdown is not null)
        {
            var md = new StringBuilder();
            md.AppendLine("### Deals: the Orleans ceiling, deal lifecycles, durable writes, latency");
            md.AppendLine();
            md.AppendLine($"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC. Machine:");
            md.AppendLine();
            md.Append(machine.ToMarkdown());
            md.AppendLine();
            md.Append(results.ToMarkdown());
            md.AppendLine();
            md.AppendLine("Acceptance latency at a fixed rate (open loop):");
            md.AppendLine();
            md.Append(latencyTable.ToMarkdown());
            if (!skipAzure)
            {
                md.AppendLine();
                md.AppendLine("Durable writes of one deal alone, step by step (Azurite):");
                md.AppendLine();
                md.Append(stepTable.ToMarkdown());
                md.AppendLine();
                md.AppendLine("Writes during the concurrent Azurite run:");
                md.AppendLine();
                md.Append(azureTable!.ToMarkdown());
            }
            await File.WriteAllTextAsync(markdown, md.ToString());
            Console.WriteLine($"Markdown written to {markdown}.");
        }
        return 0;
    }

    /// <summary>One deal from proposal to completion between the members of pair <paramref name="pair"/>: the
    /// consumer proposes, the provider accepts (both cover from their own deposits), both confirm.</summary>
    private static async Task LifecycleAsync(IGrainFactory grains, BenchCommunity community, int pair, string operationId)
    {
        var (provider, consumer) = (community.MemberId(2 * pair), community.MemberId(2 * pair + 1));
        var deal = grains.GetGrain<IDealGrain>(DealIds.For(consumer, operationId));
        await deal.Propose(new ProposeDeal(operationId, consumer, provider, consumer, DealValue, "benchmark deal", DateTimeOffset.UtcNow.AddDays(7)));
        await deal.Accept(provider);
        await deal.Confirm(provider);
        var done = await deal.Confirm(consumer);
        if (done.State != DealState.Completed) throw new InvalidOperationException($"Deal {done.Id} ended {done.State}.");
    }
}
