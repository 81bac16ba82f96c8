using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace OrleansGuarantee.Journal;

/// <summary>
/// Journal chains in Azure Table storage: one table partition per chain, one row per entry (RowKey "e" + the
/// zero-padded local number, so rows read back in order), a "head" row and one cursor row per source. An append is
/// one entity-group transaction (at most 100 rows, all or nothing); the head row is replaced with its ETag, so two
/// writers of one chain can never both succeed.
/// </summary>
public sealed class AzureTableJournalStore(TableServiceClient service, string tableName = AzureTableJournalStore.DefaultTable) : IJournalStore
{
    public const string DefaultTable = "OrleansGuaranteeJournal";
    private const string HeadRow = "head";

    private readonly TableClient _table = service.GetTableClient(tableName);
    private readonly ConcurrentDictionary<string, ETag> _headEtags = new(StringComparer.Ordinal);
    private volatile bool _created;

    /// <summary>100 rows per transaction: the entries, the head, and in the worst case one cursor per entry.</summary>
    public int MaxEntriesPerAppend => 49;

    public TableClient Table => _table;

    /// <summary>The table partition of a chain; "/" is not allowed in table keys.</summary>
    public static string PartitionKeyOf(string chain) => chain.Replace('/', '|');

    public static string RowKeyOf(long localSeq) => "e" + localSeq.ToString("D19", CultureInfo.InvariantCulture);

    private static string CursorRow(string sourceId) => "s|" + Uri.EscapeDataString(sourceId);

    private async Task EnsureTableAsync()
    {
        if (_created) return;
        await _table.CreateIfNotExistsAsync();
        _created = true;
    }

    public async Task<JournalHead> ReadHeadAsync(string chain)
    {
        await EnsureTableAsync();
        var head = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionKeyOf(chain), HeadRow);
        if (!head.HasValue || head.Value is null)
        {
            _headEtags.TryRemove(chain, out _);
            return JournalHead.Empty;
        }
        _headEtags[chain] = head.Value.ETag;
        return new JournalHead(head.Value.GetInt64("LocalSeq") ?? 0, head.Value.GetString("Hash") ?? JournalChain.Genesis);
    }

    public async Task<long> ReadCursorAsync(string chain, string sourceId)
    {
        await EnsureTableAsync();
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(PartitionKeyOf(chain), CursorRow(sourceId));
        return row.HasValue && row.Value is not null ? row.Value.GetInt64("SourceSeq") ?? 0 : 0;
    }

    public async Task AppendAsync(string chain, JournalHead expectedHead, IReadOnlyList<JournalEntry> entries, JournalHead newHead,
        IReadOnlyDictionary<string, long> cursors)
    {
        if (entries.Count + cursors.Count + 1 > 100)
            throw new ArgumentException($"One append takes at most 100 rows; got {entries.Count} entries and {cursors.Count} cursors.");
        await EnsureTableAsync();
        var pk = PartitionKeyOf(chain);
        var actions = new List<TableTransactionAction>(entries.Count + cursors.Count + 1);
        foreach (var e in entries)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(pk, RowKeyOf(e.LocalSeq))
            {
                ["Seq"] = e.Seq,
                ["Partition"] = e.Partition,
                ["LocalSeq"] = e.LocalSeq,
                ["SourceId"] = e.SourceId,
                ["SourceSeq"] = e.SourceSeq,
                ["Kind"] = e.Kind,
                ["Data"] = e.Data,
                ["At"] = e.At.ToString("O", CultureInfo.InvariantCulture),
                ["PreviousHash"] = e.PreviousHash,
                ["Hash"] = e.Hash,
            }));
        }
        foreach (var (source, seq) in cursors)
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                new TableEntity(pk, CursorRow(source)) { ["SourceId"] = source, ["SourceSeq"] = seq }));
        var head = new TableEntity(pk, HeadRow) { ["LocalSeq"] = newHead.LocalSeq, ["Hash"] = newHead.Hash };
        if (expectedHead.LocalSeq == 0 && !_headEtags.ContainsKey(chain))
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, head));
        else
        {
            if (!_headEtags.TryGetValue(chain, out var etag))
            {
                // Not read by this process yet: read it, and refuse if it is not where the writer thinks it is.
                var stored = await ReadHeadAsync(chain);
                if (stored != expectedHead) throw new InvalidOperationException($"Journal chain {chain} moved on: stored head {stored.LocalSeq}, expected {expectedHead.LocalSeq}.");
                etag = _headEtags[chain];
            }
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, head, etag));
        }
        try
        {
            var response = await _table.SubmitTransactionAsync(actions);
            var headResponse = response.Value[actions.Count - 1];
            if (headResponse.Headers.ETag is { } newEtag) _headEtags[chain] = newEtag;
            else _headEtags.TryRemove(chain, out _);
        }
        catch
        {
            // The outcome may be unknown (a timeout): forget the ETag so the next append re-reads the head.
            _headEtags.TryRemove(chain, out _);
            throw;
        }
    }

    public async Task<IReadOnlyList<JournalEntry>> ReadAsync(string chain, long afterLocalSeq, int limit)
    {
        await EnsureTableAsync();
        var pk = PartitionKeyOf(chain);
        var from = RowKeyOf(Math.Max(0, afterLocalSeq));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey gt {from} and RowKey lt {"f"}");
        var result = new List<JournalEntry>(Math.Min(limit, 1000));
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(limit, 1000)))
        {
            result.Add(new JournalEntry(
                row.GetInt64("Seq") ?? 0, row.GetInt32("Partition") ?? -1, row.GetInt64("LocalSeq") ?? 0,
                row.GetString("SourceId") ?? "", row.GetInt64("SourceSeq") ?? 0, row.GetString("Kind") ?? "",
                row.GetString("Data") ?? "",
                DateTimeOffset.TryParse(row.GetString("At"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : default,
                row.GetString("PreviousHash") ?? "", row.GetString("Hash") ?? ""));
            if (result.Count >= limit) break;
        }
        return result;
    }
}
