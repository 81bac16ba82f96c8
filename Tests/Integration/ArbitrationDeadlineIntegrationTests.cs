using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// Arbitration deadlines are durable (issue 4): the real silo process on real Azure Table storage
/// (Azurite), with the case's "case-deadlines" reminder in the Azure reminder table and a short minimum
/// reminder period. A case's verdict deadline falls while the silo is stopped; after the restart the
/// reminder alone (the test only reads the case) escalates it to the next level exactly once, and the
/// deal's money is untouched.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ArbitrationDeadlineIntegrationTests(ITestOutputHelper output)
{
    /// <summary>The silo's minimum reminder period, and so the case reminder's period.</summary>
    private const int ReminderPeriodSeconds = 2;
    private const int VerdictWindowSeconds = 8;
    /// <summary>Never reached here: no verdict is given.</summary>
    private const int AppealWindowSeconds = 3600;
    private static readonly TimeSpan EscalationWait = TimeSpan.FromSeconds(60);

    private const string CommunityId = "millbrook";
    private static readonly string[] Founders = ["f-ada", "f-ben", "f-cleo"];
    /// <summary>Members guaranteed by the founders; they guarantee the parties, so they are the level-1 panel.</summary>
    private static readonly string[] Guarantors = ["g-gina", "g-hugo"];
    private const string Provider = "m-dora";
    private const string Consumer = "m-emil";
    private static readonly (string Ward, string Guarantor)[] Guarantees =
    [
        ("g-gina", "f-ada"), ("g-gina", "f-ben"), ("g-hugo", "f-ben"), ("g-hugo", "f-cleo"),
        (Provider, "g-gina"), (Provider, "g-hugo"), (Consumer, "g-gina"), (Consumer, "g-hugo"),
    ];
    private const decimal GuaranteeLimit = 60m;
    private static readonly Dictionary<string, decimal> Deposits = new()
    {
        ["f-ada"] = 100m, ["f-ben"] = 100m, ["f-cleo"] = 100m, ["g-gina"] = 100m, ["g-hugo"] = 100m,
        [Provider] = 50m, [Consumer] = 30m,
    };
    private const decimal DealValue = 80m;
    private const decimal Damage = 40m;
    private static readonly string DealId = DealIds.For(Provider, "deal-1");
    private static readonly string CaseId = CaseIds.For(DealId);

    private static IEnumerable<string> AllMembers => Founders.Concat(Guarantors).Append(Provider).Append(Consumer);

    [Fact]
    public async Task Verdict_deadline_passing_while_the_silo_is_down_escalates_exactly_once_after_restart()
    {
        var clock = Stopwatch.StartNew();
        void Log(string message) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] {message}");
        var siloArguments = new[] { "--Orleans:MinimumReminderPeriodSeconds", ReminderPeriodSeconds.ToString(CultureInfo.InvariantCulture) };

        await using var azurite = await AzuriteFixture.StartAsync();
        var settings = SiloSettings.NewCluster(azurite.ConnectionString);
        var siloLogs = new List<string>();
        SiloProcess? silo = null;
        ClusterClientConnection? connection = null;
        async Task<IClusterClient> StartSiloAsync()
        {
            var log = Path.Combine(azurite.WorkDirectory, $"silo-{siloLogs.Count + 1}.log");
            siloLogs.Add(log);
            silo = await SiloProcess.StartAsync(settings, log, siloArguments);
            connection = await ClusterClientConnection.ConnectAsync(settings);
            Log($"silo {siloLogs.Count} started (pid {silo.ProcessId}) and client connected");
            return connection.Client;
        }

        try
        {
            Log($"Azurite on port {azurite.Port}; cluster {settings.ClusterId}");
            var grains = await StartSiloAsync();
            await SetUpDisputableDealAsync(grains);
            var moneyBefore = await MoneySnapshotAsync(grains);

            var claimed = await grains.GetGrain<IDealGrain>(DealId).FileClaim(Consumer, "claim-1", Damage, "Half the loaves were stale");
            Assert.Equal(DealState.Claimed, claimed.State);
            var opened = await grains.GetGrain<IArbitrationCaseGrain>(CaseId).Open(DealId, Provider);
            Assert.Equal(CaseState.Voting, opened.State);
            var level1 = Assert.Single(opened.Levels);
            Assert.Equal(Guarantors, level1.Panel);
            Assert.False(level1.IsCouncil);
            Assert.Equal(CaseLevelOutcome.Voting, level1.Outcome);
            var deadline = level1.VerdictDeadline;
            Log($"case opened; level-1 panel {string.Join(", ", level1.Panel)}, verdict deadline in {(deadline - DateTimeOffset.UtcNow).TotalSeconds:0.0}s");
            Assert.Equal(DealState.Disputed, (await grains.GetGrain<IDealGrain>(DealId).Get()).State);
            Assert.Equal(moneyBefore, await MoneySnapshotAsync(grains));

            // Stop the silo gracefully well before the deadline; its reminder stays in the reminder table.
            await connection!.DisposeAsync();
            connection = null;
            await silo!.StopAsync();
            await silo.DisposeAsync();
            silo = null;
            var stoppedAt = DateTimeOffset.UtcNow;
            Log($"silo stopped gracefully, {(deadline - stoppedAt).TotalSeconds:0.0}s before the verdict deadline");
            Assert.True(stoppedAt < deadline,
                $"The silo took too long to stop: it stopped at {stoppedAt:O}, after the verdict deadline {deadline:O}; the test proves nothing.");

            // The deadline falls while no silo runs.
            var wait = deadline - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var restartedAt = DateTimeOffset.UtcNow;
            Assert.True(restartedAt > deadline);
            grains = await StartSiloAsync();
            var @case = grains.GetGrain<IArbitrationCaseGrain>(CaseId);

            // Only the reminder may act: Get() reads the case and never acts on its deadlines.
            var watch = Stopwatch.StartNew();
            var view = await @case.Get();
            while (view.Levels.Count < 2)
            {
                Assert.True(watch.Elapsed < EscalationWait,
                    $"The case did not escalate within {EscalationWait.TotalSeconds:0}s of the restart " +
                    $"(state {view.State}, {view.Levels.Count} level(s), level-1 note: {view.Levels[0].Note}).\n{SiloLogs(siloLogs)}");
                await Task.Delay(200);
                view = await @case.Get();
            }
            Log($"escalated {watch.Elapsed.TotalSeconds:0.0}s after the restart");
            var level2Deadline = AssertEscalatedOnceAfterRestart(view, level1, restartedAt);

            // It stays escalated once: a few more reminder ticks do not escalate it again. (Stop looking
            // before the council's own verdict deadline, which the reminder would then rightly act on.)
            var lookUntil = DateTimeOffset.UtcNow.AddSeconds(3 * ReminderPeriodSeconds + 1);
            if (lookUntil > level2Deadline.AddSeconds(-1)) lookUntil = level2Deadline.AddSeconds(-1);
            var polls = 0;
            while (DateTimeOffset.UtcNow < lookUntil)
            {
                await Task.Delay(250);
                var again = await @case.Get();
                AssertEscalatedOnceAfterRestart(again, level1, restartedAt);
                Assert.Equal(JsonSerializer.Serialize(view), JsonSerializer.Serialize(again));
                polls++;
            }
            Assert.True(DateTimeOffset.UtcNow < level2Deadline, "The observation ran into the council's verdict deadline.");
            Log($"still exactly 2 levels after {polls} more reads over {3 * ReminderPeriodSeconds + 1}s");
            AssertEscalatedOnceAfterRestart(await @case.Get(), level1, restartedAt);

            // The money is untouched: the deal is still disputed and every hold of its cover is in place.
            var deal = await grains.GetGrain<IDealGrain>(DealId).Get();
            Assert.Equal(DealState.Disputed, deal.State);
            Assert.Equal(CaseId, deal.CaseId);
            Assert.Equal("disputed", deal.Claim!.Outcome);
            Assert.Null(deal.Settlement);
            Assert.Equal(moneyBefore, await MoneySnapshotAsync(grains));
            Assert.Equal(2 * DealValue, deal.Cover.Sum(h => h.Amount));

            var siloLog = File.ReadAllText(siloLogs[^1]);
            Assert.DoesNotContain("acting on its deadlines failed", siloLog);
            Log("money untouched; done");
        }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
            if (silo is not null)
            {
                try { await silo.StopAsync(); }
                finally { await silo.DisposeAsync(); }
            }
            output.WriteLine(SiloLogs(siloLogs, problemsOnly: true));
        }
    }

    /// <summary>Exactly two levels: level 1 escalated at its (passed) deadline with no votes, level 2 voting, convened after the restart.</summary>
    private static DateTimeOffset AssertEscalatedOnceAfterRestart(CaseView view, CaseLevelView openedLevel1, DateTimeOffset restartedAt)
    {
        Assert.True(view.Levels.Count == 2 && view.State == CaseState.Voting,
            $"Expected exactly 2 levels, the second voting; the case is {view.State} with {view.Levels.Count} level(s): " +
            string.Join(" | ", view.Levels.Select(l => $"level {l.Level} {l.Outcome}: {l.Note}")));
        Assert.Equal(2, view.CurrentLevel);
        Assert.Null(view.FinalVerdict);
        Assert.Null(view.Settlement);

        var level1 = view.Levels[0];
        Assert.Equal(1, level1.Level);
        Assert.Equal(openedLevel1.Panel, level1.Panel);
        Assert.Equal(openedLevel1.VerdictDeadline, level1.VerdictDeadline);
        Assert.Equal(CaseLevelOutcome.Escalated, level1.Outcome);
        Assert.Equal("The verdict deadline passed with 0 of 2 votes and no judge voted.", level1.Note);
        Assert.Empty(level1.Votes);
        Assert.Null(level1.Verdict);

        // The guarantors of the level-1 judges are all founders: the founders' council sits.
        var level2 = view.Levels[1];
        Assert.Equal(2, level2.Level);
        Assert.True(level2.IsCouncil);
        Assert.Equal(Founders, level2.Panel);
        Assert.Equal(CaseLevelOutcome.Voting, level2.Outcome);
        Assert.Empty(level2.Votes);
        Assert.StartsWith("The verdict deadline passed with 0 of 2 votes", level2.Note);
        // Convened after the restart (its window starts when it sits), so by the reminder of the new silo.
        Assert.True(level2.VerdictDeadline.AddSeconds(-VerdictWindowSeconds) >= restartedAt,
            $"Level 2 sat at {level2.VerdictDeadline.AddSeconds(-VerdictWindowSeconds):O}, before the restart at {restartedAt:O}.");
        return level2.VerdictDeadline;
    }

    /// <summary>
    /// Founders; two members guaranteed by them; two parties guaranteed by those members; deposits; a deal
    /// accepted with both parties' cover held (own deposit first, the rest by the guarantors).
    /// </summary>
    private async Task SetUpDisputableDealAsync(IGrainFactory grains)
    {
        var watch = Stopwatch.StartNew();
        var community = await grains.GetGrain<ICommunityGrain>(CommunityId).Create(new CreateCommunity(
            "Millbrook", Founders.Select(f => new FounderSpec(f, NameOf(f))).ToList(),
            new CommunitySettings { VerdictWindowSeconds = VerdictWindowSeconds, AppealWindowSeconds = AppealWindowSeconds }));
        Assert.Equal(VerdictWindowSeconds, community.Settings.VerdictWindowSeconds);

        foreach (var id in Guarantors.Append(Provider).Append(Consumer))
            await grains.GetGrain<IMemberGrain>(id).SignUp(CommunityId, new MemberProfile(NameOf(id), ["bread"], ["tools"]), null);
        foreach (var (ward, guarantor) in Guarantees)
        {
            var guarantee = grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(ward, guarantor));
            await guarantee.Request($"ask-{guarantor}", ward, guarantor);
            Assert.Equal(GuaranteeState.Accepted, (await guarantee.Accept($"vouch-{ward}", guarantor, ward, GuaranteeLimit)).State);
        }
        foreach (var id in Guarantors.Append(Provider).Append(Consumer))
            Assert.Equal(MemberStatus.Active, (await grains.GetGrain<IMemberGrain>(id).Get()).Status);
        foreach (var (id, amount) in Deposits)
            await grains.GetGrain<IMemberGrain>(id).Deposit($"deposit-{id}", amount);

        var deal = grains.GetGrain<IDealGrain>(DealId);
        Assert.Equal(DealState.Proposed, (await deal.Propose(new ProposeDeal(
            "deal-1", Provider, Provider, Consumer, DealValue, "Eighty loaves of bread", DateTimeOffset.UtcNow.AddDays(7)))).State);
        var accepted = await deal.Accept(Consumer);
        Assert.Equal(DealState.Accepted, accepted.State);
        foreach (var party in new[] { Provider, Consumer })
            Assert.Equal(DealValue, accepted.Cover.Where(h => h.ForParty == party).Sum(h => h.Amount));
        Assert.Contains(accepted.Cover, h => h.ViaWardId is not null);
        output.WriteLine($"community, members, guarantees, deposits and accepted deal set up in {watch.Elapsed.TotalSeconds:0.0}s");
    }

    /// <summary>Every member's account, holds and debts, and the deal's cover, as JSON.</summary>
    private static async Task<string> MoneySnapshotAsync(IGrainFactory grains)
    {
        var members = new List<object>();
        foreach (var id in AllMembers)
        {
            var m = await grains.GetGrain<IMemberGrain>(id).Get();
            members.Add(new { m.Id, m.Deposit, m.Holds, m.Debts });
        }
        var deal = await grains.GetGrain<IDealGrain>(DealId).Get();
        return JsonSerializer.Serialize(new { members, deal.Cover });
    }

    /// <summary>The silo logs (deleted with Azurite's folder), or only their warnings and errors.</summary>
    private static string SiloLogs(IEnumerable<string> logs, bool problemsOnly = false)
    {
        var text = new System.Text.StringBuilder();
        foreach (var log in logs.Where(File.Exists))
        {
            var lines = File.ReadAllLines(log);
            text.AppendLine($"---- {Path.GetFileName(log)} ----");
            for (var i = 0; i < lines.Length; i++)
            {
                var problem = lines[i].StartsWith("warn:", StringComparison.Ordinal) || lines[i].StartsWith("fail:", StringComparison.Ordinal)
                    || lines[i].StartsWith("crit:", StringComparison.Ordinal);
                if (!problemsOnly) text.AppendLine(lines[i]);
                else if (problem) text.AppendLine($"{lines[i]} {(i + 1 < lines.Length ? lines[i + 1].Trim() : "")}");
            }
        }
        return text.ToString();
    }

    private static string NameOf(string id) => char.ToUpperInvariant(id[2]) + id[3..];
}
