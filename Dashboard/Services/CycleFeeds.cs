using OrleansGuarantee.Dashboard.Security;

namespace OrleansGuarantee.Dashboard.Services;

/// <summary>
/// Opens a <see cref="CycleEventFeed"/> for a page, after the same check as reading the cycle (its community's
/// members and operators), so a page never subscribes to a cycle its viewer may not see.
/// </summary>
public sealed class CycleFeeds(IClusterClient client, GuaranteeService service, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger<CycleEventFeed>();

    /// <summary>Checks that <paramref name="actor"/> may see the cycle, then starts its feed after <paramref name="afterSeq"/>.</summary>
    public async Task<CycleEventFeed> OpenAsync(Actor actor, string cycleId, long afterSeq,
        Func<CycleEvent, CycleEventSource, Task> onEvent, Func<CycleFeedStatus, Task>? onStatus = null)
    {
        await service.GetCycleAsync(actor, cycleId);
        return await CycleEventFeed.StartAsync(client, cycleId, afterSeq, onEvent, onStatus, logger: _logger);
    }
}
