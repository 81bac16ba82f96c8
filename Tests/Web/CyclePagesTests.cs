using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OrleansGuarantee.Tests.Api;
using OrleansGuarantee.Tests.Cluster;

using static OrleansGuarantee.Tests.Web.PageBrowser;

namespace OrleansGuarantee.Tests.Web;

/// <summary>
/// The synergy cycle pages (rules 17-20), prerendered over HTTP against the real front door and a test cluster: a
/// cycle designed through the API, then read by its organizer, its stage members and an outsider signed in through the
/// /signin form; the designer's checks of a draft given in its address; "my cycles".
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CyclePagesTests(ApiFixture api)
{
    /// <summary>Organizer founder 0; stage 1 (supplier, 1,000) founder 1, stage 2 (mason, 2,500) founder 2; a 5,000 boat.</summary>
    private async Task<(ApiCommunity C, string Organizer, string[] Stages, string CycleId)> DesignedAsync()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var organizer = c.Founders[0];
        string[] stages = [c.Founders[1], c.Founders[2]];
        var response = await (await c.As(organizer)).PostAsJsonAsync("/api/cycles", new
        {
            operationId = TestCommunity.Unique("cy"),
            communityId = c.Id,
            product = "A fishing boat",
            productValue = 5_000m,
            stages = new[] { new { role = "supplier", memberId = stages[0], marketPrice = 1_000m }, new { role = "mason", memberId = stages[1], marketPrice = 2_500m } },
        });
        var designed = await ApiCommunity.Expect(response, HttpStatusCode.Created);
        return (c, organizer, stages, (string)designed["id"]!);
    }

    [Fact]
    public async Task The_cycle_page_shows_the_stages_their_figures_and_the_diagram_as_text_with_each_persons_action()
    {
        var (c, organizer, stages, id) = await DesignedAsync();

        using var browser = await SignInAsync(organizer);
        var page = await PageAsync(browser, $"/cycles/{id}");
        var text = WebUtility.HtmlDecode(page);
        Assert.DoesNotContain("data-refusal", page, StringComparison.Ordinal);
        Assert.Contains("A fishing boat", text, StringComparison.Ordinal);
        Assert.Contains("data-field=\"cycle-state\">recruiting<", page, StringComparison.Ordinal);
        // The stages in order, with the figures of rules 18-19 at the community's 20 %: 800 and 2,000, saving 200 then 700.
        var table = Between(page, "data-list=\"stages\"", "</table>");
        Assert.True(table.IndexOf($"data-member=\"{stages[0]}\"", StringComparison.Ordinal) < table.IndexOf($"data-member=\"{stages[1]}\"", StringComparison.Ordinal));
        Assert.Contains("1. supplier", WebUtility.HtmlDecode(table), StringComparison.Ordinal);
        Assert.Contains("data-figure=\"cycle-price\">800.00<", table, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"cycle-price\">2,000.00<", table, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"cumulative-saving\">700.00<", table, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"share\">28.57 %<", table, StringComparison.Ordinal); // 800 / 2,800
        Assert.Contains("data-figure=\"total-cycle\">2,800.00<", table, StringComparison.Ordinal);
        Assert.Contains("waiting to join", text, StringComparison.Ordinal);
        // The diagram's text form: the stages, then the organizer, each with the last event number it shows.
        Assert.Matches("data-node-id=\"stage-0\" data-kind=\"waiting\" data-seq=\"1\"", page);
        Assert.Matches("data-node-id=\"stage-1\" data-kind=\"waiting\" data-seq=\"1\"", page);
        Assert.Matches("data-node-id=\"organizer\" data-kind=\"organizer\" data-seq=\"1\"", page);
        Assert.True(page.IndexOf("data-node-id=\"stage-1\"", StringComparison.Ordinal) < page.IndexOf("data-node-id=\"organizer\"", StringComparison.Ordinal));
        Assert.Contains("deal 800.00", text, StringComparison.Ordinal);
        // The organizer waits for the stages; it has no stage to join.
        Assert.Contains("You can start once every stage has joined", text, StringComparison.Ordinal);
        Assert.DoesNotContain("data-action=\"join-", page, StringComparison.Ordinal);
        Assert.Contains("data-live=\"connecting\"", page, StringComparison.Ordinal); // not live before the page is interactive

        // A stage's member is asked to join its own stage only.
        using var member = await SignInAsync(stages[0]);
        var memberPage = await PageAsync(member, $"/cycles/{id}");
        Assert.Contains("data-action=\"join-0\"", memberPage, StringComparison.Ordinal);
        Assert.DoesNotContain("data-action=\"join-1\"", memberPage, StringComparison.Ordinal);
        Assert.DoesNotContain("data-action=\"start\"", memberPage, StringComparison.Ordinal);

        // Both join and the organizer starts (through the API): the page shows stage 1 as the current one.
        for (var i = 0; i < stages.Length; i++)
            await ApiCommunity.OkAsync(await (await c.As(stages[i])).PostAsync($"/api/cycles/{id}/stages/{i}/join", null));
        var started = await ApiCommunity.OkAsync(await (await c.As(organizer)).PostAsync($"/api/cycles/{id}/start", null));
        var seq = (long)started["lastEventSeq"]!;
        var running = await PageAsync(browser, $"/cycles/{id}");
        Assert.Contains("data-field=\"cycle-state\">running<", running, StringComparison.Ordinal);
        Assert.Matches($"data-node-id=\"stage-0\" data-kind=\"current\" data-seq=\"{seq}\"", running);
        Assert.Matches($"data-node-id=\"stage-1\" data-kind=\"waiting\" data-seq=\"{seq}\"", running);
    }

    [Fact]
    public async Task The_cycle_pages_refuse_a_member_of_another_community_and_send_a_visitor_to_sign_in()
    {
        var (_, _, _, id) = await DesignedAsync();
        var other = await ApiCommunity.CreateAsync(api, founderDeposit: 0);

        using var outsider = await SignInAsync(other.Founders[0]);
        var page = await PageAsync(outsider, $"/cycles/{id}");
        Assert.Contains("data-refusal", page, StringComparison.Ordinal);
        Assert.Contains("Only members of community", WebUtility.HtmlDecode(page), StringComparison.Ordinal);
        Assert.DoesNotContain("A fishing boat", page, StringComparison.Ordinal);
        Assert.DoesNotContain("data-list=\"stages\"", page, StringComparison.Ordinal);

        var missing = WebUtility.HtmlDecode(await PageAsync(outsider, "/cycles/cy-nothing-here"));
        Assert.Contains("There is no synergy cycle 'cy-nothing-here'.", missing, StringComparison.Ordinal);

        using var anonymous = Open(api);
        foreach (var path in new[] { "/cycles", "/cycles/new", $"/cycles/{id}" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
                $"{path}: expected a redirect, got {(int)response.StatusCode}");
            Assert.Equal("/signin", PathOf(response.Headers.Location));
        }
    }

    [Fact]
    public async Task The_designer_names_every_problem_of_a_bad_draft_next_to_its_field()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        using var browser = await SignInAsync(c.Founders[0]);

        var page = await PageAsync(browser, "/cycles/new?product=&value=abc&discount=120&stage=supplier:sam:-5&stage=::");
        var text = WebUtility.HtmlDecode(page);
        Assert.Contains("data-problems", page, StringComparison.Ordinal);
        Assert.Contains("Name the product the cycle makes", text, StringComparison.Ordinal);
        Assert.Contains("'abc' is not an amount: write the product's expected value like 8000 or 8000.50.", text, StringComparison.Ordinal);
        Assert.Contains("The stage discount must be at least 0 % and below 100 % (got 120 %).", text, StringComparison.Ordinal);
        Assert.Contains("The market price of stage 1 must be greater than zero (got -5).", text, StringComparison.Ordinal);
        Assert.Contains("Stage 2: say what it produces", text, StringComparison.Ordinal);
        Assert.Contains("Stage 2: enter the id of the member who does it.", text, StringComparison.Ordinal);
        Assert.Contains("Enter the market price of stage 2.", text, StringComparison.Ordinal);
        // Each message under its field, the field marked invalid.
        Assert.Matches("id=\"cycle-value\"[^>]*class=\"invalid\"", page);
        Assert.Matches("id=\"stage-0-price\"[^>]*class=\"invalid\"", page);
        Assert.DoesNotMatch("id=\"stage-0-role\"[^>]*class=\"invalid\"", page);
        Assert.DoesNotContain("data-list=\"stages\"", page, StringComparison.Ordinal); // no preview of a bad draft

        // A rule of the cycle itself: the organizer cannot take the last stage.
        var last = WebUtility.HtmlDecode(await PageAsync(browser, $"/cycles/new?product=Boat&value=100&stage=supplier:{c.Founders[1]}:10&stage=mason:{c.Founders[0]}:10"));
        Assert.Contains("the organizer cannot take the last stage", last, StringComparison.Ordinal);

        // A good draft: no problem, the preview with the figures of SynergyMath at the community's 20 %.
        var good = await PageAsync(browser, $"/cycles/new?product=Boat&value=5000&stage=supplier:{c.Founders[1]}:1000&stage=mason:{c.Founders[2]}:2500");
        Assert.DoesNotContain("data-problems", good, StringComparison.Ordinal);
        Assert.DoesNotContain("data-field-problem", good, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"cycle-price\">800.00<", good, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"cycle-price\">2,000.00<", good, StringComparison.Ordinal);
        Assert.Contains("data-figure=\"part\">1,428.57<", good, StringComparison.Ordinal);
        Assert.Contains("Design the cycle", WebUtility.HtmlDecode(good), StringComparison.Ordinal);

        // An empty form does not greet the member with errors.
        var empty = await PageAsync(browser, "/cycles/new");
        Assert.DoesNotContain("data-field-problem", empty, StringComparison.Ordinal);
        Assert.Contains("<label for=\"cycle-product\">", empty, StringComparison.Ordinal);
        Assert.Contains("Empty: your community's discount, 20 %.", WebUtility.HtmlDecode(empty), StringComparison.Ordinal);
    }

    [Fact]
    public async Task My_cycles_lists_the_cycles_I_organize_and_those_I_work_in()
    {
        var (c, organizer, stages, id) = await DesignedAsync();

        using var org = await SignInAsync(organizer);
        var mine = await PageAsync(org, "/cycles");
        Assert.Contains($"data-cycle=\"{id}\"", Between(mine, "data-list=\"organized\"", "</table>"), StringComparison.Ordinal);
        Assert.DoesNotContain("data-list=\"working\"", mine, StringComparison.Ordinal);
        Assert.Contains($"href=\"/cycles/{id}\"", mine, StringComparison.Ordinal);
        Assert.Contains("href=\"/cycles\"", mine, StringComparison.Ordinal); // the top bar's link

        using var worker = await SignInAsync(stages[1]);
        var working = Between(await PageAsync(worker, "/cycles"), "data-list=\"working\"", "</table>");
        Assert.Contains($"data-cycle=\"{id}\"", working, StringComparison.Ordinal);
        Assert.Contains("stage 2 (mason, 2,000.00)", WebUtility.HtmlDecode(working), StringComparison.Ordinal);
        Assert.Contains("join your stage", working, StringComparison.Ordinal);

        using var bystander = await SignInAsync(await c.SignUpAsync("by"));
        Assert.DoesNotContain(id, await PageAsync(bystander, "/cycles"), StringComparison.Ordinal);
    }

    // ---- A browser ----------------------------------------------------------------------------------

    private async Task<HttpClient> SignInAsync(string memberId)
    {
        var browser = Open(api);
        await PageBrowser.SignInAsync(browser, memberId);
        return browser;
    }


    private static string Between(string html, string start, string end)
    {
        var from = html.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"The page has no {start}.");
        var to = html.IndexOf(end, from, StringComparison.Ordinal);
        return html[from..to];
    }
}
