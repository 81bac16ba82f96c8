using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Providers.Streams.AzureQueue;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace OrleansGuarantee.Silo.Streams;

/// <summary>
/// Works around a stall in Orleans 10.4.2's pulling agent with the simple queue cache. When a subscriber's cursor is
/// created with a sequence token whose message has already been purged and the cache is empty at that moment,
/// <see cref="SimpleQueueCache"/> leaves the cursor "unset" but keeping that old token; when the stream's next message
/// arrives the agent refreshes the cursor with it, the cache prefers the old token, finds it below everything cached
/// and throws <c>QueueCacheMissException</c> from the agent's read loop, on every read from then on. The subscriber
/// never gets another event from the stream (the cycle page then only catches up from the stored history on its
/// periodic check, seconds late), and other streams of the same queue can miss the batch too.
/// <para>This cache remembers the newest token it ever held: a cursor asked for at or before it while the cache is
/// empty is an already-delivered position, so the cursor starts at the next message instead. Nothing is lost by it:
/// cycle events are stored before they are published, and subscribers read the stored history when they start.</para>
/// </summary>
public sealed class PurgeAwareQueueCache(int cacheSize, ILogger logger) : SimpleQueueCache(cacheSize, logger)
{
    private StreamSequenceToken? _newest;

    public override void AddToCache(IList<IBatchContainer> msgs)
    {
        base.AddToCache(msgs);
        foreach (var message in msgs)
            if (_newest is null || message.SequenceToken.CompareTo(_newest) > 0)
                _newest = message.SequenceToken;
    }

#pragma warning disable CS0672, CS0618 // Orleans routes subclasses of SimpleQueueCache through this (obsolete) virtual.
    public override IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        if (token is not null && Size == 0 && _newest is not null && token.CompareTo(_newest) <= 0)
            token = null;
        return base.GetCacheCursor(streamId, token);
    }
#pragma warning restore CS0672, CS0618
}

/// <summary>Makes a <see cref="PurgeAwareQueueCache"/> per queue, sized like Orleans' simple queue cache.</summary>
public sealed class PurgeAwareQueueAdapterCache(SimpleQueueCacheOptions options, string providerName, ILoggerFactory loggerFactory) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) =>
        new PurgeAwareQueueCache(options.CacheSize, loggerFactory.CreateLogger($"{typeof(PurgeAwareQueueCache).FullName}.{providerName}.{queueId}"));
}

/// <summary>Orleans' Azure queue adapter factory with <see cref="PurgeAwareQueueAdapterCache"/> as its cache.</summary>
public sealed class PurgeAwareAzureQueueAdapterFactory(
    string name, AzureQueueOptions options, SimpleQueueCacheOptions cacheOptions,
    IQueueDataAdapter<string, IBatchContainer> dataAdapter, ILoggerFactory loggerFactory)
    : AzureQueueAdapterFactory(name, options, cacheOptions, dataAdapter, loggerFactory)
{
    private readonly PurgeAwareQueueAdapterCache _cache = new(cacheOptions, name, loggerFactory);

    public override IQueueAdapterCache GetQueueAdapterCache() => _cache;

    /// <summary>Built from the same named options and data adapter as <see cref="AzureQueueAdapterFactory.Create"/>.</summary>
    public static new PurgeAwareAzureQueueAdapterFactory Create(IServiceProvider services, string name)
    {
        var options = services.GetOptionsByName<AzureQueueOptions>(name);
        var cacheOptions = services.GetOptionsByName<SimpleQueueCacheOptions>(name);
        var dataAdapter = services.GetKeyedService<IQueueDataAdapter<string, IBatchContainer>>(name)
            ?? services.GetRequiredService<IQueueDataAdapter<string, IBatchContainer>>();
        var factory = ActivatorUtilities.CreateInstance<PurgeAwareAzureQueueAdapterFactory>(services, name, options, cacheOptions, dataAdapter);
        factory.Init();
        return factory;
    }

    /// <summary>Replaces the adapter factory Orleans registered for the stream provider <paramref name="name"/>.</summary>
    public static void Register(IServiceCollection services, string name) =>
        services.AddKeyedSingleton<IQueueAdapterFactory>(name, (sp, _) => Create(sp, name));
}
