using System.Globalization;
using System.Runtime.InteropServices;
using OrleansGuarantee.Demo;

// Seeds the demo community through the front door's public HTTP API (see README, "Demo").
//   dotnet run --project Demo -- --url http://127.0.0.1:5080 --operator-key-file .data/operator-key
// Exit codes: 0 seeded (or already seeded), 1 some steps failed, 2 bad options or the front door unreachable.

var options = DemoOptions.Parse(args, Console.Error);
if (options is null) return 2;
if (options.Help)
{
    Console.WriteLine(DemoOptions.Usage);
    return 0;
}

// Ctrl+C (SIGINT) and SIGTERM stop the seeding between calls, with a message; a later run carries on.
using var cancel = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var plan = DemoPlan.Build();
var interactive = !Console.IsOutputRedirected && !options.Plain;
var progress = new Progress(Console.Out, interactive, Seeder.CountSteps(plan));
using var api = new DemoApi(options.Url, options.OperatorKey!, plan.Password, message => progress.Line("  retry: " + message));

Console.WriteLine($"Seeding the demo community '{plan.CommunityId}' through {options.Url} " +
    $"({plan.Members.Count} members, {plan.Deals.Count} deals, {plan.Cycles.Count} synergy cycles)...");
try
{
    await api.WaitForHealthAsync(TimeSpan.FromSeconds(options.WaitSeconds), cancel.Token);
    var outcome = await new Seeder(api, plan, progress).RunAsync(cancel.Token);
    progress.Finish();
    await Summary.PrintAsync(api, plan, outcome, progress.Elapsed, Console.Out, cancel.Token);
    return outcome.Failures.Count == 0 ? 0 : 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    progress.Line("Seeding stopped. Run the same command again to carry on where it stopped.");
    return 1;
}
catch (TimeoutException ex)
{
    progress.Line("demo: " + ex.Message);
    return 2;
}
catch (ApiProblemException ex) when (ex.Code == "invalid-credentials")
{
    progress.Line($"demo: the operator key was refused ({ex.Title}). Pass the key of this front door with --operator-key-file (run.sh keeps it in DATA_DIR/operator-key).");
    return 2;
}
catch (Exception ex) when (ex is SeedingException or ApiProblemException or InvalidOperationException or HttpRequestException)
{
    progress.Line("demo: " + ex.Message);
    return 1;
}

/// <summary>The command line of the seeder.</summary>
internal sealed record DemoOptions(Uri Url, string? OperatorKey, int WaitSeconds, bool Plain, bool Help)
{
    public const string Usage = """
        Usage: dotnet run --project Demo -- [options]

        Builds the demo community "demo" through the front door's HTTP API: founders, 200 members in a guarantee
        hierarchy, contacts, offers and needs, deposits, deals in every state, claims and arbitration cases, and
        synergy cycles. Running it again changes nothing (it carries on where an interrupted run stopped).
        Every demo member's password is "demo-password".

        Options:
          --url URL                 The front door (default http://127.0.0.1:5080).
          --operator-key-file PATH  File holding the operator key (run.sh saves it as DATA_DIR/operator-key).
          --operator-key KEY        The operator key itself. Without either: the environment variable
                                    Operator__Key, else the file .data/operator-key.
          --wait SECONDS            How long to wait for the front door's /health to answer 200 (default 120).
          --plain                   Plain progress lines even on a terminal.
          -h, --help                This text.
        """;

    public static DemoOptions? Parse(string[] args, TextWriter errors)
    {
        var url = "http://127.0.0.1:5080";
        string? keyFile = null, key = null;
        var wait = 120;
        var plain = false;
        for (var i = 0; i < args.Length; i++)
        {
            string Value()
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"{args[i]} needs a value");
                return args[++i];
            }
            try
            {
                switch (args[i])
                {
                    case "-h" or "--help": return new DemoOptions(new Uri(url), null, wait, plain, Help: true);
                    case "--url": url = Value(); break;
                    case "--operator-key-file": keyFile = Value(); break;
                    case "--operator-key": key = Value(); break;
                    case "--wait": wait = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                    case "--plain": plain = true; break;
                    default: throw new ArgumentException($"unknown option '{args[i]}'");
                }
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
            {
                errors.WriteLine($"demo: {ex.Message} (see --help)");
                return null;
            }
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            errors.WriteLine($"demo: --url must be an http(s) address such as http://127.0.0.1:5080 (got '{url}')");
            return null;
        }
        // An explicit key, then an explicit file, then the front door's own setting, then run.sh's default file.
        if (key is null && keyFile is null)
        {
            key = Environment.GetEnvironmentVariable("Operator__Key");
            if (key is null && File.Exists(Path.Combine(".data", "operator-key"))) keyFile = Path.Combine(".data", "operator-key");
        }
        if (key is null)
        {
            if (keyFile is null)
            {
                errors.WriteLine("demo: no operator key: pass --operator-key-file PATH (run.sh saves it as DATA_DIR/operator-key) or --operator-key KEY.");
                return null;
            }
            if (!File.Exists(keyFile))
            {
                errors.WriteLine($"demo: the operator key file {keyFile} does not exist.");
                return null;
            }
            key = File.ReadAllText(keyFile).Trim();
        }
        return new DemoOptions(uri, key, Math.Max(1, wait), plain, Help: false);
    }
}

