using Microsoft.Extensions.Diagnostics.HealthChecks;
using OrleansGuarantee.Dashboard.Services;

namespace OrleansGuarantee.Dashboard.Health;

/// <summary>Healthy only when a silo answers a grain call that reads grain storage, within a few seconds.</summary>
public sealed class ClusterHealthCheck(GuaranteeService service) : IHealthCheck
{
    private static readonly string ProbeKey = $"frontdoor-{Environment.MachineName}-{Environment.ProcessId}";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var silo = await service.ProbeAsync(ProbeKey).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy($"Silo {silo} answered and read grain storage.");
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"No silo answered with grain storage within {Timeout.TotalSeconds:0} s.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy($"The cluster or its storage failed: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
