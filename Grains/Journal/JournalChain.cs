using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OrleansGuarantee.Journal;

/// <summary>
/// The hash chain of rule 23, as plain functions: an entry's hash is SHA-256 over its previous hash and every stored
/// field, written canonically (invariant culture, round-trip times, fields separated by a character that ids and
/// kinds cannot contain, data length-prefixed), so changing any field, or removing, inserting or reordering entries,
/// breaks the chain at that point.
/// </summary>
public static class JournalChain
{
    /// <summary>The "previous hash" of a chain's first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    public static string HashOf(int partition, long localSeq, string previousHash, string sourceId, long sourceSeq,
        string kind, string data, DateTimeOffset at)
    {
        var text = string.Join('\n',
            "og-journal-v1",
            partition.ToString(CultureInfo.InvariantCulture),
            localSeq.ToString(CultureInfo.InvariantCulture),
            previousHash,
            sourceId,
            sourceSeq.ToString(CultureInfo.InvariantCulture),
            kind,
            at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            data.Length.ToString(CultureInfo.InvariantCulture),
            data);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    public static string HashOf(JournalEntry e) =>
        HashOf(e.Partition, e.LocalSeq, e.PreviousHash, e.SourceId, e.SourceSeq, e.Kind, e.Data, e.At);

    /// <summary>Appends records to a chain whose last entry is (<paramref name="lastLocalSeq"/>, <paramref name="lastHash"/>).</summary>
    public static List<JournalEntry> Link(int partition, long lastLocalSeq, string lastHash, IEnumerable<JournalRecord> records)
    {
        var entries = new List<JournalEntry>();
        var (seq, previous) = (lastLocalSeq, lastHash);
        foreach (var r in records)
        {
            seq++;
            var hash = HashOf(partition, seq, previous, r.SourceId, r.SourceSeq, r.Kind, r.Data, r.At);
            entries.Add(new JournalEntry(JournalPartitions.GlobalSeq(partition, seq), partition, seq, r.SourceId, r.SourceSeq,
                r.Kind, r.Data, r.At, previous, hash));
            previous = hash;
        }
        return entries;
    }

    /// <summary>
    /// Checks one chain read from storage, in order: numbers 1, 2, 3… without gaps, each entry's previous hash equal
    /// to the hash of the entry before, each hash equal to the re-computed one, and the last hash equal to the chain's
    /// stored head (so cutting entries off the end is seen too). Returns the first bad entry.
    /// </summary>
    public sealed class Verifier(int partition)
    {
        private long _expected = 1;
        private string _previous = Genesis;

        public long Checked { get; private set; }
        public long? FirstBadSeq { get; private set; }
        public string? Problem { get; private set; }
        public bool Ok => FirstBadSeq is null && Problem is null;

        /// <summary>Returns false once a bad entry is found (later entries are not looked at).</summary>
        public bool Next(JournalEntry entry)
        {
            if (!Ok) return false;
            Checked++;
            var seq = JournalPartitions.GlobalSeq(partition, _expected);
            if (entry.Partition != partition || entry.LocalSeq != _expected)
                return Bad(seq, $"entry {seq} is missing (found {entry.Seq} in its place)");
            if (entry.Seq != seq)
                return Bad(seq, $"entry {seq} is stored with the number {entry.Seq}");
            if (entry.PreviousHash != _previous)
                return Bad(seq, $"entry {seq} does not link to the entry before it");
            if (HashOf(entry) != entry.Hash)
                return Bad(seq, $"entry {seq} was changed after it was written (its hash does not match its contents)");
            _previous = entry.Hash;
            _expected++;
            return true;
        }

        /// <summary>Checks the end of the chain against its stored head (last number and hash); entries beyond the head
        /// are not read (they may have been appended while the chain was being read).</summary>
        public void End(long headLocalSeq, string headHash)
        {
            if (!Ok) return;
            var last = _expected - 1;
            if (headLocalSeq > last)
                Bad(JournalPartitions.GlobalSeq(partition, last + 1), $"entries after {JournalPartitions.GlobalSeq(partition, last)} are missing (the chain's head is at {JournalPartitions.GlobalSeq(partition, headLocalSeq)})");
            else if (headHash != _previous)
                Bad(JournalPartitions.GlobalSeq(partition, last), $"entry {JournalPartitions.GlobalSeq(partition, last)} does not match the chain's head");
        }

        private bool Bad(long seq, string problem)
        {
            FirstBadSeq = seq;
            Problem = problem;
            return false;
        }
    }
}
