using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OrleansGuarantee.Journal;

/// <summary>
/// A grain's journal records not yet confirmed by its chain (rule 23). A record is added to the grain's state before
/// the grain writes its state, so the change and its record are stored together, or neither is; after the write the
/// grain delivers what is pending (<see cref="JournalDelivery"/>). The chain skips what it already has, so delivering
/// twice (after a crash, a timeout or a retry) appends once.
/// </summary>
[GenerateSerializer, Alias("og.JournalOutbox")]
public sealed class JournalOutbox
{
    /// <summary>The number of the last record made; numbers run 1, 2, 3… per source.</summary>
    [Id(0)] public long LastSeq { get; set; }
    [Id(1)] public List<JournalRecord> Pending { get; set; } = [];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Add(string sourceId, string kind, object data, DateTimeOffset at)
    {
        LastSeq++;
        Pending.Add(new JournalRecord(sourceId, LastSeq, kind, JsonSerializer.Serialize(data, Json), at));
    }
}

/// <summary>
/// Delivers a grain's pending journal records to its chain, in order, in pieces the chain accepts; a failure does not
/// fail the grain's command (its change is stored): a timer retries until the chain confirms. Records the chain
/// confirmed are dropped from the outbox in memory; the grain's next write stores that (a crash before it only means
/// they are delivered again, and skipped).
/// </summary>
public sealed class JournalDelivery(IGrainBase grain, IGrainFactory grains, string sourceId, Func<JournalOutbox> outbox,
    Func<string?> communityId, ILogger logger)
{
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(5);
    private IGrainTimer? _retry;
    private IJournalGrain? _chain;
    private string? _chainCommunity;

    /// <summary>True while records wait for a retry.</summary>
    public bool Retrying => _retry is not null;

    public async Task FlushAsync()
    {
        var community = communityId();
        if (community is null || outbox().Pending.Count == 0) return;
        if (_chain is null || _chainCommunity != community)
        {
            _chain = grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(community, JournalPartitions.PartitionOf(sourceId)));
            _chainCommunity = community;
        }
        var chain = _chain;
        try
        {
            while (outbox().Pending.Count > 0)
            {
                var piece = outbox().Pending.Take(JournalPartitions.MaxRecordsPerAppend).ToList();
                await chain.Append(sourceId, piece);
                var upTo = piece[^1].SourceSeq;
                outbox().Pending.RemoveAll(r => r.SourceSeq <= upTo);
            }
            outbox().Pending.TrimExcess(); // empty: drops the array, so an idle grain keeps none
            _retry?.Dispose();
            _retry = null;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "{Source} could not deliver {Count} journal records; retrying", sourceId, outbox().Pending.Count);
            if (_retry is not null) return;
            _retry = grain.RegisterGrainTimer(async _ =>
            {
                _retry?.Dispose();
                _retry = null;
                await FlushAsync();
            }, new GrainTimerCreationOptions(RetryPeriod, Timeout.InfiniteTimeSpan));
        }
    }
}
