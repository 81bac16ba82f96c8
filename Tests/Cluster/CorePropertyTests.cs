using System.Diagnostics;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// The property test of the whole core (issue 8): over 10,000 random operations in three communities at once (one per
/// seed) — the ledger's, claims admitted and disputed, votes by right and wrong judges, appeals and acceptances,
/// deadlines passing, synergy cycles run stage by stage with failures and reassignments, debt repayments — each with
/// repeats, concurrent reordering and injected crashes (see <see cref="CorePropertyWorld"/>). Afterwards every
/// invariant of <see cref="CoreInvariants"/> is checked on each community at rest; every violation is printed and
/// none is allowed. <see cref="LedgerPropertyTests"/> keeps the ledger-only variant with its own seeds.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CorePropertyTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private const int OperationsPerSeed = 3_400;
    /// <summary>The seeds CI runs; PROPERTY_SEEDS (e.g. "7,8,9") runs others, to hunt for or replay a failure.</summary>
    private static readonly int[] Seeds = Environment.GetEnvironmentVariable("PROPERTY_SEEDS") is { Length: > 0 } seeds
        ? seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray()
        : [20261127, 42, 1998];

    [Fact]
    public async Task Random_claims_cases_cycles_and_repayments_with_repeats_reordering_and_crashes_keep_every_invariant()
    {
        var clock = Stopwatch.StartNew();
        var worlds = Seeds.Select(seed => new CorePropertyWorld(fixture, seed)).ToList();
        await Task.WhenAll(worlds.Select(w => w.RunAsync(OperationsPerSeed)));

        var operations = worlds.Sum(w => w.Operations);
        var violations = worlds.SelectMany(w => w.Violations).ToList();
        foreach (var line in worlds.SelectMany(w => w.Report())) output.WriteLine(line);
        output.WriteLine($"{operations} operations over {Seeds.Length} seeds in {clock.Elapsed.TotalSeconds:0} s; {violations.Count} invariant violations");
        foreach (var v in violations.Take(200)) output.WriteLine("VIOLATION " + v);

        Assert.True(operations >= 10_000, $"only {operations} operations ran");
        Assert.True(violations.Count == 0, $"{violations.Count} invariant violations, e.g.:\n{string.Join("\n", violations.Take(20))}");

        // The run must have gone through every kind of step, or it proves little.
        var finals = worlds.Select(w => w.Final!).ToList();
        int Count(string kind, string outcome = "ok") => worlds.Sum(w => w.Outcomes.Where(o => o.Key.StartsWith(kind, StringComparison.Ordinal) && o.Key.EndsWith("|" + outcome, StringComparison.Ordinal)).Sum(o => o.Value));
        var deals = finals.SelectMany(f => f.Deals.Values).ToList();
        var cases = finals.SelectMany(f => f.Cases.Values).ToList();
        var cycles = finals.SelectMany(f => f.Cycles.Values).ToList();
        var coverage = new Dictionary<string, int>
        {
            ["deals completed"] = deals.Count(d => d.State == DealState.Completed),
            ["claims admitted and paid"] = deals.Count(d => d is { State: DealState.Settled, Claim.Outcome: "admitted" }),
            ["claims decided and paid"] = deals.Count(d => d is { State: DealState.Settled, Claim.Outcome: "decided" }),
            ["debts left by settlements"] = deals.Count(d => d.Settlement is { } s && (s.Unpaid > 0 || s.Payments.Any(p => p.FromMemberId != s.PayerPartyId))),
            ["votes"] = Count("vote"),
            ["votes refused (wrong judge, twice, too late)"] = Count("vote", "not-a-judge") + Count("vote", "already-voted") + Count("vote", "voting-closed"),
            ["verdicts accepted"] = Count("verdict accepted"),
            ["appeals"] = cases.Sum(c => c.Levels.Count(l => l.Outcome == CaseLevelOutcome.Appealed)),
            ["escalations at a deadline"] = cases.Sum(c => c.Levels.Count(l => l.Note?.Contains("deadline passed", StringComparison.Ordinal) == true)),
            ["founders' councils"] = cases.Count(c => c.Levels[^1].IsCouncil),
            ["cycles completed"] = cycles.Count(y => y.State == CycleState.Completed),
            ["cycle stages failed"] = cycles.Sum(y => y.Failures.Count),
            ["cycle stages reassigned"] = cycles.Sum(y => y.Reassignments.Count),
            ["repayments"] = Count("debt repaid") + Count("debts repaid at once"),
            ["activations dropped"] = worlds.Sum(w => w.Outcomes.GetValueOrDefault("activation dropped")),
            ["operations interrupted by a fault"] = worlds.Sum(w => w.Outcomes.Where(o => o.Key.EndsWith("|operation-interrupted", StringComparison.Ordinal) || o.Key.EndsWith("|injected-fault", StringComparison.Ordinal)).Sum(o => o.Value)),
        };
        output.WriteLine("coverage: " + string.Join(", ", coverage.Select(c => $"{c.Key} {c.Value}")));
        Assert.All(coverage, c => Assert.True(c.Value > 0, $"no {c.Key} in the whole run"));
    }
}
