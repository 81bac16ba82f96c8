using Orleans.Streams;
using OrleansGuarantee.Dashboard.Services;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// The front door's cycle event feed against an in-process cluster with memory streams: a subscriber that comes
/// mid-way gets every event exactly once and in order; one whose stream subscription is lost still gets every event
/// (from the history, by its checks); disposing unsubscribes. Also the members' own lists of their cycles.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CycleEventFeedTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private IClusterClient Client => fixture.Client;

    /// <summary>A recruiting cycle of three stages; every join is one more event.</summary>
    private async Task<(TestCommunity C, string Organizer, string[] Stages, ISynergyCycleGrain Cycle)> RecruitingAsync()
    {
        var c = await TestCommunity.CreateAsync(Client, founderDeposit: 0);
        var organizer = await c.SignUpAsync("org");
        var stages = new[] { await c.SignUpAsync("s1"), await c.SignUpAsync("s2"), await c.SignUpAsync("s3") };
        var operationId = TestCommunity.Unique("op");
        var cycle = Client.GetGrain<ISynergyCycleGrain>(CycleIds.For(organizer, operationId));
        await cycle.Design(new DesignCycle(operationId, organizer, c.Id, "A boat", 900m, null,
            stages.Select((m, i) => new StageSpec($"role-{i}", m, 100m * (i + 1))).ToList()));
        return (c, organizer, stages, cycle);
    }

    private static async Task WaitUntilAsync(Func<bool> done, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (!done())
        {
            if (DateTimeOffset.UtcNow > deadline) Assert.Fail($"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }

    private sealed class Received
    {
        private readonly Lock _lock = new();
        private readonly List<(CycleEvent Event, CycleEventSource Source)> _items = [];

        public IReadOnlyList<(CycleEvent Event, CycleEventSource Source)> Items { get { lock (_lock) return _items.ToList(); } }

        public Task TakeAsync(CycleEvent e, CycleEventSource source)
        {
            lock (_lock) _items.Add((e, source));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_feed_opened_mid_way_delivers_exactly_events_1_to_N_once_and_in_order()
    {
        var (_, _, stages, cycle) = await RecruitingAsync();
        await cycle.Join(0, stages[0]);
        var seen = (await cycle.Get()).LastEventSeq;
        Assert.Equal(2, seen); // designed, joined

        var received = new Received();
        await using var feed = await CycleEventFeed.StartAsync(Client, cycle.GetPrimaryKeyString(), 0, received.TakeAsync);
        Assert.Equal(CycleFeedStatus.Live, feed.Status);
        Assert.Equal(1, feed.Subscriptions);
        // The history so far arrived before StartAsync returned.
        Assert.Equal([1L, 2L], received.Items.Select(x => x.Event.Seq));
        Assert.All(received.Items, x => Assert.Equal(CycleEventSource.History, x.Source));

        await cycle.Join(1, stages[1]);
        await cycle.Join(2, stages[2]);
        var n = (await cycle.Get()).LastEventSeq;
        await WaitUntilAsync(() => feed.LastSeq >= n, $"event {n}");
        await Task.Delay(300); // a repeat or a late extra would arrive by now

        var stored = await cycle.GetEvents(0, 1000);
        Assert.Equal(Enumerable.Range(1, (int)n).Select(i => (long)i), received.Items.Select(x => x.Event.Seq));
        Assert.Equal(stored, received.Items.Select(x => x.Event));
        // What came after the feed was open came on the stream.
        Assert.All(received.Items.Skip(2), x => Assert.Equal(CycleEventSource.Stream, x.Source));
        Assert.Equal(n, feed.LastSeq);

        // Starting after a number delivers only what follows it.
        var later = new Received();
        await using (var fromThree = await CycleEventFeed.StartAsync(Client, cycle.GetPrimaryKeyString(), 3, later.TakeAsync))
            Assert.Equal(Enumerable.Range(4, (int)n - 3).Select(i => (long)i), later.Items.Select(x => x.Event.Seq));
    }

    [Fact]
    public async Task A_feed_whose_stream_subscription_is_lost_still_gets_every_event_from_the_history_and_disposing_unsubscribes()
    {
        var (_, _, stages, cycle) = await RecruitingAsync();
        var cycleId = cycle.GetPrimaryKeyString();
        var received = new Received();
        var statuses = new List<CycleFeedStatus>();
        var feed = await CycleEventFeed.StartAsync(Client, cycleId, 0, received.TakeAsync,
            s => { lock (statuses) statuses.Add(s); return Task.CompletedTask; },
            new CycleEventFeedOptions { CheckEvery = TimeSpan.FromMilliseconds(200) });
        var stream = Client.GetStreamProvider(CycleStreams.Provider).GetStream<CycleEvent>(StreamId.Create(CycleStreams.Namespace, cycleId));
        Assert.Single(await stream.GetAllSubscriptionHandles());

        // The cluster loses the feed's subscription (as if its pub-sub record were gone): the stream brings nothing more.
        foreach (var handle in await stream.GetAllSubscriptionHandles()) await handle.UnsubscribeAsync();
        await cycle.Join(0, stages[0]);
        await cycle.Join(1, stages[1]);
        var n = (await cycle.Get()).LastEventSeq;
        await WaitUntilAsync(() => feed.LastSeq >= n, $"event {n} from the history");

        Assert.Equal(Enumerable.Range(1, (int)n).Select(i => (long)i), received.Items.Select(x => x.Event.Seq));
        Assert.Equal(await cycle.GetEvents(0, 1000), received.Items.Select(x => x.Event));
        Assert.All(received.Items, x => Assert.Equal(CycleEventSource.History, x.Source));
        Assert.Equal(CycleFeedStatus.Live, feed.Status);

        await feed.DisposeAsync();
        Assert.Equal(CycleFeedStatus.Stopped, feed.Status);
        Assert.Empty(await stream.GetAllSubscriptionHandles());
        var count = received.Items.Count;
        await cycle.Join(2, stages[2]);
        await Task.Delay(600); // three check periods: a feed still running would have read it
        Assert.Equal(count, received.Items.Count);
        lock (statuses) Assert.DoesNotContain(CycleFeedStatus.Reconnecting, statuses);
    }

    [Fact]
    public async Task A_feed_can_follow_a_cycle_before_it_is_designed()
    {
        var c = await TestCommunity.CreateAsync(Client, founderDeposit: 0);
        var organizer = await c.SignUpAsync("org");
        var a = await c.SignUpAsync("a");
        var operationId = TestCommunity.Unique("op");
        var cycleId = CycleIds.For(organizer, operationId);
        var received = new Received();
        await using var feed = await CycleEventFeed.StartAsync(Client, cycleId, 0, received.TakeAsync);
        Assert.Equal((CycleFeedStatus.Live, 0L), (feed.Status, feed.LastSeq));

        await Client.GetGrain<ISynergyCycleGrain>(cycleId).Design(new DesignCycle(operationId, organizer, c.Id, "A chair", 50m, null,
            [new StageSpec("carpenter", a, 40m)]));
        await WaitUntilAsync(() => feed.LastSeq >= 1, "the design's event");
        Assert.Equal(("designed", CycleEventSource.Stream), (received.Items[0].Event.Kind, received.Items[0].Source));
    }

    [Fact]
    public async Task The_organizer_and_every_stage_member_list_the_cycle_in_their_own_member_grain()
    {
        var (c, organizer, stages, cycle) = await RecruitingAsync();
        var id = cycle.GetPrimaryKeyString();
        foreach (var member in stages.Append(organizer))
            Assert.Equal(id, (await c.Member(member).Get()).Cycles!.Single());
        Assert.Empty((await c.Member(c.Founders[0]).Get()).Cycles!);
    }
}
