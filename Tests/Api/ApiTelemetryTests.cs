using System.Net;
using System.Text.RegularExpressions;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>OpenTelemetry metrics on the front door's Prometheus endpoint: the domain's counters move with the
/// deals, and Orleans' own metrics are there too.</summary>
[Collection(ApiCollection.Name)]
public sealed partial class ApiTelemetryTests(ApiFixture api)
{
    [Fact]
    public async Task Deals_accepted_and_completed_and_cover_shortfalls_show_on_the_metrics_endpoint()
    {
        using var scraper = api.Anonymous();
        var before = await ScrapeAsync(scraper);

        var c = await ApiCommunity.CreateAsync(api);
        var provider = await c.ActiveMemberAsync("p", deposit: 500m);
        var consumer = await c.ActiveMemberAsync("q", deposit: 500m);
        var dealId = await c.AcceptedDealAsync(provider, consumer, 100m);
        await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{dealId}/confirm", null));
        await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{dealId}/confirm", null));
        var refused = await c.ProposeAsync(provider, provider, consumer, 50_000m); // far beyond their cover
        await ExpectProblem(await (await c.As(consumer)).PostAsync($"/api/deals/{(string)refused["id"]!}/accept", null), HttpStatusCode.Conflict, "insufficient-cover");

        // The exporter collects on scrape; counters only grow (other tests run alongside), so compare at least.
        var after = await ScrapeAsync(scraper);
        Assert.True(Value(after, "orleansguarantee_deals_accepted_total") >= Value(before, "orleansguarantee_deals_accepted_total") + 1, after);
        Assert.True(Value(after, "orleansguarantee_deals_completed_total") >= Value(before, "orleansguarantee_deals_completed_total") + 1);
        Assert.True(Value(after, "orleansguarantee_cover_shortfalls_total") >= Value(before, "orleansguarantee_cover_shortfalls_total") + 1);
        Assert.Matches("(?m)^orleans_", after); // Orleans' own meter
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        var response = await client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text;
    }

    /// <summary>The sum of a counter's samples over its label sets (0 when it has none yet).</summary>
    private static double Value(string exposition, string name) =>
        Sample().Matches(exposition).Where(m => m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"(?m)^(?<name>[a-z_]+)(\{[^}]*\})? (?<value>[0-9.eE+-]+)")]
    private static partial Regex Sample();
}
