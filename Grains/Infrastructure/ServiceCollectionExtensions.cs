using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansGuarantee.Infrastructure;

public static class ServiceCollectionExtensions
{
    /// <summary>Services the grains need: the clock, the (production: empty) fault injector, the journal store and the
    /// navigator's per-silo cache (its settings: <see cref="Navigation.NavigatorOptions"/>).</summary>
    public static IServiceCollection AddGuaranteeGrainServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFaultInjector, NoFaults>();
        // The journal's chains (rule 23): in memory unless the host registered durable storage first.
        services.TryAddSingleton<Journal.IJournalStore, Journal.MemoryJournalStore>();
        services.AddOptions<Navigation.NavigatorOptions>().BindConfiguration("Navigator");
        services.TryAddSingleton<Navigation.NavigatorCache>();
        return services;
    }
}
