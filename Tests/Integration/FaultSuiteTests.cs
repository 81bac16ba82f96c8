using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// The fault suite (issue 8): real processes (Azurite, three silos on Azure Table clustering, the front door) under a
/// load of 2,000 concurrent deals driven through the HTTP API, with claims, disputes and a synergy cycle, while a silo is
/// killed with SIGKILL, or Azurite is stopped and started again. Afterwards: no deal left between two states, no hold
/// without a live deal, every deal ended, money conserved member by member and in the ledger, the journal verifying and
/// accounting for every balance, every error a clear problem answer (or no answer), and every deal in flight at the
/// fault at rest within 60 seconds of the fault's end. The two scenarios share one deployment and one seeded community
/// (<see cref="FaultSuiteFixture"/>), each with its own deals. The figures go to <c>TestResults/fault-suite.md</c>.
/// Run only these with <c>dotnet test Tests -c Release --filter Category=FaultSuite</c>.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "FaultSuite")]
public sealed class FaultSuiteTests(FaultSuiteFixture fixture, ITestOutputHelper output) : IClassFixture<FaultSuiteFixture>
{
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AzuriteOutage = TimeSpan.FromSeconds(10);
    private const int KilledSilo = 1;

    [Fact]
    public async Task A_silo_killed_with_sigkill_under_load_loses_no_money_no_hold_and_no_deal()
    {
        var (cluster, api, load) = await fixture.EnsureStartedAsync(Log);
        var run = load.NewRun("kill", seed: 81);
        try
        {
            // The front door reads the gateways from the membership table: the killed silo is one of three gateways.
            await load.RunAsync(run, r =>
            {
                r.FaultBegan();
                cluster.KillSilo(KilledSilo);
                r.FaultEnded();
                return Task.CompletedTask;
            });
            await load.CheckAsync(run, RecoveryLimit);
        }
        finally
        {
            FaultReport.Write(output, "silo-kill", $"A silo killed with SIGKILL (kill -9) mid-way, {FaultSuiteFixture.Silos} silos", fixture, run,
                $"silo {KilledSilo + 1} of {FaultSuiteFixture.Silos} killed with SIGKILL; the other two take over its grains and run the rest of the load and the checks",
                null);
            // The next scenario gets three silos again; this also shows a silo joining the cluster after a crash.
            if (cluster.Silo(KilledSilo) is { HasExited: true })
            {
                var watch = Stopwatch.StartNew();
                await cluster.StartSiloAsync(KilledSilo);
                Log($"silo {KilledSilo + 1} started again in {watch.Elapsed.TotalSeconds:0.0} s");
            }
            cluster.ReportErrors();
        }
        AssertPassed(run, api);
    }

    [Fact]
    public async Task Azurite_stopped_and_restarted_under_load_fails_calls_clearly_and_loses_nothing()
    {
        var (cluster, api, load) = await fixture.EnsureStartedAsync(Log);
        var run = load.NewRun("outage", seed: 82);
        HttpStatusCode? healthDuringOutage = null;
        try
        {
            await load.RunAsync(run, async r =>
            {
                r.FaultBegan();
                var outage = Stopwatch.StartNew();
                await cluster.Azurite.StopAsync();
                Log($"Azurite stopped (SIGINT) in {outage.Elapsed.TotalSeconds:0.0} s");
                using (var http = new HttpClient { BaseAddress = cluster.FrontDoor.BaseAddress, Timeout = TimeSpan.FromSeconds(20) })
                    healthDuringOutage = await FrontDoorProcess.WaitForHealthAsync(http, HttpStatusCode.ServiceUnavailable, AzuriteOutage - outage.Elapsed);
                Log($"/health during the outage: {(int)healthDuringOutage}");
                if (AzuriteOutage - outage.Elapsed is { TotalMilliseconds: > 0 } rest) await Task.Delay(rest);
                await cluster.Azurite.StartAgainAsync();
                r.FaultEnded();
            });
            await load.CheckAsync(run, RecoveryLimit);
        }
        finally
        {
            FaultReport.Write(output, "azurite-restart", $"Azurite stopped for {AzuriteOutage.TotalSeconds:0} s mid-way and started again, {FaultSuiteFixture.Silos} silos",
                fixture, run, $"Azurite (tables, queues, blobs) stopped with SIGINT and started again on the same ports and data {AzuriteOutage.TotalSeconds:0} s later",
                healthDuringOutage);
            if (!cluster.Azurite.IsRunning) await cluster.Azurite.StartAgainAsync();
            cluster.ReportErrors();
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthDuringOutage);
        AssertPassed(run, api);
    }

