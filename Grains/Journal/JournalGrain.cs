using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace OrleansGuarantee.Journal;

/// <summary>
/// One chain of a community's journal (rule 23). Appends arriving while a write is in flight are written together
/// in the next one (group commit): a chain makes one storage transaction per batch, not per record. Reentrant so
/// that callers can queue while a write is in flight; every change of the grain's fields happens between awaits,
/// and only one write loop runs at a time.
/// <para>Exactly once: a source's records carry its own numbers; the chain stores, in the same transaction as the
/// entries, the highest number appended per source, and skips what it has. A write whose outcome is unknown makes
/// the chain re-read its head (and cursors) before the next write, so a retry of a write that did land appends nothing.</para>
/// </summary>
[Reentrant]
public sealed class JournalGrain(IJournalStore store, ILogger<JournalGrain> logger) : Grain, IJournalGrain
{
    public const int MaxReadLimit = 1000;

    private sealed record Pending(string SourceId, IReadOnlyList<JournalRecord> Records, TaskCompletionSource Done);

    private readonly Queue<Pending> _queue = new();
    private readonly Dictionary<string, long> _cursors = new(StringComparer.Ordinal);
    private JournalHead? _head;
    private bool _writing;

    private string Chain => this.GetPrimaryKeyString();
    private int Partition => int.Parse(Chain[(Chain.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    public async Task Append(string sourceId, IReadOnlyList<JournalRecord> records)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceId);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return;
        if (records.Count > JournalPartitions.MaxRecordsPerAppend)
            throw new ArgumentException($"Append at most {JournalPartitions.MaxRecordsPerAppend} records at a time.", nameof(records));
        if (records.Any(r => r.SourceId != sourceId))
            throw new ArgumentException("Every record must come from the source that appends it.", nameof(records));
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Enqueue(new Pending(sourceId, records.OrderBy(r => r.SourceSeq).ToList(), done));
        if (!_writing)
        {
            _writing = true;
            _ = WriteLoopAsync();
        }
        await done.Task;
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (_queue.Count > 0)
            {
                var batch = new List<Pending>();
                try
                {
                    _head ??= await store.ReadHeadAsync(Chain);
                    var (entries, cursors) = await TakeBatchAsync(batch);
                    if (entries.Count > 0)
                    {
                        var head = new JournalHead(entries[^1].LocalSeq, entries[^1].Hash);
                        await store.AppendAsync(Chain, _head, entries, head, cursors);
                        _head = head;
                        foreach (var (source, seq) in cursors) _cursors[source] = seq;
                    }
                    foreach (var p in batch) p.Done.TrySetResult();
                }
                catch (Exception ex)
                {
                    // Unknown outcome: forget what we believe is stored and fail this batch; its sources retry.
                    logger.LogWarning(ex, "Journal chain {Chain} could not store a batch of {Count} appends", Chain, batch.Count);
                    _head = null;
                    _cursors.Clear();
                    foreach (var p in batch) p.Done.TrySetException(ex);
                }
            }
        }
        finally
        {
            _writing = false;
        }
    }

    /// <summary>Takes whole appends off the queue while they fit one store transaction, dropping records already
    /// stored (or already taken into this batch), and links the rest onto the chain.</summary>
    private async Task<(List<JournalEntry> Entries, Dictionary<string, long> Cursors)> TakeBatchAsync(List<Pending> batch)
    {
        var records = new List<JournalRecord>();
        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        while (_queue.Count > 0)
        {
            var next = _queue.Peek();
            if (!_cursors.ContainsKey(next.SourceId))
                _cursors[next.SourceId] = await store.ReadCursorAsync(Chain, next.SourceId);
            var from = cursors.TryGetValue(next.SourceId, out var taken) ? taken : _cursors[next.SourceId];
            var fresh = next.Records.Where(r => r.SourceSeq > from).ToList();
            var newSource = fresh.Count > 0 && !cursors.ContainsKey(next.SourceId);
            if (batch.Count > 0 && records.Count + fresh.Count + cursors.Count + (newSource ? 1 : 0) > store.MaxEntriesPerAppend)
                break;
            _queue.Dequeue();
            batch.Add(next);
            if (fresh.Count == 0) continue;
            records.AddRange(fresh);
            cursors[next.SourceId] = fresh[^1].SourceSeq;
        }
        var entries = JournalChain.Link(Partition, _head!.LocalSeq, _head.Hash, records);
        return (entries, cursors);
    }

    public async Task<IReadOnlyList<JournalEntry>> Read(long afterLocalSeq, int limit)
    {
        if (limit is < 1 or > MaxReadLimit)
            throw GuaranteeException.Invalid("invalid-limit", $"limit must be between 1 and {MaxReadLimit} (got {limit}).");
        return await store.ReadAsync(Chain, Math.Max(0, afterLocalSeq), limit);
    }

    public async Task<JournalVerification> Verify()
    {
        var verifier = new JournalChain.Verifier(Partition);
        // The head first: entries appended while the chain is read lie beyond it and are left for the next check.
        var head = await store.ReadHeadAsync(Chain);
        long after = 0;
        while (after < head.LocalSeq)
        {
            var page = await store.ReadAsync(Chain, after, (int)Math.Min(MaxReadLimit, head.LocalSeq - after));
            foreach (var entry in page)
                if (!verifier.Next(entry)) return new JournalVerification(false, verifier.Checked, verifier.FirstBadSeq, verifier.Problem);
            if (page.Count == 0) break;
            after = page[^1].LocalSeq;
        }
        verifier.End(head.LocalSeq, head.Hash);
        return new JournalVerification(verifier.Ok, verifier.Checked, verifier.FirstBadSeq, verifier.Problem);
    }
}
