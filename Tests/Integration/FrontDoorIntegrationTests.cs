using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// The real front door process in front of a real silo process on Azurite, as run.sh starts them: the
/// operator key is generated once into the data folder, /health follows the storage going away and
/// coming back, calls fail clearly meanwhile and change nothing, and tokens survive a front-door restart.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FrontDoorIntegrationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HealthWait = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Health_follows_storage_and_the_operator_key_and_tokens_survive_a_restart()
    {
        var clock = Stopwatch.StartNew();
        void Log(string message) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] {message}");

        await using var azurite = await AzuriteFixture.StartAsync();
        var settings = SiloSettings.NewCluster(azurite.ConnectionString);
        await using var silo = await SiloProcess.StartAsync(settings, Path.Combine(azurite.WorkDirectory, "silo.log"));
        Log($"Azurite on {azurite.Port}, silo pid {silo.ProcessId}");

        var dataDir = Path.Combine(azurite.WorkDirectory, "frontdoor-data");
        var port = FreePorts.Next();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };

        var door = await StartFrontDoorAsync(settings, dataDir, port, Path.Combine(azurite.WorkDirectory, "frontdoor-1.log"));
        string key;
        string token;
        try
        {
            Log("front door started");
            key = (await File.ReadAllTextAsync(Path.Combine(dataDir, "operator-key"))).Trim();
            Assert.Contains("A new operator key was generated", door.Output);
            Assert.Contains(key, door.Output);
            Assert.Equal(HttpStatusCode.OK, await WaitForHealthAsync(http, HttpStatusCode.OK));

            token = await TokenAsync(http, key);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var created = await http.PostAsJsonAsync("/api/communities", new
            {
                id = "harbour",
                name = "Harbour",
                founders = new[] { "ada", "ben", "cleo" }.Select(f => new { id = f, name = f, password = "founder-password" }),
            });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            using var ada = new HttpClient { BaseAddress = http.BaseAddress };
            ada.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(http, memberId: "ada", password: "founder-password"));
            Assert.Equal(HttpStatusCode.OK, (await ada.PostAsJsonAsync("/api/members/ada/deposits", new { operationId = "d1", amount = 250.25m })).StatusCode);
            var ledgerBefore = await LedgerAsync(http);
            Assert.Equal(250.25m, (decimal)ledgerBefore["deposited"]!);

            // Storage goes away: health says so, and a money call fails clearly and changes nothing.
            await azurite.StopAsync();
            Log("Azurite stopped");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await WaitForHealthAsync(http, HttpStatusCode.ServiceUnavailable));
            Log("health is 503");
            var refused = await ada.PostAsJsonAsync("/api/members/ada/deposits", new { operationId = "d2", amount = 10m });
            Log($"deposit while storage is down: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

            await azurite.StartAgainAsync();
            Log("Azurite started again");
            Assert.Equal(HttpStatusCode.OK, await WaitForHealthAsync(http, HttpStatusCode.OK));
            Log("health is 200 again");
            var ledgerAfter = await LedgerAsync(http, refresh: true);
            Assert.Equal((decimal)ledgerBefore["deposited"]!, (decimal)ledgerAfter["deposited"]!);
            Assert.Equal((decimal)ledgerBefore["sumOfBalances"]!, (decimal)ledgerAfter["sumOfBalances"]!);
        }
        finally
        {
            Assert.True(await door.StopAsync(TimeSpan.FromSeconds(30)), "the front door did not stop on SIGTERM");
            door.Dispose();
        }

        // Second start on the same data folder: the key is not generated or printed again, and the token
        // issued before the restart is still accepted (the data-protection keys are in the data folder).
        door = await StartFrontDoorAsync(settings, dataDir, port, Path.Combine(azurite.WorkDirectory, "frontdoor-2.log"));
        try
        {
            Log("front door started again");
            Assert.DoesNotContain("A new operator key was generated", door.Output);
            Assert.DoesNotContain(key, door.Output);
            Assert.Equal(key, (await File.ReadAllTextAsync(Path.Combine(dataDir, "operator-key"))).Trim());
            Assert.Equal(250.25m, (decimal)(await LedgerAsync(http))["deposited"]!);
            Assert.NotEmpty(await TokenAsync(http, key));
        }
        finally
        {
            Assert.True(await door.StopAsync(TimeSpan.FromSeconds(30)), "the front door did not stop on SIGTERM");
            door.Dispose();
        }
    }

    private static Task<FrontDoorProcess> StartFrontDoorAsync(SiloSettings settings, string dataDir, int port, string log) =>
        FrontDoorProcess.StartAsync(settings, dataDir, port, log);

    private static Task<HttpStatusCode> WaitForHealthAsync(HttpClient http, HttpStatusCode wanted) =>
        FrontDoorProcess.WaitForHealthAsync(http, wanted, HealthWait);

    private static async Task<string> TokenAsync(HttpClient http, string? operatorKey = null, string? memberId = null, string? password = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/token")
        {
            Content = JsonContent.Create(operatorKey is not null ? (object)new { operatorKey } : new { memberId, password }),
        };
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonNode>())!["accessToken"]!;
    }

    private static async Task<JsonNode> LedgerAsync(HttpClient http, bool refresh = false)
    {
        using var response = await http.GetAsync($"/api/communities/harbour/ledger?refresh={(refresh ? "true" : "false")}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }
}
