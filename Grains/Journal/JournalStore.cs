using System.Collections.Concurrent;
using System.Text;

namespace OrleansGuarantee.Journal;

/// <summary>The stored end of a chain: its last entry's number and hash.</summary>
public sealed record JournalHead(long LocalSeq, string Hash)
{
    public static JournalHead Empty { get; } = new(0, JournalChain.Genesis);
}

/// <summary>
/// Where journal chains are stored. <see cref="AppendAsync"/> stores entries, the new head and the sources' new
/// cursors atomically (all or nothing), so after any crash the head, the cursors and the entries agree.
/// </summary>
public interface IJournalStore
{
    /// <summary>Most entries (plus the head and one cursor per source) one atomic append can take.</summary>
    int MaxEntriesPerAppend { get; }

    Task<JournalHead> ReadHeadAsync(string chain);

    /// <summary>The highest source number appended for <paramref name="sourceId"/> (0 when none).</summary>
    Task<long> ReadCursorAsync(string chain, string sourceId);

    /// <summary>Stores the entries, the new head and the cursors, all or nothing; fails if the stored head is not
    /// <paramref name="expectedHead"/> (another writer, or an earlier write that did land).</summary>
    Task AppendAsync(string chain, JournalHead expectedHead, IReadOnlyList<JournalEntry> entries, JournalHead newHead,
        IReadOnlyDictionary<string, long> cursors);

    /// <summary>Entries with a local number above <paramref name="afterLocalSeq"/>, in order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<JournalEntry>> ReadAsync(string chain, long afterLocalSeq, int limit);
}

/// <summary>The journal kept in the silo's memory (tests and the memory-storage benchmark); shared by every grain of
/// the process, and lost with it, like memory grain storage.
/// <para>An entry as <see cref="JournalChain.Link"/> makes it is kept compact: its numbers follow from its place in the
/// chain, its previous hash is the hash of the entry before it, its hash is kept as 32 bytes and its data as UTF-8,
/// and reads give back exactly the entry that was appended. Any other entry (one that does not follow from its
/// place, or was overwritten) is kept as it is.</para></summary>
public sealed class MemoryJournalStore : IJournalStore
{
    private sealed class Chain
    {
        public JournalHead Head = JournalHead.Empty;
        /// <summary>Each a <see cref="Compact"/> or, when it cannot be one, the <see cref="JournalEntry"/> itself.</summary>
        public readonly List<object> Entries = [];
        public readonly Dictionary<string, long> Cursors = new(StringComparer.Ordinal);
    }

    /// <summary>An entry that follows from its place: number (its index), previous hash (the entry before it) left out.</summary>
    private sealed class Compact(int partition, string sourceId, long sourceSeq, string kind, byte[] data, DateTimeOffset at, byte[] hash)
    {
        public readonly int Partition = partition;
        public readonly string SourceId = sourceId;
        public readonly long SourceSeq = sourceSeq;
        public readonly string Kind = kind;
        public readonly byte[] Data = data;
        public readonly DateTimeOffset At = at;
        public readonly byte[] Hash = hash;
    }

    private readonly ConcurrentDictionary<string, Chain> _chains = new(StringComparer.Ordinal);

    public int MaxEntriesPerAppend => 1000;

    private Chain Of(string chain) => _chains.GetOrAdd(chain, _ => new Chain());

    public Task<JournalHead> ReadHeadAsync(string chain)
    {
        var c = Of(chain);
        lock (c) return Task.FromResult(c.Head);
    }

    public Task<long> ReadCursorAsync(string chain, string sourceId)
    {
        var c = Of(chain);
        lock (c) return Task.FromResult(c.Cursors.GetValueOrDefault(sourceId));
    }

    public Task AppendAsync(string chain, JournalHead expectedHead, IReadOnlyList<JournalEntry> entries, JournalHead newHead,
        IReadOnlyDictionary<string, long> cursors)
    {
        var c = Of(chain);
        lock (c)
        {
            if (c.Head != expectedHead)
                throw new InvalidOperationException($"Journal chain {chain} moved on: stored head {c.Head.LocalSeq}, expected {expectedHead.LocalSeq}.");
            foreach (var entry in entries) c.Entries.Add(Pack(c.Entries, entry));
            c.Head = newHead;
            foreach (var (source, seq) in cursors) c.Cursors[source] = seq;
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JournalEntry>> ReadAsync(string chain, long afterLocalSeq, int limit)
    {
        var c = Of(chain);
        lock (c)
        {
            var start = (int)Math.Clamp(afterLocalSeq, 0, c.Entries.Count);
            var end = (int)Math.Min(c.Entries.Count, start + (long)Math.Max(0, limit));
            var result = new List<JournalEntry>(end - start);
            for (var i = start; i < end; i++) result.Add(Unpack(c.Entries, i));
            return Task.FromResult<IReadOnlyList<JournalEntry>>(result);
        }
    }

    /// <summary>Replaces one stored entry as it is, without re-hashing (the tampering tests).</summary>
    public void Overwrite(string chain, JournalEntry entry)
    {
        var c = Of(chain);
        lock (c)
        {
            var index = (int)entry.LocalSeq - 1;
            // The entry after it takes its previous hash from this one: keep that one as it was stored.
            if (index + 1 < c.Entries.Count && c.Entries[index + 1] is Compact) c.Entries[index + 1] = Unpack(c.Entries, index + 1);
            c.Entries[index] = entry;
        }
    }

    /// <summary>The compact form of an entry appended at the end of <paramref name="entries"/>, when it gives the
    /// same entry back; otherwise the entry itself.</summary>
    private static object Pack(List<object> entries, JournalEntry e)
    {
        var index = entries.Count;
        if (e.LocalSeq != index + 1 || e.Seq != JournalPartitions.GlobalSeq(e.Partition, e.LocalSeq)
            || e.PreviousHash != (index == 0 ? JournalChain.Genesis : HashOf(entries[index - 1]))
            || e.Hash.Length != 64 || !IsLowerHex(e.Hash))
            return e;
        var data = Encoding.UTF8.GetBytes(e.Data);
        if (Encoding.UTF8.GetString(data) != e.Data) return e; // not UTF-16 that UTF-8 keeps (a lone surrogate)
        return new Compact(e.Partition, e.SourceId, e.SourceSeq, e.Kind, data, e.At, Convert.FromHexString(e.Hash));
    }

    private static JournalEntry Unpack(List<object> entries, int index)
    {
        if (entries[index] is JournalEntry entry) return entry;
        var e = (Compact)entries[index];
        var localSeq = index + 1L;
        return new JournalEntry(JournalPartitions.GlobalSeq(e.Partition, localSeq), e.Partition, localSeq, e.SourceId, e.SourceSeq,
            e.Kind, Encoding.UTF8.GetString(e.Data), e.At, index == 0 ? JournalChain.Genesis : HashOf(entries[index - 1]),
            Convert.ToHexStringLower(e.Hash));
    }

    private static string HashOf(object stored) =>
        stored is JournalEntry e ? e.Hash : Convert.ToHexStringLower(((Compact)stored).Hash);

    private static bool IsLowerHex(string s)
    {
        foreach (var ch in s)
            if (ch is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }
}
