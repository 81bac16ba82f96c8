using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using OrleansGuarantee.Dashboard.Components.Arbitration;
using OrleansGuarantee.Tests.Api;
using OrleansGuarantee.Tests.Cluster;

using static OrleansGuarantee.Tests.Web.PageBrowser;

namespace OrleansGuarantee.Tests.Web;

/// <summary>
/// The claims and cases pages (rules 12-16), prerendered over HTTP against the real front door and a test
/// cluster: a case set up through the API, then read as a judge, a party and an outsider signed in through
/// the /signin form with cookies.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CasePagesTests(ApiFixture api)
{
    private const string Reason = "The roof leaks after the first rain.";

    [Fact]
    public async Task A_judge_finds_the_disputed_case_in_the_inbox_and_the_panel_and_vote_form_on_the_case_page()
    {
        var (c, provider, consumer, _, caseId) = await DisputedCaseAsync();
        var (judge, otherJudge) = (c.Founders[0], c.Founders[1]); // the parties' guarantors: the first panel

        using var browser = await SignInAsync(judge);
        var list = await PageAsync(browser, "/cases");
        var inbox = Table(list, "awaiting-vote");
        Assert.Contains($"data-case=\"{caseId}\"", inbox, StringComparison.Ordinal);
        Assert.Contains($"href=\"/cases/{caseId}\"", inbox, StringComparison.Ordinal);
        Assert.Contains("0 of 2 voted", WebUtility.HtmlDecode(inbox), StringComparison.Ordinal);
        Assert.DoesNotContain("data-list=\"mine\"", list, StringComparison.Ordinal); // a judge, not a party
        Assert.Contains("Judge's inbox", WebUtility.HtmlDecode(list), StringComparison.Ordinal);
        Assert.Contains("href=\"/cases\"", list, StringComparison.Ordinal); // the link in the top bar

        var page = await PageAsync(browser, $"/cases/{caseId}");
        var text = WebUtility.HtmlDecode(page);
        Assert.DoesNotContain("data-refusal", page, StringComparison.Ordinal);
        Assert.Contains(Reason, text, StringComparison.Ordinal);
        Assert.Matches("data-figure=\"damage\">120\\.00<", page);
        // The first level: its panel, each judge's row, no vote yet.
        Assert.Contains("data-level=\"1\"", page, StringComparison.Ordinal);
        Assert.Contains($"data-judge=\"{judge}\"", page, StringComparison.Ordinal);
        Assert.Contains($"data-judge=\"{otherJudge}\"", page, StringComparison.Ordinal);
        Assert.Matches($"data-field=\"panel\">[^<]*{Regex.Escape(otherJudge)}", page);
        Assert.Contains("not voted yet", text, StringComparison.Ordinal);
        // The vote form.
        Assert.Contains("<label for=\"vote-fault\">", page, StringComparison.Ordinal);
        Assert.Matches("<select[^>]*id=\"vote-fault\"", page);
        foreach (var fault in new[] { "provider", "consumer", "both", "neither" })
            Assert.Contains($"<option value=\"{fault}\"", page, StringComparison.Ordinal);
        Assert.Matches("<input[^>]*id=\"vote-compensation\"[^>]*max=\"120", page);
        Assert.DoesNotContain("id=\"vote-share\"", page, StringComparison.Ordinal); // only once "both" is chosen
        Assert.Contains("Cast my vote", text, StringComparison.Ordinal);
        // A judge does not accept or appeal.
        Assert.DoesNotContain("Appeal…", text, StringComparison.Ordinal);

        // The parties: the case is theirs, with no vote form.
        using var party = await SignInAsync(provider);
        var mine = Table(await PageAsync(party, "/cases"), "mine");
        Assert.Contains($"data-case=\"{caseId}\"", mine, StringComparison.Ordinal);
        Assert.Contains(consumer, mine, StringComparison.Ordinal);
        var partyPage = await PageAsync(party, $"/cases/{caseId}");
        Assert.DoesNotContain("id=\"vote-fault\"", partyPage, StringComparison.Ordinal);
        Assert.Contains("data-level=\"1\"", partyPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_who_is_neither_party_nor_judge_is_refused_the_case_and_does_not_see_it_listed()
    {
        var (c, _, _, _, caseId) = await DisputedCaseAsync();
        var outsider = c.Founders[2]; // guarantees neither party

        using var browser = await SignInAsync(outsider);
        var page = await PageAsync(browser, $"/cases/{caseId}");
        var text = WebUtility.HtmlDecode(page);
        Assert.Matches("<div class=\"note error\" role=\"alert\" data-refusal", page);
        Assert.Contains("Only the parties, the judges of the case and operators can see it.", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Reason, text, StringComparison.Ordinal);
        Assert.DoesNotContain("data-level=", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"vote-fault\"", page, StringComparison.Ordinal);

        var list = await PageAsync(browser, "/cases");
        Assert.DoesNotContain(caseId, list, StringComparison.Ordinal);
        Assert.Contains("No case waits for your vote.", WebUtility.HtmlDecode(list), StringComparison.Ordinal);

        // No such case: the service's answer, not a crash.
        var missing = WebUtility.HtmlDecode(await PageAsync(browser, "/cases/case-nothing-here"));
        Assert.Contains("There is no arbitration case 'case-nothing-here'.", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cases_pages_send_a_visitor_who_is_not_signed_in_to_sign_in()
    {
        using var browser = api.Web.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true, AllowAutoRedirect = false });
        foreach (var path in new[] { "/cases", "/cases/case-d-0123" })
        {
            var response = await browser.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
                $"{path}: expected a redirect, got {(int)response.StatusCode}");
            Assert.Equal("/signin", PathOf(response.Headers.Location));
        }
    }

    [Fact]
    public async Task A_party_sees_the_verdict_with_accept_and_appeal_and_once_both_accept_the_settlement_on_the_case_and_the_deal()
    {
        var (c, provider, consumer, deal, caseId) = await DisputedCaseAsync();
        var (judge1, judge2) = (c.Founders[0], c.Founders[1]);
        foreach (var judge in new[] { judge1, judge2 })
            await ApiCommunity.OkAsync(await (await c.As(judge)).PostAsJsonAsync($"/api/cases/{caseId}/votes",
                new { fault = "provider", compensation = 100m }));

        using var browser = await SignInAsync(consumer);
        var page = await PageAsync(browser, $"/cases/{caseId}");
        var text = WebUtility.HtmlDecode(page);
        Assert.Contains("data-field=\"verdict\">At fault: the provider; compensation 100.00.<", text, StringComparison.Ordinal);
        Assert.Contains("data-field=\"appeal-deadline\">", page, StringComparison.Ordinal);
        Assert.Contains("Accept the verdict", text, StringComparison.Ordinal);
        Assert.Contains("Appeal…", text, StringComparison.Ordinal);
        foreach (var judge in new[] { judge1, judge2 }) // each vote in the level's table
            Assert.Matches($"data-judge=\"{Regex.Escape(judge)}\">(?:(?!</tr>)[\\s\\S])*the provider(?:(?!</tr>)[\\s\\S])*100\\.00", text);
        Assert.DoesNotContain("id=\"vote-fault\"", page, StringComparison.Ordinal);
        Assert.Contains("your answer", WebUtility.HtmlDecode(Table(await PageAsync(browser, "/cases"), "mine")), StringComparison.Ordinal);

        // The judge's inbox moves the case to "where I sat", with the judge's vote.
        using var judgeBrowser = await SignInAsync(judge1);
        var judgeList = await PageAsync(judgeBrowser, "/cases");
        Assert.DoesNotContain(caseId, Table(judgeList, "awaiting-vote"), StringComparison.Ordinal);
        var sat = WebUtility.HtmlDecode(Table(judgeList, "sat"));
        Assert.Contains(caseId, sat, StringComparison.Ordinal);
        Assert.Contains("level 1: the provider at fault, 100.00", sat, StringComparison.Ordinal);

        foreach (var party in new[] { consumer, provider })
            await ApiCommunity.OkAsync(await (await c.As(party)).PostAsync($"/api/cases/{caseId}/accept", null));

        var closed = await PageAsync(browser, $"/cases/{caseId}");
        var closedText = WebUtility.HtmlDecode(closed);
        Assert.Contains("data-field=\"final-verdict\">At fault: the provider; compensation 100.00.<", closedText, StringComparison.Ordinal);
        Assert.Contains("data-section=\"settlement\"", closed, StringComparison.Ordinal);
        Assert.Matches("data-figure=\"awarded\">100\\.00<", closed);
        Assert.Matches("data-figure=\"unpaid\">0\\.00<", closed);
        Assert.DoesNotContain("Accept the verdict", closedText, StringComparison.Ordinal);

        // The deal on the account page: the claim, its case and the settlement.
        var account = await PageAsync(browser, "/account");
        var accountText = WebUtility.HtmlDecode(account);
        Assert.Contains($"data-claim=\"{deal}\"", account, StringComparison.Ordinal);
        Assert.Contains($"href=\"/cases/{caseId}\"", account, StringComparison.Ordinal);
        Assert.Contains(Reason, accountText, StringComparison.Ordinal);
        Assert.Matches("data-figure=\"awarded\">100\\.00<", account);
        Assert.DoesNotContain("class=\"note error\"", account, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_the_account_page_the_injured_party_can_report_a_defect_and_the_other_party_can_admit_or_dispute()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var ids = await ApiCommunity.AllAsync(c.ActiveMemberAsync("prov", deposit: 500m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);

        using var consumerBrowser = await SignInAsync(consumer);
        Assert.Contains($"aria-label=\"Report a defect… on deal {deal}\"", WebUtility.HtmlDecode(await PageAsync(consumerBrowser, "/account")), StringComparison.Ordinal);

        await ClaimAsync(c, consumer, deal);
        using var providerBrowser = await SignInAsync(provider);
        var answer = WebUtility.HtmlDecode(await PageAsync(providerBrowser, "/account"));
        Assert.Contains($"aria-label=\"Admit… the claim on deal {deal}\"", answer, StringComparison.Ordinal);
        Assert.Contains($"aria-label=\"Dispute the claim on deal {deal}\"", answer, StringComparison.Ordinal);
        Assert.Contains($"data-claim=\"{deal}\"", answer, StringComparison.Ordinal);
        Assert.Contains(Reason, answer, StringComparison.Ordinal);

        // The claimant waits; it neither answers its own claim nor reports a second defect.
        var waiting = WebUtility.HtmlDecode(await PageAsync(consumerBrowser, "/account"));
        Assert.DoesNotContain("Admit…", waiting, StringComparison.Ordinal);
        Assert.DoesNotContain("Report a defect…", waiting, StringComparison.Ordinal);
        Assert.Contains($"waiting for {provider} to admit or dispute it", waiting, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cases_snapshots_survive_the_json_round_trip_from_prerendering_to_the_interactive_page()
    {
        var (c, _, _, _, caseId) = await DisputedCaseAsync();
        await ApiCommunity.OkAsync(await (await c.As(c.Founders[0])).PostAsJsonAsync($"/api/cases/{caseId}/votes",
            new { fault = "both", providerShare = 0.6m, compensation = 80m }));
        var view = await api.Grains.GetGrain<IArbitrationCaseGrain>(caseId).Get();
        Assert.Single(view.Levels[0].Votes);

        var one = new CaseSnapshot(view, DateTimeOffset.UtcNow);
        var json = JsonSerializer.Serialize(one, JsonSerializerOptions.Web);
        var back = JsonSerializer.Deserialize<CaseSnapshot>(json, JsonSerializerOptions.Web)!;
        Assert.Equal(json, JsonSerializer.Serialize(back, JsonSerializerOptions.Web));
        Assert.Equal(Fault.Both, back.Case.Levels[0].Votes[0].Fault);
        Assert.Equal(0.6m, back.Case.Levels[0].Votes[0].ProviderShare);

        var all = new CasesSnapshot(c.Founders[1], [view], DateTimeOffset.UtcNow);
        var allJson = JsonSerializer.Serialize(all, JsonSerializerOptions.Web);
        var allBack = JsonSerializer.Deserialize<CasesSnapshot>(allJson, JsonSerializerOptions.Web)!;
        Assert.Equal(allJson, JsonSerializer.Serialize(allBack, JsonSerializerOptions.Web));

        // Sorted for the page: the second judge still owes a vote, the first has voted.
        Assert.Equal([caseId], CaseInbox.From(c.Founders[1], allBack.Cases).AwaitingMyVote.Select(x => x.Id));
        var first = CaseInbox.From(c.Founders[0], allBack.Cases);
        Assert.Empty(first.AwaitingMyVote);
        Assert.Equal([caseId], first.Sat.Select(x => x.Id));
        Assert.Equal([caseId], CaseInbox.From(view.ProviderId, allBack.Cases).Mine.Select(x => x.Id));
    }

    // ---- Set-up through the API ---------------------------------------------------------------------

    /// <summary>
    /// Two active members (each guaranteed by the first two founders), an accepted deal worth 300, the
    /// consumer's claim of 120, disputed by the provider: a case whose first panel is those two founders.
    /// </summary>
    private async Task<(ApiCommunity C, string Provider, string Consumer, string Deal, string CaseId)> DisputedCaseAsync()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var ids = await ApiCommunity.AllAsync(c.ActiveMemberAsync("prov", deposit: 500m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ClaimAsync(c, consumer, deal);
        var opened = await ApiCommunity.OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{deal}/claims/dispute", null));
        return (c, provider, consumer, deal, (string)opened["id"]!);
    }

    private static async Task ClaimAsync(ApiCommunity c, string claimant, string deal) =>
        await ApiCommunity.OkAsync(await (await c.As(claimant)).PostAsJsonAsync($"/api/deals/{deal}/claims",
            new { operationId = TestCommunity.Unique("claim"), damage = 120m, reason = Reason }));

    // ---- A browser ----------------------------------------------------------------------------------

    /// <summary>A cookie-keeping client signed in through the /signin page's own form, as a browser would.</summary>
    private async Task<HttpClient> SignInAsync(string memberId)
    {
        var browser = Open(api);
        await PageBrowser.SignInAsync(browser, memberId);
        return browser;
    }


    /// <summary>The HTML of the list table marked data-list="<paramref name="name"/>", or "" when the page has none.</summary>
    private static string Table(string html, string name)
    {
        var start = html.IndexOf($"data-list=\"{name}\"", StringComparison.Ordinal);
        if (start < 0) return "";
        var end = html.IndexOf("</table>", start, StringComparison.Ordinal);
        return html[start..end];
    }
}
