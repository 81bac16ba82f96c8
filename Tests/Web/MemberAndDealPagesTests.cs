using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OrleansGuarantee.Dashboard.Diagrams;
using OrleansGuarantee.Tests.Api;
using OrleansGuarantee.Tests.Cluster;

using static OrleansGuarantee.Tests.Web.PageBrowser;

namespace OrleansGuarantee.Tests.Web;

/// <summary>
/// A member's page (public card and guarantee tree) and a deal's page (cover drawn as who holds what), prerendered
/// over HTTP against the real front door and a test cluster. Before the page is interactive the diagrams are text
/// lists (one item per node, one per arrow), which is what these tests read.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed partial class MemberAndDealPagesTests(ApiFixture api)
{
    [Fact]
    public async Task A_member_of_the_community_sees_a_members_card_and_guarantee_tree_with_guarantors_above_and_wards_below()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var member = await c.ActiveMemberAsync("tree", deposit: 1_000m, limit: 700m); // guaranteed by the first two founders
        var ward = await c.SignUpAsync("ward");
        await c.GuaranteeAsync(member, ward, 150m);
        var view = await c.MemberAsync(member, asMember: c.Founders[2]);

        using var browser = await SignedInAsync(c.Founders[2]); // a member of the community who is not in the tree
        var page = await PageAsync(browser, $"/members/{member}");
        var text = WebUtility.HtmlDecode(page);

        Assert.DoesNotContain("data-refusal", page, StringComparison.Ordinal);
        Assert.Contains($"<h1>Member tree</h1>", page, StringComparison.Ordinal);
        Assert.Matches("data-field=\"status\">active<", page);
        Assert.Contains((string)view["statusReason"]!, text, StringComparison.Ordinal);
        Assert.Matches("data-field=\"offers\">masonry<", page);
        Assert.Matches("data-field=\"guarantors\">2 guarantors ", page);
        Assert.Matches("data-field=\"wards\">1 ward ", page);

        // The tree as text: the member, each guarantor the API lists, the ward; nobody else.
        var nodes = Nodes(page);
        var guarantors = view["guarantors"]!.AsArray().Select(g => (string)g!["memberId"]!).ToList();
        Assert.Equal(guarantors.Append(member).Append(ward).Order(StringComparer.Ordinal), nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("Member tree", nodes[member], StringComparison.Ordinal);
        Assert.Contains("this member", nodes[member], StringComparison.Ordinal);
        foreach (var g in guarantors)
        {
            Assert.Contains($"Founder {g}", nodes[g], StringComparison.Ordinal);
            Assert.Contains("founder, guarantor", nodes[g], StringComparison.Ordinal);
            Assert.Contains($"href=\"/members/{g}\"", page, StringComparison.Ordinal); // a node opens its member's page
            Assert.Equal($"Founder {g} → Member tree: limit {Money(view["guarantors"]!.AsArray().Single(x => (string)x!["memberId"]! == g)!["limit"])}",
                Links(page)[$"{g}->{member}"]);
        }
        Assert.Contains("candidate, ward", nodes[ward], StringComparison.Ordinal);
        Assert.Equal("Member tree → Member ward: limit 150.00", Links(page)[$"{member}->{ward}"]);
        Assert.DoesNotContain("data-field=\"capped\"", page, StringComparison.Ordinal);

        // The member's own page, from "My account".
        using var own = await SignedInAsync(member);
        var account = await PageAsync(own, "/account");
        Assert.Contains($"href=\"/members/{member}\" data-link=\"my-tree\">My guarantee tree</a>", account, StringComparison.Ordinal);
        var mine = await PageAsync(own, $"/members/{member}");
        Assert.Contains("<h1>Member tree (you)</h1>", mine, StringComparison.Ordinal);
        Assert.Equal(nodes.Keys.Order(StringComparer.Ordinal), Nodes(mine).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_member_of_another_community_is_refused_a_members_page_and_an_operator_may_see_it()
    {
        var (c, other) = (await ApiCommunity.CreateAsync(api), await ApiCommunity.CreateAsync(api));
        var member = await c.ActiveMemberAsync("tree");

        using var stranger = await SignedInAsync(other.Founders[0]);
        var page = await PageAsync(stranger, $"/members/{member}");
        Assert.Matches("<div class=\"note error\" role=\"alert\" data-refusal", page);
        Assert.Contains($"{member} is a member of another community.", WebUtility.HtmlDecode(page), StringComparison.Ordinal);
        Assert.Empty(Nodes(page));
        Assert.DoesNotContain("<h1>Member tree</h1>", page, StringComparison.Ordinal); // the member's name
        Assert.DoesNotContain("data-field=\"status\"", page, StringComparison.Ordinal);

        // No such member: the service's answer, not a crash.
        var missing = WebUtility.HtmlDecode(await PageAsync(stranger, "/members/nobody-here"));
        Assert.Contains("There is no member 'nobody-here'.", missing, StringComparison.Ordinal);

        using var @operator = Open(api);
        await SignInAsOperatorAsync(@operator);
        var seen = await PageAsync(@operator, $"/members/{member}");
        Assert.DoesNotContain("data-refusal", seen, StringComparison.Ordinal);
        Assert.Equal(c.Founders.Take(2).Append(member).Order(StringComparer.Ordinal), Nodes(seen).Keys.Order(StringComparer.Ordinal));

        using var anonymous = Open(api);
        foreach (var path in new[] { $"/members/{member}", "/deals/d-0123" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
                $"{path}: expected a redirect, got {(int)response.StatusCode}");
            Assert.Equal("/signin", PathOf(response.Headers.Location));
        }
    }

    [Fact]
    public async Task A_party_and_a_guarantor_holding_cover_see_the_deal_with_who_holds_what_and_others_are_refused()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var other = await ApiCommunity.CreateAsync(api);
        // The provider covers part of its performance itself; the consumer has nothing free: its guarantors hold it all.
        var ids = await ApiCommunity.AllAsync(c.ActiveMemberAsync("prov", deposit: 100m), c.ActiveMemberAsync("cons"));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        var cover = (await c.DealAsync(deal, provider))["cover"]!.AsArray()
            .Select(h => (Member: (string)h!["memberId"]!, Amount: h["amount"]!.GetValue<decimal>(), ForParty: (string)h["forParty"]!,
                Via: (string?)h["viaWardId"], Level: h["level"]!.GetValue<int>()))
            .ToList();
        Assert.Contains(cover, h => h.Level == 0 && h.Member == provider);
        Assert.Contains(cover, h => h.Level == 1 && h.ForParty == consumer);

        using var browser = await SignedInAsync(consumer);
        var page = await PageAsync(browser, $"/deals/{deal}");
        Assert.DoesNotContain("data-refusal", page, StringComparison.Ordinal);
        Assert.Matches("data-figure=\"value\">300\\.00<", page);
        Assert.Matches("data-field=\"deal-state\">accepted<", page);
        Assert.Matches($"data-figure=\"cover-provider\">{Regex.Escape(Money(cover.Where(h => h.ForParty == provider).Sum(h => h.Amount)))}<", page);
        Assert.Matches($"data-figure=\"cover-consumer\">{Regex.Escape(Money(cover.Where(h => h.ForParty == consumer).Sum(h => h.Amount)))}<", page);
        Assert.Contains("href=\"/account#deals\"", page, StringComparison.Ordinal);

        // The diagram as text: the deal, both parties, every holder; an arrow per holder and ward with what it holds.
        var nodes = Nodes(page);
        Assert.Equal(cover.Select(h => h.Member).Append(provider).Append(consumer).Distinct().Append(DealCoverLayout.DealNodeId)
            .Order(StringComparer.Ordinal), nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Contains($"own deposit holds {Money(cover.Single(h => h.Level == 0 && h.Member == provider).Amount)}", nodes[provider], StringComparison.Ordinal);
        Assert.Contains("consumer", nodes[consumer], StringComparison.Ordinal);
        var links = Links(page);
        foreach (var held in cover.Where(h => h.Level > 0).GroupBy(h => (h.Member, h.Via)))
        {
            var role = held.First().ForParty == provider ? "provider" : "consumer";
            Assert.EndsWith($": holds {Money(held.Sum(h => h.Amount))} for the {role}", links[$"{held.Key.Member}->{held.Key.Via}"], StringComparison.Ordinal);
        }
        foreach (var holder in cover.Select(h => h.Member).Distinct())
            Assert.Contains($"data-hold=\"{holder}\"", page, StringComparison.Ordinal); // the table of holds

        // A guarantor holding cover sees it too; the deal is linked from the parties' account pages.
        using var guarantor = await SignedInAsync(cover.First(h => h.Level == 1).Member);
        Assert.Equal(nodes.Keys.Order(StringComparer.Ordinal), Nodes(await PageAsync(guarantor, $"/deals/{deal}")).Keys.Order(StringComparer.Ordinal));
        Assert.Contains($"href=\"/deals/{deal}\"", await PageAsync(browser, "/account"), StringComparison.Ordinal);

        // A member of the community who holds nothing for it, and a member of another community, are refused.
        foreach (var outsider in new[] { c.Founders[2], other.Founders[0] })
        {
            using var refused = await SignedInAsync(outsider);
            var refusal = await PageAsync(refused, $"/deals/{deal}");
            Assert.Matches("<div class=\"note error\" role=\"alert\" data-refusal", refusal);
            Assert.Contains("Only the deal's parties, the members covering it and operators can see it.", WebUtility.HtmlDecode(refusal), StringComparison.Ordinal);
            Assert.Empty(Nodes(refusal));
            Assert.DoesNotContain("data-figure=\"value\"", refusal, StringComparison.Ordinal);
        }

        using var @operator = Open(api);
        await SignInAsOperatorAsync(@operator);
        Assert.Equal(nodes.Keys.Order(StringComparer.Ordinal), Nodes(await PageAsync(@operator, $"/deals/{deal}")).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_case_page_draws_the_escalation_with_each_levels_judges_and_why_it_went_on()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var ids = await ApiCommunity.AllAsync(c.ActiveMemberAsync("prov", deposit: 500m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ApiCommunity.OkAsync(await (await c.As(consumer)).PostAsJsonAsync($"/api/deals/{deal}/claims",
            new { operationId = TestCommunity.Unique("claim"), damage = 120m, reason = "The roof leaks." }));
        var caseId = (string)(await ApiCommunity.OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{deal}/claims/dispute", null)))["id"]!;
        // The first panel (the parties' guarantors) splits: a tie sends the case to the founders' council.
        foreach (var (judge, fault) in new[] { (c.Founders[0], "provider"), (c.Founders[1], "consumer") })
            await ApiCommunity.OkAsync(await (await c.As(judge)).PostAsJsonAsync($"/api/cases/{caseId}/votes", new { fault, compensation = 100m }));
        var view = await api.Grains.GetGrain<IArbitrationCaseGrain>(caseId).Get();
        Assert.Equal(2, view.Levels.Count);

        using var browser = await SignedInAsync(provider);
        var page = await PageAsync(browser, $"/cases/{caseId}");
        var nodes = Nodes(page);
        var expected = view.Levels.SelectMany(l => l.Panel.Select(j => CaseEscalationLayout.JudgeNodeId(l.Level, j)).Append(CaseEscalationLayout.LevelNodeId(l.Level)));
        Assert.Equal(expected.Order(StringComparer.Ordinal), nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("voted: the provider at fault, 100.00", nodes[CaseEscalationLayout.JudgeNodeId(1, c.Founders[0])], StringComparison.Ordinal);
        Assert.Contains("voted: the consumer at fault, 100.00", nodes[CaseEscalationLayout.JudgeNodeId(1, c.Founders[1])], StringComparison.Ordinal);
        Assert.All(view.Levels[1].Panel, j => Assert.Contains("not voted yet", nodes[CaseEscalationLayout.JudgeNodeId(2, j)], StringComparison.Ordinal));
        Assert.Contains("Level 2 · council", nodes["level:2"], StringComparison.Ordinal);
        Assert.Equal("Level 1 → Level 2 · council: tie", Links(page)["level:1->level:2"]);
        Assert.Contains($"href=\"/deals/{deal}\"", page, StringComparison.Ordinal); // a party reaches the deal's page
        // The text of the levels stays as it was.
        Assert.Contains("data-level=\"2\"", page, StringComparison.Ordinal);
    }

    // ---- Reading the pages --------------------------------------------------------------------------

    private async Task<HttpClient> SignedInAsync(string memberId)
    {
        var browser = Open(api);
        await SignInAsync(browser, memberId);
        return browser;
    }


    /// <summary>The diagram's text alternative: each node's item (its text, decoded) by node id.</summary>
    private static Dictionary<string, string> Nodes(string html) =>
        NodeItem().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => Text(m.Groups[2].Value), StringComparer.Ordinal);

    /// <summary>The diagram's text alternative: each arrow's item ("From → To: label") by link id.</summary>
    private static Dictionary<string, string> Links(string html) =>
        LinkItem().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => Text(m.Groups[2].Value), StringComparer.Ordinal);

    private static string Text(string html) => Regex.Replace(WebUtility.HtmlDecode(Regex.Replace(html, "<[^>]+>", "")), "\\s+", " ").Trim();

    private static string Money(JsonNode? amount) => Money(amount!.GetValue<decimal>());

    private static string Money(decimal amount) => amount.ToString("N2", CultureInfo.InvariantCulture);

    [GeneratedRegex("<li data-node-id=\"([^\"]*)\"[^>]*>([\\s\\S]*?)</li>")]
    private static partial Regex NodeItem();

    [GeneratedRegex("<li data-link-id=\"([^\"]*)\">([\\s\\S]*?)</li>")]
    private static partial Regex LinkItem();
}
