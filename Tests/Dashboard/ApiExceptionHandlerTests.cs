using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansGuarantee.Dashboard.Api;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>
/// How the API answers a call that failed because the cluster or its storage did not answer: 503 cluster-unavailable
/// (repeat the call), never 500. The fault suite found storage that could not be reached (Azurite stopped) and a
/// message whose placement expired answered as 500 internal-error.
/// </summary>
public sealed class ApiExceptionHandlerTests
{
    public static TheoryData<string, Exception> Unavailable() => new()
    {
        { "Orleans error", new OrleansException("Silo unavailable") },
        { "timeout", new TimeoutException("Response did not arrive on time") },
        { "storage unreachable", new Azure.RequestFailedException("Connection refused (127.0.0.1:10002)") },
        { "storage unreachable after the SDK's retries", new AggregateException(
            new Azure.RequestFailedException("Connection refused"), new Azure.RequestFailedException("Connection refused")) },
        { "placement expired", new OperationCanceledException("Message expired before placement could complete for grain deal/d-1.") },
    };

    [Theory]
    [MemberData(nameof(Unavailable))]
    public async Task A_cluster_or_storage_failure_is_a_503_problem_to_repeat(string what, Exception exception)
    {
        var (status, body) = await HandleAsync(exception);
        Assert.True(status == 503, $"{what}: {status}");
        Assert.Equal("cluster-unavailable", (string?)body["code"]);
        Assert.Contains("repeat it with the same operationId", (string?)body["title"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_failures_stay_500_and_refusals_keep_their_status()
    {
        Assert.Equal(500, (await HandleAsync(new InvalidOperationException("bug"))).Status);
        Assert.Equal(500, (await HandleAsync(new AggregateException(new Azure.RequestFailedException("x"), new InvalidOperationException("bug")))).Status);
        var (status, body) = await HandleAsync(GuaranteeException.Conflict("already-confirmed", "Already confirmed."));
        Assert.Equal((409, "already-confirmed"), (status, (string?)body["code"]));
    }

    private static async Task<(int Status, JsonNode Body)> HandleAsync(Exception exception)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/api/deals/d-1/accept";
        context.Request.Method = "POST";
        context.Response.Body = new MemoryStream();
        var handled = await new ApiExceptionHandler(NullLogger<ApiExceptionHandler>.Instance).TryHandleAsync(context, exception, CancellationToken.None);
        Assert.True(handled);
        Assert.Equal("application/problem+json", context.Response.ContentType?.Split(';')[0]);
        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, JsonNode.Parse(context.Response.Body)!);
    }
}
