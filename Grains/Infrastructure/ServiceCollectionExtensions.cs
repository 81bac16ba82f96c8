using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace OrleansGuarantee.Infrastructure;

public static class ServiceCollectionExtensions
{
    /// <summary>Services the grains need: the clock and the (production: empty) fault injector.</summary>
    public static IServiceCollection AddGuaranteeGrainServices(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFaultInjector, NoFaults>();
        return services;
    }
}
