using System.Diagnostics;
using System.Globalization;
using OrleansGuarantee.Dashboard.Services;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// Cycle events on the durable stream (issue 5): the real silo process publishing a synergy cycle's events
/// on Azure Storage queue streams (Azurite's queue service), its subscriptions in table storage. Subscriber
/// A subscribes before the cycle exists, subscriber B mid-way (history, then the stream); their client goes
/// away while the cycle moves on, the silo is stopped gracefully and started again, and both resume on a new
/// client from the last event they have (<see cref="CycleEventCollector"/>, the front door's feed). Both end with exactly events
/// 1..N of the cycle, each once and in order, and the events after the restart arrive on the stream.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CycleStreamIntegrationTests(ITestOutputHelper output)
{
    private const int ReminderPeriodSeconds = 2;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private const string CommunityId = "harbour";
    private const string Organizer = "f-olga";
    /// <summary>The stage members, in order; each stage's deal goes to the next stage's member (the last to the organizer).</summary>
    private static readonly string[] StageMembers = ["f-sam", "f-mia", "f-carl"];
    private static readonly decimal[] MarketPrices = [100m, 200m, 300m];
    private const decimal FounderDeposit = 1_000m;
    private const string OperationId = "house-1";
    private static readonly string CycleId = CycleIds.For(Organizer, OperationId);

    [Fact]
    public async Task Subscribers_from_the_start_and_mid_way_get_every_event_once_and_in_order_across_a_silo_restart()
    {
        var clock = Stopwatch.StartNew();
        void Log(string message) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] {message}");
        var siloArguments = new[] { "--Orleans:MinimumReminderPeriodSeconds", ReminderPeriodSeconds.ToString(CultureInfo.InvariantCulture) };

        await using var azurite = await AzuriteFixture.StartAsync();
        var settings = SiloSettings.NewCluster(azurite.ConnectionString);
        var siloLogs = new List<string>();
        SiloProcess? silo = null;
        ClusterClientConnection? driver = null;      // the members acting on the cycle
        ClusterClientConnection? subscribers = null; // the client of subscribers A and B (with the stream provider)
        async Task StartSiloAsync()
        {
            var log = Path.Combine(azurite.WorkDirectory, $"silo-{siloLogs.Count + 1}.log");
            siloLogs.Add(log);
            silo = await SiloProcess.StartAsync(settings, log, siloArguments);
            driver = await ClusterClientConnection.ConnectAsync(settings);
            Log($"silo {siloLogs.Count} started (pid {silo.ProcessId}), driver client connected");
        }

        try
        {
            Log($"Azurite tables {azurite.Port}, queues {azurite.QueuePort}; cluster {settings.ClusterId}; cycle {CycleId}");
            await StartSiloAsync();
            subscribers = await ClusterClientConnection.ConnectAsync(settings, withCycleStreams: true);
            await SetUpCommunityAsync(driver!.Client);

            // A subscribes before the cycle exists: everything must come on the stream.
            var a = await CycleEventCollector.SubscribeAsync(subscribers.Client, CycleId, "A");
            Assert.Equal(0, a.LastSeq);
            var cycle = driver!.Client.GetGrain<ISynergyCycleGrain>(CycleId);
            var view = await cycle.Design(new DesignCycle(OperationId, Organizer, CommunityId, "house", 800m, null,
                StageMembers.Select((m, i) => new StageSpec($"role-{i + 1}", m, MarketPrices[i])).ToList()));
            Assert.Equal(CycleState.Recruiting, view.State);
            for (var i = 0; i < StageMembers.Length; i++) await cycle.Join(i, StageMembers[i]);
            view = await cycle.Start(Organizer);
            Assert.Equal(CycleState.Running, view.State);
            Assert.Equal(DealState.Accepted, view.Stages[0].DealState);
            await a.WaitForAsync(view.LastEventSeq, Wait);
            Log($"designed, joined, started: {view.LastEventSeq} events; A has {a.Describe()}");

            // Stage 1's deal is confirmed by both parties; the cycle moves on to stage 2 (deal covered).
            view = await CompleteStageAsync(driver.Client, cycle, 0);
            var b = await CycleEventCollector.SubscribeAsync(subscribers.Client, CycleId, "B");
            Log($"stage 1 done, {view.LastEventSeq} events; B subscribed mid-way with {b.LastSeq} from history");
            Assert.True(b.LastSeq >= view.LastEventSeq, $"B's catch-up from the history has {b.LastSeq} of {view.LastEventSeq} events.");
            await a.WaitForAsync(view.LastEventSeq, Wait);
            Assert.All(a.Sources, s => Assert.Equal(CycleEventSource.Stream, s));
            Assert.All(b.Sources, s => Assert.Equal(CycleEventSource.History, s));

            // The subscribers' client goes away (no unsubscribe: it is just gone) while stage 2 completes,
            // so they miss events; then the silo stops gracefully and starts again.
            await subscribers.DisposeAsync();
            subscribers = null;
            var seenBeforeRestart = (A: a.LastSeq, B: b.LastSeq);
            view = await CompleteStageAsync(driver.Client, cycle, 1);
            var eventsBeforeRestart = view.LastEventSeq;
            Log($"subscribers' client gone at A={seenBeforeRestart.A}, B={seenBeforeRestart.B}; stage 2 done, {eventsBeforeRestart} events");
            Assert.True(eventsBeforeRestart > seenBeforeRestart.A && eventsBeforeRestart > seenBeforeRestart.B);

            await driver.DisposeAsync();
            driver = null;
            await silo!.StopAsync();
            await silo.DisposeAsync();
            silo = null;
            Log("silo stopped gracefully");
            await StartSiloAsync();
            cycle = driver!.Client.GetGrain<ISynergyCycleGrain>(CycleId);

            // Both resume on a new client from the last number they have.
            subscribers = await ClusterClientConnection.ConnectAsync(settings, withCycleStreams: true);
            await a.ResumeAsync(subscribers.Client);
            await b.ResumeAsync(subscribers.Client);
            Log($"A and B resumed: A has {a.LastSeq}, B has {b.LastSeq} of {eventsBeforeRestart}");
            Assert.True(a.LastSeq >= eventsBeforeRestart && b.LastSeq >= eventsBeforeRestart);

            // The last stage completes, and with it the cycle; its events come on the stream of the new silo.
            view = await CompleteStageAsync(driver.Client, cycle, 2);
            Assert.Equal(CycleState.Completed, view.State);
            var total = view.LastEventSeq;
            await a.WaitForAsync(total, Wait);
            await b.WaitForAsync(total, Wait);
            // A repeat or a stray event arriving late would show here.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Log($"cycle completed with {total} events");
            Log($"A: {a.Describe()}; repeats dropped: {a.RepeatsDropped}");
            Log($"B: {b.Describe()}; repeats dropped: {b.RepeatsDropped}");

            var stored = await cycle.GetEvents(0, 1000);
            Assert.Equal(Enumerable.Range(1, (int)total).Select(n => (long)n), stored.Select(e => e.Seq));
            Assert.Equal("designed", stored[0].Kind);
            Assert.Equal("completed", stored[^1].Kind);
            foreach (var subscriber in new[] { a, b })
            {
                Assert.Equal(stored, subscriber.Events);
                Assert.Equal(total, subscriber.LastSeq);
                Assert.Equal(2, subscriber.Subscriptions);
                // After the restart the stream of the new silo delivered the new events (not only the history).
                var afterRestart = subscriber.Sources.Skip((int)eventsBeforeRestart).ToList();
                Assert.NotEmpty(afterRestart);
                Assert.All(afterRestart, s => Assert.Equal(CycleEventSource.Stream, s));
                // Events missed while the client was gone came from the history on resume.
                var seen = (int)(subscriber == a ? seenBeforeRestart.A : seenBeforeRestart.B);
                Assert.All(subscriber.Sources.Take((int)eventsBeforeRestart).Skip(seen), s => Assert.Equal(CycleEventSource.History, s));
            }

            foreach (var log in siloLogs)
                Assert.DoesNotContain("publishing events after", File.ReadAllText(log));
            Log("done");
        }
        finally
        {
            if (subscribers is not null) await subscribers.DisposeAsync();
            if (driver is not null) await driver.DisposeAsync();
            if (silo is not null)
            {
                try { await silo.StopAsync(); }
                finally { await silo.DisposeAsync(); }
            }
            output.WriteLine(SiloLogs(siloLogs));
        }
    }

    /// <summary>Both parties confirm stage <paramref name="index"/>'s deal; waits until the cycle moved on (next stage covered, or completed).</summary>
    private async Task<CycleView> CompleteStageAsync(IGrainFactory grains, ISynergyCycleGrain cycle, int index)
    {
        var view = await cycle.Get();
        Assert.Equal(CycleState.Running, view.State);
        Assert.Equal(index, view.CurrentStage);
        var stage = view.Stages[index];
        Assert.Equal(DealState.Accepted, stage.DealState);
        var consumer = index + 1 < StageMembers.Length ? StageMembers[index + 1] : Organizer;
        var deal = grains.GetGrain<IDealGrain>(stage.DealId!);
        await deal.Confirm(stage.MemberId);
        Assert.Equal(DealState.Completed, (await deal.Confirm(consumer)).State);

        var watch = Stopwatch.StartNew();
        while (true)
        {
            view = await cycle.Get();
            var movedOn = view.State == CycleState.Completed
                || (view.CurrentStage == index + 1 && view.Stages[index + 1].DealState == DealState.Accepted);
            if (movedOn) return view;
            Assert.True(watch.Elapsed < Wait,
                $"Cycle {CycleId} did not move on from stage {index + 1} within {Wait.TotalSeconds:0}s: {view.State}, stage {view.CurrentStage + 1}, " +
                string.Join("; ", view.Stages.Select(s => $"{s.Index + 1} {s.Status} {s.DealState} {s.Blocked}")));
            await Task.Delay(100);
        }
    }

    /// <summary>A community whose founders are the organizer and the stage members, each with a deposit covering its deals.</summary>
    private async Task SetUpCommunityAsync(IGrainFactory grains)
    {
        var founders = StageMembers.Prepend(Organizer).ToList();
        await grains.GetGrain<ICommunityGrain>(CommunityId).Create(new CreateCommunity(
            "Harbour", founders.Select(f => new FounderSpec(f, f[2..])).ToList(), new CommunitySettings()));
        foreach (var f in founders)
        {
            Assert.Equal(MemberStatus.Founder, (await grains.GetGrain<IMemberGrain>(f).Get()).Status); // founders are active members
            await grains.GetGrain<IMemberGrain>(f).Deposit($"deposit-{f}", FounderDeposit);
        }
        output.WriteLine($"community {CommunityId}: organizer {Organizer}, stages {string.Join(", ", StageMembers)}");
    }

    /// <summary>The silo logs' warnings and errors (the logs are deleted with Azurite's folder).</summary>
    private static string SiloLogs(IEnumerable<string> logs)
    {
        var text = new System.Text.StringBuilder();
        foreach (var log in logs.Where(File.Exists))
        {
            var lines = File.ReadAllLines(log);
            text.AppendLine($"---- {Path.GetFileName(log)} ----");
            for (var i = 0; i < lines.Length; i++)
                if (lines[i].StartsWith("warn:", StringComparison.Ordinal) || lines[i].StartsWith("fail:", StringComparison.Ordinal)
                    || lines[i].StartsWith("crit:", StringComparison.Ordinal))
                    text.AppendLine($"{lines[i]} {(i + 1 < lines.Length ? lines[i + 1].Trim() : "")}");
        }
        return text.ToString();
    }
}