    private void Log(string message) => output.WriteLine($"[{fixture.Clock.Elapsed.TotalSeconds,6:0.0}s] {message}");

    private void AssertPassed(FaultRun run, FaultApiClient api)
    {
        var all = api.Violations.ToList();
        var violations = all.Take(fixture.SeedViolations).Concat(all.Skip(run.ViolationsBefore)).ToList();
        Assert.True(violations.Count == 0, $"{violations.Count} violations (seeding's included):\n" + string.Join("\n", violations.Take(40)));
        Assert.True(run.InFlightAtFault > 0, "the fault came when no deal was in flight");
        Assert.True(run.RecoveryTime is { } r && r <= RecoveryLimit,
            $"the deals in flight at the fault came to rest {run.RecoveryTime?.TotalSeconds:0.0} s after the fault was over; the limit is {RecoveryLimit.TotalSeconds:0} s");
        Assert.True(run.ParkedCompletionTime <= RecoveryLimit,
            $"completing the {run.ParkedDeals} deals left accepted took {run.ParkedCompletionTime.TotalSeconds:0.0} s; the limit is {RecoveryLimit.TotalSeconds:0} s");
        Assert.Equal("completed", run.CycleState);
        Assert.Equal(run.DealsPlanned + run.CycleDeals.Count, run.DealsDone);
    }
}

/// <summary>
/// The deployment (Azurite, three silos, the front door) and the seeded community the fault scenarios share, started
/// by whichever scenario runs first (so its progress shows in that test's output) and stopped after the last.
/// </summary>
public sealed class FaultSuiteFixture : IAsyncLifetime
{
    public const int Silos = 3;
    internal static readonly FaultLoad.Settings Settings = new(Members: 200, Deals: 2_000, Concurrency: 64, FaultAfter: 0.4);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private FaultCluster? _cluster;
    private FaultApiClient? _api;
    private FaultLoad? _load;
    private Exception? _failed;

