using System.Collections.Concurrent;

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
/// the process, and lost with it, like memory grain storage.</summary>
public sealed class MemoryJournalStore : IJournalStore
{
    private sealed class Chain
    {
        public JournalHead Head = JournalHead.Empty;
        public readonly List<JournalEntry> Entries = [];
        public readonly Dictionary<string, long> Cursors = new(StringComparer.Ordinal);
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
            c.Entries.AddRange(entries);
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
            return Task.FromResult<IReadOnlyList<JournalEntry>>(c.Entries.Skip(start).Take(limit).ToList());
        }
    }

    /// <summary>Replaces one stored entry as it is, without re-hashing (the tampering tests).</summary>
    public void Overwrite(string chain, JournalEntry entry)
    {
        var c = Of(chain);
        lock (c) c.Entries[(int)entry.LocalSeq - 1] = entry;
    }
}
