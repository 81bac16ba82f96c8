using System.Net;
using System.Text.Json.Nodes;
using OrleansGuarantee.Tests.Api;

using static OrleansGuarantee.Tests.Web.PageBrowser;

namespace OrleansGuarantee.Tests.Web;

/// <summary>
/// The operators' views over HTTP against the real front door: the /operator overview (communities with their members by
/// status and ledgers, health) and the Orleans dashboard under /orleans, each shown to the operator signed in with the
/// operator key and refused to members and visitors.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class OperatorPagesTests(ApiFixture api)
{
    [Fact]
    public async Task The_operator_overview_is_refused_to_a_member_and_shows_every_community_with_its_counts_and_ledger_to_the_operator()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 250m);
        await c.SignUpAsync("cand");

        using var member = Open(api);
        await SignInAsync(member, c.Founders[0]);
        var refused = await PageAsync(member, "/operator");
        Assert.Contains("data-refusal", refused, StringComparison.Ordinal);
        Assert.Contains("This page is for operators", WebUtility.HtmlDecode(refused), StringComparison.Ordinal);
        Assert.DoesNotContain("data-list=\"communities\"", refused, StringComparison.Ordinal);
        Assert.DoesNotContain(c.Id, refused, StringComparison.Ordinal);

        using var anonymous = Open(api);
        var visitor = await anonymous.GetAsync("/operator");
        Assert.True(visitor.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"got {(int)visitor.StatusCode}");
        Assert.Equal("/signin", PathOf(visitor.Headers.Location));

        using var @operator = Open(api);
        var signedIn = await SignInAsOperatorAsync(@operator);
        Assert.Equal("/operator", PathOf(signedIn.Headers.Location)); // where an operator lands after signing in
        var page = await PageAsync(@operator, "/operator");
        Assert.DoesNotContain("data-refusal", page, StringComparison.Ordinal);
        var row = Row(page, c.Id);
        Assert.Contains("data-count=\"founder\">3<", row, StringComparison.Ordinal);
        Assert.Contains("data-count=\"candidate\">1<", row, StringComparison.Ordinal);
        Assert.Contains("data-count=\"members\">4<", row, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"deposited\">750.00<", row, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"balances\">750.00<", row, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"held\">0.00<", row, StringComparison.Ordinal);
        // Health, the same check as /health, and the way to the Orleans dashboard.
        Assert.Contains("data-field=\"health\">healthy<", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/orleans/\"", page, StringComparison.Ordinal);
        Assert.Contains("href=\"/health\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_Orleans_dashboard_is_served_under_orleans_to_the_operator_only()
    {
        // A visitor is sent to sign in; a member gets a 403 that says why.
        using var anonymous = Open(api);
        foreach (var path in new[] { "/orleans", "/orleans/", "/orleans/DashboardCounters" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found, $"{path}: got {(int)response.StatusCode}");
            Assert.Equal("/signin", PathOf(response.Headers.Location));
        }
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        using var member = Open(api);
        await SignInAsync(member, c.Founders[0]);
        foreach (var path in new[] { "/orleans/", "/orleans/DashboardCounters" })
        {
            var response = await member.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("only operators can open it", body, StringComparison.Ordinal);
            Assert.DoesNotContain("totalActivationCount", body, StringComparison.OrdinalIgnoreCase);
        }
        // An API token is not a way in either: the dashboard takes the operator's sign-in cookie.
        using var bearer = await api.OperatorAsync();
        Assert.NotEqual(HttpStatusCode.OK, (await bearer.GetAsync("/orleans/DashboardCounters")).StatusCode);

        using var @operator = Open(api);
        await SignInAsOperatorAsync(@operator);
        var redirect = await @operator.GetAsync("/orleans");
        Assert.True(redirect.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.PermanentRedirect, $"got {(int)redirect.StatusCode}");
        Assert.Equal("/orleans/", PathOf(redirect.Headers.Location));
        var index = await @operator.GetAsync("/orleans/");
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType?.MediaType);
        Assert.Contains("index.min.js", await index.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await @operator.GetAsync("/orleans/index.min.js")).StatusCode);

        // Its data comes from the cluster: the silo's dashboard grains answer through the front door's client.
        var counters = await @operator.GetAsync("/orleans/DashboardCounters");
        var json = await counters.Content.ReadAsStringAsync();
        Assert.True(counters.StatusCode == HttpStatusCode.OK, $"DashboardCounters: {(int)counters.StatusCode} {json}");
        var silos = JsonNode.Parse(json)!["hosts"]!.AsArray();
        Assert.NotEmpty(silos);
    }


    private static string Row(string html, string communityId)
    {
        var from = html.IndexOf($"data-community=\"{communityId}\"", StringComparison.Ordinal);
        Assert.True(from >= 0, $"The overview does not list community {communityId}.");
        return html[from..html.IndexOf("</tr>", from, StringComparison.Ordinal)];
    }
}