    internal Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <summary>How many violations seeding recorded (the first ones of the client's list).</summary>
    internal int SeedViolations { get; private set; }
    internal TimeSpan? StartupTime { get; private set; }
    internal FaultLoad? Load => _load;

    /// <summary>Every violation recorded so far (seeding, then each scenario in turn).</summary>
    internal IEnumerable<string> Violations() => _api?.Violations ?? Enumerable.Empty<string>();

    internal async Task<(FaultCluster Cluster, FaultApiClient Api, FaultLoad Load)> EnsureStartedAsync(Action<string> log)
    {
        await _gate.WaitAsync();
        try
        {
            if (_failed is not null) throw new InvalidOperationException("Starting and seeding the fault suite's deployment failed in an earlier test.", _failed);
            if (_cluster is null)
            {
                try
                {
                    var watch = Stopwatch.StartNew();
                    _cluster = await FaultCluster.StartAsync(Silos, log);
                    StartupTime = watch.Elapsed;
                    _api = new FaultApiClient(_cluster.FrontDoor.BaseAddress, Clock);
                    _load = new FaultLoad(_api, Settings, Clock) { Log = log };
                    await _load.SeedAsync(_cluster.OperatorKey);
                    SeedViolations = _api.Violations.Count;
                }
                catch (Exception ex)
                {
                    _failed = ex;
                    throw;
                }
            }
            _cluster.Log = log;
            _load!.Log = log;
            return (_cluster, _api!, _load);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _api?.Dispose();
        if (_cluster is not null)
        {
            _cluster.Log = _ => { }; // no test is running to write to
            await _cluster.DisposeAsync();
        }
        _gate.Dispose();
    }
}

/// <summary>
/// Writes a run's figures to the test output and to <c>TestResults/fault-suite.md</c> (in the repository), where each
/// scenario replaces its own section and keeps the others.
/// </summary>
internal static class FaultReport
{
    public static string PathOf => Path.Combine(RepoPaths.Root, "TestResults", "fault-suite.md");

    public static void Write(ITestOutputHelper output, string scenario, string title, FaultSuiteFixture fixture, FaultRun run,
        string fault, HttpStatusCode? healthDuringOutage)
    {
        var load = fixture.Load!;
        var loadTime = run.LoadEndedAt - run.LoadStartedAt;
        var calls = load.CallsBetween(run.LoadStartedAt, run.LoadEndedAt);
        var violations = fixture.Violations().Skip(run.ViolationsBefore).ToList();
        static string S(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:0.0} s" : "-";
        static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        static string Errors(IReadOnlyList<(string What, int Count)> e) =>
            e.Count == 0 ? "none" : $"{e.Sum(x => x.Count)}: " + string.Join("; ", e.Select(x => $"{x.What} {x.Count}"));
        var kinds = string.Join(", ", run.Flows.GroupBy(f => f.Plan.Kind).Select(g => $"{g.Key switch
        {
            DealKind.Completed => "confirmed by both",
            DealKind.ClaimAdmitted => "claim admitted",
            DealKind.ClaimDisputed => "claim disputed and judged",
            DealKind.Cancelled => "cancelled",
            _ => "accepted, left until the end",
        }} {g.Count()}"));
        var end = run.LoadEndedAt + run.CheckTime;
        var rows = new List<(string, string)>
        {
            ("machine", Machine()),
            ("command", "`dotnet test Tests -c Release --filter Category=FaultSuite` (also part of `./test.sh`)"),
            ("deployment", $"Azurite, {FaultSuiteFixture.Silos} silos (Azure Table clustering, reminder period {FaultCluster.ReminderPeriodSeconds} s), " +
                $"the front door (gateways from the membership table); started in {S(fixture.StartupTime)}"),
            ("community", $"{load.Everyone.Count()} members (3 founders, {FaultLoad.Layer1} guaranteed by founders, the rest by two of those; " +
                $"{load.PoorMembers} with a deposit of {FaultLoad.PoorDeposit:0}, covered mostly by their guarantors), {load.TotalDeposited:0.00} deposited; " +
                $"seeded through the API once for both scenarios in {S(load.SeedTime)}"),
            ("deals", $"{run.DealsPlanned} ({kinds}) + {run.CycleDeals.Count} stage deals of a 4-stage synergy cycle run alongside"),
            ("deals in flight", $"at most {run.MaxInFlight} (limit {run.ConcurrencyLimit}); {run.InFlightAtFault} in flight at the fault, {run.StartedAtFault} started before it"),
            ("load", $"{S(loadTime)}, {calls} API calls ({(loadTime.TotalSeconds > 0 ? calls / loadTime.TotalSeconds : 0):0} per second)"),
            ("fault", $"{fault}; began {S(run.FaultBeganAt - run.LoadStartedAt)} into the load, over {S(run.FaultEndedAt - run.FaultBeganAt)} later"),
            ("errors answered before the fault (5xx or no answer)", Errors(load.ErrorsBetween(run.LoadStartedAt, run.FaultBeganAt ?? run.LoadEndedAt))),
            ("errors answered from the fault to the end of the load", Errors(load.ErrorsBetween(run.FaultBeganAt ?? run.LoadEndedAt, run.LoadEndedAt))),
            ("calls repeated as they were (same operation id) after a 5xx or no answer", N(load.RepeatsBetween(run.LoadStartedAt, run.LoadEndedAt))),
            ("acceptances repeated after cover-contended (409)", N(run.CoverContended)),
            ("first successful change after the fault was over", S(run.FirstSuccessAfterFault)),
            ("recovery time: fault over → every deal in flight at the fault at rest", $"{S(run.RecoveryTime)} (limit 60 s)"),
            ("deals accepting / completing / settling after the load", $"none after {S(run.QuiesceTime)} of waiting"),
            ("holds after the load", $"{run.HoldsChecked}, exactly the covers of the {run.ParkedDeals} deals still accepted"),
            ("completing those accepted deals", S(run.ParkedCompletionTime)),
            ("deals done", $"{run.DealsDone} of {run.DealsPlanned + run.CycleDeals.Count}: " +
                string.Join(", ", run.FinalStates.OrderByDescending(s => s.Value).Select(s => $"{s.Key} {s.Value}"))),
            ("synergy cycle", run.CycleState),
            ("money", $"{run.MembersChecked} balances = deposits ± settlement payments, nothing held; ledger: {run.LedgerText}"),
            ("journal", $"{run.JournalEntries} entries read through the API (both scenarios so far), verified; every member's entries numbered without a gap " +
                $"and adding up to its balance (caught up in {S(run.JournalCatchUp)})"),
            ("time to an answer during the load (median / 95% / longest)", string.Join("; ",
                load.Latencies(run.LoadStartedAt, run.LoadEndedAt).Take(8).Select(l => $"{l.Step} {l.Median.TotalSeconds:0.00} / {l.P95.TotalSeconds:0.00} / {l.Max.TotalSeconds:0.0} s"))),
            ("load and checks", $"{S(end - run.LoadStartedAt)} (checks {S(run.CheckTime)})"),
            ("violations", N(violations.Count)),
        };
        if (healthDuringOutage is { } health) rows.Insert(8, ("/health during the outage", N((int)health)));

        var section = new StringBuilder();
        section.AppendLine($"<!-- scenario: {scenario} -->");
        section.AppendLine($"## {title}");
        section.AppendLine();
        section.AppendLine($"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        section.AppendLine();
        section.AppendLine("| figure | value |");
        section.AppendLine("| --- | --- |");
        foreach (var (name, value) in rows) section.AppendLine($"| {name} | {value.Replace("|", "\\|", StringComparison.Ordinal)} |");
        if (violations.Count > 0) section.AppendLine();
        foreach (var v in violations.Take(20)) section.AppendLine($"- violation: {v}");
        section.AppendLine($"<!-- end: {scenario} -->");
        output.WriteLine(section.ToString());

        Directory.CreateDirectory(Path.GetDirectoryName(PathOf)!);
        var text = File.Exists(PathOf)
            ? File.ReadAllText(PathOf)
            : "# Fault suite (issue 8)\n\nWritten by `Tests/Integration/FaultSuiteTests.cs`; each scenario replaces its own section.\n";
        var start = text.IndexOf($"<!-- scenario: {scenario} -->", StringComparison.Ordinal);
        var endMarker = $"<!-- end: {scenario} -->";
        var stop = text.IndexOf(endMarker, StringComparison.Ordinal);
        text = start >= 0 && stop > start
            ? text[..start] + section.ToString().TrimEnd() + text[(stop + endMarker.Length)..]
            : text.TrimEnd() + "\n\n" + section;
        File.WriteAllText(PathOf, text);
    }

    /// <summary>Cores, memory and operating system of the machine running the suite.</summary>
    public static string Machine()
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return $"{Environment.ProcessorCount} cores, {memory:0} GiB memory, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