/// <summary>What the seeding left, and whom to sign in as to see it.</summary>
internal static class Summary
{
    public static async Task PrintAsync(DemoApi api, DemoPlan plan, SeedOutcome outcome, TimeSpan elapsed, TextWriter output, CancellationToken cancel)
    {
        var community = await api.GetAsync(DemoApi.Operator, $"/api/communities/{plan.CommunityId}", cancel);
        var ledger = await api.GetAsync(DemoApi.Operator, $"/api/communities/{plan.CommunityId}/ledger?refresh=true", cancel);
        var proposals = await api.GetAsync(DemoApi.Operator, $"/api/communities/{plan.CommunityId}/cycle-proposals?maxLength=4&limit=20", cancel);
        var counts = community["memberCounts"]!;
        var made = outcome.Phases.Sum(p => p.Made);
        output.WriteLine();
        output.WriteLine(made == 0 && outcome.Failures.Count == 0
            ? $"The demo community '{plan.CommunityId}' was already seeded; nothing changed ({elapsed.TotalSeconds:0} s)."
            : $"The demo community '{plan.CommunityId}' is seeded ({elapsed.TotalSeconds:0} s, {api.SignIns} members signed in, {api.Retries} transient failures retried).");
        output.WriteLine($"  members: {counts.Int("total")} ({counts.Int("founder")} founders, {counts.Int("active")} active, " +
            $"{counts.Int("suspended")} suspended, {counts.Int("candidate")} candidates)");
        output.WriteLine($"  ledger: deposited {Seeder.Money(ledger.Dec("deposited"))}, withdrawn {Seeder.Money(ledger.Dec("withdrawn"))}, " +
            $"held {Seeder.Money(ledger.Dec("sumOfHeld"))}, {(ledger.Bool("balanced") ? "balanced" : "NOT BALANCED")}");
        output.WriteLine($"  deals: {plan.Deals.Count} planned, in every state; arbitration cases: {outcome.CaseIds.Count}; synergy cycles: {outcome.CycleIds.Count}; " +
            $"the navigator proposes {proposals.AsArray().Count}{(proposals.AsArray().Count >= 20 ? "+" : "")} offer/need loops");
        if (outcome.Failures.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"{outcome.Failures.Count} step(s) failed; run the same command again to retry them:");
            foreach (var f in outcome.Failures) output.WriteLine("  " + f);
        }

        var site = api.BaseUrl.ToString().TrimEnd('/');
        output.WriteLine();
        output.WriteLine($"Sign in at {site}/signin with the password \"{plan.Password}\" as, for example:");
        foreach (var (who, what) in await PeopleAsync(api, plan, outcome, cancel))
            output.WriteLine($"  {who,-22} {what}");
        output.WriteLine($"The operator key signs in as the operator on the same page.");
    }

    private static async Task<List<(string Who, string What)>> PeopleAsync(DemoApi api, DemoPlan plan, SeedOutcome outcome, CancellationToken cancel)
    {
        var people = new List<(string, string)>();
        string Cycle(string key) => outcome.CycleIds.TryGetValue(key, out var id) ? $" /cycles/{id}" : "";
        var house = plan.Cycles.First(c => c.Goal == CycleGoal.Completed);
        people.Add((house.OrganizerId, $"founder; organized the completed cycle \"{house.Product}\"{Cycle(house.Key)}"));
        var recovered = plan.Cycles.First(c => c.FailStage is not null);
        people.Add((recovered.OrganizerId, $"founder; organizer of \"{recovered.Product}\", recovered after a failed stage{Cycle(recovered.Key)}"));
        var running = plan.Cycles.First(c => c.Goal == CycleGoal.Running && c.FailStage is null);
        people.Add((running.Stages[running.GoalStage].MemberId, $"runs stage {running.GoalStage + 1} of \"{running.Product}\": confirm its deal on /account{Cycle(running.Key)}"));
        if (outcome.CaseIds.TryGetValue("case-fresh", out var fresh))
        {
            var c = await api.GetAsync(DemoApi.Operator, $"/api/cases/{fresh}", cancel);
            if (c.Strings("panel").FirstOrDefault() is { } judge) people.Add((judge, $"judge with a vote waiting: /cases/{fresh}"));
        }
        var verdict = plan.Deals.First(d => d.Key == "case-verdict");
        if (outcome.CaseIds.TryGetValue(verdict.Key, out var decided))
            people.Add((verdict.ProviderId, $"found at fault: accept or appeal the verdict on /cases/{decided}"));
        var debtor = plan.Deals.First(d => d.Key == "claim-admitted-debt");
        people.Add((debtor.ProviderId, "owes its guarantors after an admitted claim: repay on /account#deposit"));
        var open = plan.Deals.First(d => d.Goal == DealGoal.ClaimOpen);
        people.Add((open.ProviderId, "a defect was reported on its deal: admit or dispute it on /account#deals"));
        var proposed = plan.Deals.First(d => d.Goal == DealGoal.Proposed);
        people.Add((proposed.OtherPartyId, "a deal waits for its acceptance on /account#deals"));
        var candidate = plan.Guarantees.First(g => plan.Member(g.WardId).Tier == Tier.Candidate && g.Accepted);
        people.Add((candidate.WardId, "candidate with one guarantor of two: /account#guarantees"));
        var waiting = plan.Guarantees.First(g => !g.Accepted);
        people.Add((waiting.GuarantorId, $"asked to guarantee {waiting.WardId}: /account#guarantees"));
        return people;
    }
}
