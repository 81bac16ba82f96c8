using System.Text.Json;
using OrleansGuarantee.Journal;

namespace OrleansGuarantee.Tests.Cluster;

/// <summary>
/// Rule 23 in the cluster: money movements, guarantee changes, votes, verdicts and cycle steps reach the community's
/// journal chains, each once, the chains verify, and a stored entry changed afterwards is named by verification.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JournalTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Client;

    /// <summary>The journal entries of one source, in its order.</summary>
    public static async Task<List<JournalEntry>> SourceEntriesAsync(IGrainFactory grains, string community, string source)
    {
        var chain = grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(community, JournalPartitions.PartitionOf(source)));
        var entries = await chain.Read(0, 1000);
        Assert.True((await chain.Verify()).Ok);
        return entries.Where(e => e.SourceId == source).OrderBy(e => e.SourceSeq).ToList();
    }

    private async Task<List<JournalEntry>> EntriesAsync(string community)
    {
        var all = new List<JournalEntry>();
        for (var p = 0; p < JournalPartitions.Count; p++)
        {
            var chain = Grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(community, p));
            long after = 0;
            while (true)
            {
                var page = await chain.Read(after, 1000);
                all.AddRange(page);
                if (page.Count < 1000) break;
                after = page[^1].LocalSeq;
            }
        }
        return all.OrderBy(e => e.Seq).ToList();
    }

    private async Task<JournalVerification> VerifyAsync(string community)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, JournalPartitions.Count)
            .Select(p => Grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(community, p)).Verify()));
        return results.FirstOrDefault(r => !r.Ok) ?? new JournalVerification(true, results.Sum(r => r.Entries), null, null);
    }

    private static decimal Amount(JournalEntry e) => JsonDocument.Parse(e.Data).RootElement.GetProperty("amount").GetDecimal();

    [Fact]
    public async Task Every_money_movement_and_guarantee_change_is_journalled_once_and_the_balances_follow_from_the_journal()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var (f0, f2) = (c.Founders[0], c.Founders[2]);
        var p = await c.ActiveMemberAsync("p", deposit: 100m, limit: 500m);
        var deal = await c.ProposeAsync(p, p, f2, 300m);
        await c.Deal(deal.Id).Accept(f2);
        await c.Deal(deal.Id).FileClaim(f2, TestCommunity.Unique("claim"), 300m, "nothing delivered");
        await c.Deal(deal.Id).AdmitClaim(p);
        var op = TestCommunity.Unique("dep");
        await c.Member(p).Deposit(op, 50m);
        await c.Member(p).Deposit(op, 50m); // a retried deposit: one movement, one entry

        var entries = await EntriesAsync(c.Id);
        var verification = await VerifyAsync(c.Id);
        Assert.True(verification.Ok, verification.Problem);
        Assert.Equal(entries.Count, verification.Entries);
        Assert.Equal(entries.Count, entries.Select(e => (e.SourceId, e.SourceSeq)).Distinct().Count());

        foreach (var member in c.Founders.Append(p))
        {
            var mine = entries.Where(e => e.SourceId == $"member:{member}").OrderBy(e => e.SourceSeq).ToList();
            Assert.Equal(Enumerable.Range(1, mine.Count).Select(i => (long)i), mine.Select(e => e.SourceSeq)); // none lost, none twice
            var money = mine.Where(e => e.Kind is "deposit" or "withdraw" or "transfer-in" or "transfer-out").ToList();
            var fromJournal = money.Sum(e => e.Kind is "deposit" or "transfer-in" ? Amount(e) : -Amount(e));
            var account = await c.AccountOf(member);
            Assert.Equal(account.Balance, fromJournal);
            var holds = mine.Where(e => e.Kind is "hold" or "release" or "transfer-out").ToList();
            if (holds.Count > 0)
                Assert.Equal(account.Held, JsonDocument.Parse(mine.Last(e => e.Kind is not ("guarantee-requested" or "guarantee-accepted" or "guarantee-declined" or "guarantee-withdrawn")).Data).RootElement.GetProperty("heldAfter").GetDecimal());
        }
        Assert.Single(entries, e => e.SourceId == $"member:{p}" && e.Kind == "deposit" && e.Data.Contains(op, StringComparison.Ordinal));
        Assert.Contains(entries, e => e.SourceId == $"member:{p}" && e.Kind == "guarantee-accepted" && e.Data.Contains(f0, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Voiding_a_hold_that_never_arrived_journals_nothing()
    {
        // A deal rolling back an acceptance releases every hold of the attempt, also one that was refused or has not
        // arrived yet: the member voids that hold id (so a late hold is refused). That changes no money, so the journal
        // must not get a record; it once got a copy of the member's previous entry (here: the deposit, counted twice).
        var c = await TestCommunity.CreateAsync(Grains);
        var m = await c.SignUpAsync("m");
        await c.Member(m).Deposit(TestCommunity.Unique("d"), 40m);
        await c.Member(m).Release($"{TestCommunity.Unique("deal")}:a1:0");
        await c.Member(m).Release($"{TestCommunity.Unique("deal")}:a1:1");

        var mine = await SourceEntriesAsync(Grains, c.Id, $"member:{m}");
        Assert.Equal(["deposit"], mine.Select(e => e.Kind));
        Assert.Equal((await c.AccountOf(m)).Balance, mine.Sum(Amount));

        // A new member whose first movement is a void has no entry to copy; the void must not fail either.
        var fresh = await c.SignUpAsync("fresh");
        await c.Member(fresh).Release($"{TestCommunity.Unique("deal")}:a1:0");
        Assert.Empty(await SourceEntriesAsync(Grains, c.Id, $"member:{fresh}"));
    }

    [Fact]
    public async Task A_repeated_append_adds_nothing_and_concurrent_appends_share_one_chain_in_order()
    {
        var community = TestCommunity.Unique("jc");
        var chain = Grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(community, 5));
        var at = DateTimeOffset.UtcNow;
        JournalRecord R(string source, long n) => new(source, n, "test", $"{{\"n\":{n}}}", at);

        await chain.Append("s:a", [R("s:a", 1), R("s:a", 2)]);
        await chain.Append("s:a", [R("s:a", 1), R("s:a", 2), R("s:a", 3)]); // 1 and 2 again, then 3
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => chain.Append($"s:{i}", [R($"s:{i}", 1), R($"s:{i}", 2)])));
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => chain.Append($"s:{i}", [R($"s:{i}", 2), R($"s:{i}", 3)])));

        var entries = await chain.Read(0, 1000);
        Assert.Equal(3 + 40 * 3, entries.Count);
        Assert.Equal(Enumerable.Range(1, entries.Count).Select(i => (long)i), entries.Select(e => e.LocalSeq));
        Assert.Equal(entries.Count, entries.Select(e => (e.SourceId, e.SourceSeq)).Distinct().Count());
        foreach (var source in entries.GroupBy(e => e.SourceId))
            Assert.Equal(source.Select(e => e.SourceSeq).Order(), source.Select(e => e.SourceSeq)); // each source in its order
        Assert.True((await chain.Verify()).Ok);
        Assert.Equal("invalid-limit", await TestCommunity.CodeOf(() => chain.Read(0, 0)));
    }

    [Fact]
    public async Task A_stored_entry_changed_afterwards_is_named_by_verification()
    {
        var c = await TestCommunity.CreateAsync(Grains);
        var m = await c.SignUpAsync("m");
        for (var i = 0; i < 5; i++) await c.Member(m).Deposit(TestCommunity.Unique("d"), 10m + i);
        var key = JournalPartitions.KeyOf(c.Id, JournalPartitions.PartitionOf($"member:{m}"));
        var chain = Grains.GetGrain<IJournalGrain>(key);
        Assert.True((await chain.Verify()).Ok);

        var deposits = (await chain.Read(0, 1000)).Where(e => e.SourceId == $"member:{m}").ToList();
        var target = deposits[2];
        var changed = target.Data.Replace("\"amount\":12", "\"amount\":1200", StringComparison.Ordinal);
        Assert.NotEqual(target.Data, changed);
        ClusterFixture.Journal.Overwrite(key, target with { Data = changed });

        var result = await chain.Verify();
        Assert.False(result.Ok);
        Assert.Equal(target.Seq, result.FirstBadSeq);
        Assert.Contains("changed", result.Problem, StringComparison.Ordinal);
    }
}
