using System.Net;
using Azure.Data.Tables;
using Orleans.Configuration;

namespace OrleansGuarantee.Dashboard;

/// <summary>
/// The front door is an Orleans client. It finds the silos through the Azure Table membership the silos
/// write (the default), or through a fixed gateway list (<c>Orleans:Gateways</c>, "host:port,host:port").
/// With <c>Orleans:Clustering</c> = <c>Provided</c> the host supplies the <see cref="IClusterClient"/>
/// (a process that also runs a silo, or the tests' in-process cluster).
/// </summary>
public static class ClusterClientSetup
{
    public static void AddGuaranteeClusterClient(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (string.Equals(config["Orleans:Clustering"], "Provided", StringComparison.OrdinalIgnoreCase)) return;
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = config["Orleans:ClusterId"] ?? "orleansguarantee";
                o.ServiceId = config["Orleans:ServiceId"] ?? "OrleansGuarantee";
            });
            if (config["Orleans:Gateways"] is { Length: > 0 } gateways)
                client.UseStaticClustering(gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(ParseEndpoint).ToArray());
            else
                client.UseAzureStorageClustering(o => o.TableServiceClient =
                    new TableServiceClient(config["Storage:ConnectionString"] ?? "UseDevelopmentStorage=true"));
            client.UseConnectionRetryFilter<WaitForSilos>();
            // Trace context flows from the page or API request into grain calls (OpenTelemetry traces).
            client.AddActivityPropagation();
        });
    }

    private static IPEndPoint ParseEndpoint(string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint
            : throw new InvalidOperationException($"Orleans:Gateways has '{text}', which is not an address:port.");

    /// <summary>Keeps trying to reach the cluster at start-up (the silo may still be starting), saying so in the log.</summary>
    private sealed class WaitForSilos(ILogger<WaitForSilos> logger) : IClientConnectionRetryFilter
    {
        private int _attempt;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            _attempt++;
            logger.LogWarning("Waiting for the silo cluster (attempt {Attempt}): {Reason}", _attempt, exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, _attempt)), cancellationToken);
            return !cancellationToken.IsCancellationRequested;
        }
    }
}
