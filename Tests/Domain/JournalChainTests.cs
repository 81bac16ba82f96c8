using OrleansGuarantee.Journal;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>Rule 23's hash chain as plain functions: any change, removal, insertion or cut is found at its entry.</summary>
public sealed class JournalChainTests
{
    private const int Partition = 3;
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    private static List<JournalEntry> Chain(int count) =>
        JournalChain.Link(Partition, 0, JournalChain.Genesis, Enumerable.Range(1, count)
            .Select(i => new JournalRecord($"member:m{i % 4}", i, i % 2 == 0 ? "deposit" : "hold", $"{{\"amount\":{i}.00}}", T0.AddSeconds(i))));

    private static JournalVerification Verify(IReadOnlyList<JournalEntry> entries, JournalHead head)
    {
        var verifier = new JournalChain.Verifier(Partition);
        foreach (var e in entries)
            if (!verifier.Next(e)) break;
        verifier.End(head.LocalSeq, head.Hash);
        return new JournalVerification(verifier.Ok, verifier.Checked, verifier.FirstBadSeq, verifier.Problem);
    }

    private static JournalHead HeadOf(List<JournalEntry> entries) => new(entries[^1].LocalSeq, entries[^1].Hash);

    [Fact]
    public void A_linked_chain_verifies_and_numbers_its_entries_community_wide()
    {
        var entries = Chain(10);
        Assert.True(Verify(entries, HeadOf(entries)).Ok);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i * JournalPartitions.Count + Partition), entries.Select(e => e.Seq));
        Assert.Equal(JournalChain.Genesis, entries[0].PreviousHash);
        Assert.All(entries.Skip(1).Zip(entries), p => Assert.Equal(p.Second.Hash, p.First.PreviousHash));

        // Appending to the end goes on from the head.
        var more = JournalChain.Link(Partition, 10, entries[^1].Hash, [new JournalRecord("case:c", 1, "vote", "{}", T0)]);
        var all = entries.Concat(more).ToList();
        Assert.True(Verify(all, HeadOf(all)).Ok);
    }

    public static TheoryData<string> Fields => ["kind", "data", "at", "source", "sourceSeq", "hash", "previousHash"];

    [Theory]
    [MemberData(nameof(Fields))]
    public void Changing_any_stored_field_of_an_entry_is_found_at_that_entry(string field)
    {
        var entries = Chain(12);
        var head = HeadOf(entries);
        var e = entries[6];
        entries[6] = field switch
        {
            "kind" => e with { Kind = "withdrawal" },
            "data" => e with { Data = "{\"amount\":7000.00}" },
            "at" => e with { At = e.At.AddMilliseconds(1) },
            "source" => e with { SourceId = "member:someone-else" },
            "sourceSeq" => e with { SourceSeq = 99 },
            "hash" => e with { Hash = new string('a', 64) },
            _ => e with { PreviousHash = new string('b', 64) },
        };
        var result = Verify(entries, head);
        Assert.False(result.Ok);
        Assert.Equal(e.Seq, result.FirstBadSeq);
    }

    [Fact]
    public void A_changed_entry_rehashed_by_the_forger_breaks_the_link_of_the_next_one()
    {
        var entries = Chain(8);
        var head = HeadOf(entries);
        var forged = entries[3] with { Data = "{\"amount\":1.00}" };
        entries[3] = forged with { Hash = JournalChain.HashOf(forged) };
        Assert.Equal(entries[4].Seq, Verify(entries, head).FirstBadSeq);
    }

    [Fact]
    public void Removed_inserted_and_cut_off_entries_are_found()
    {
        var entries = Chain(8);
        var head = HeadOf(entries);

        var removed = entries.Where((_, i) => i != 2).ToList();
        Assert.Equal(entries[2].Seq, Verify(removed, head).FirstBadSeq);

        var swapped = entries.ToList();
        (swapped[4], swapped[5]) = (swapped[5], swapped[4]);
        Assert.Equal(entries[4].Seq, Verify(swapped, head).FirstBadSeq);

        var cut = entries.Take(6).ToList();
        var result = Verify(cut, head);
        Assert.False(result.Ok);
        Assert.Equal(entries[6].Seq, result.FirstBadSeq);

        var headChanged = Verify(entries, head with { Hash = new string('c', 64) });
        Assert.Equal(entries[^1].Seq, headChanged.FirstBadSeq);
    }

    [Fact]
    public void Community_numbers_split_back_into_chain_and_local_number()
    {
        for (var p = 0; p < JournalPartitions.Count; p++)
        for (long n = 1; n < 50; n++)
        {
            var seq = JournalPartitions.GlobalSeq(p, n);
            Assert.Equal((p, n), JournalPartitions.Split(seq));
            Assert.Equal(n, JournalPartitions.LocalAtOrBelow(p, seq));
            Assert.Equal(n - 1, JournalPartitions.LocalAtOrBelow(p, seq - 1));
        }
    }
}
