using System.Net;
using OrleansGuarantee.Tests.Api;

using static OrleansGuarantee.Tests.Web.PageBrowser;

namespace OrleansGuarantee.Tests.Web;

/// <summary>The navigator page, prerendered over HTTP: a chain asked for in the address, and the proposed loops with
/// the draft-cycle form only for the loop's own members.</summary>
[Collection(ApiCollection.Name)]
public sealed class NavigatorPageTests(ApiFixture api)
{
    [Fact]
    public async Task The_chain_and_the_loops_are_shown_with_their_relations_and_the_draft_form_only_to_loop_members()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var (a, b, d, outsider) = (await c.SignUpAsync("a"), await c.SignUpAsync("b"), await c.SignUpAsync("d"), await c.SignUpAsync("o"));
        await c.ContactAsync(a, b);
        var founder = c.Founders[0];
        await c.GuaranteeAsync(founder, b, 300m);
        await c.OffersAsync(b, ["timber"], ["glass"]);
        await c.OffersAsync(d, ["glass"], ["masonry"]); // a offers masonry and needs timber: a → d → b → a
        await c.OffersAsync(outsider, ["paint"], ["paint"]);

        using var browser = Open(api);
        await SignInAsync(browser, a);
        var page = await PageAsync(browser, $"/navigator?to={founder}");
        var text = WebUtility.HtmlDecode(page);
        Assert.Contains($"data-path=\"{a}&gt;{b}&gt;{founder}\"", page, StringComparison.Ordinal);
        Assert.Contains($"you → (contact) {b} → (guarantee 300.00) {founder}", text, StringComparison.Ordinal);
        Assert.Contains($"{b} → {founder}: guarantee 300.00", text, StringComparison.Ordinal); // the diagram's text form
        Assert.Contains($"href=\"/members/{founder}\"", page, StringComparison.Ordinal);

        Assert.Contains($"data-loop=\"{string.Join("&gt;", Canonical(a, d, b))}\"", page, StringComparison.Ordinal);
        Assert.Contains($"{a} offers masonry to {d}", text, StringComparison.Ordinal);
        Assert.Contains("data-form=\"draft\"", page, StringComparison.Ordinal);
        Assert.Contains("Create draft cycle", text, StringComparison.Ordinal);

        using var other = Open(api);
        await SignInAsync(other, outsider);
        var outsiderPage = WebUtility.HtmlDecode(await PageAsync(other, $"/navigator?skill=glass"));
        Assert.DoesNotContain("data-form=\"draft\"", outsiderPage, StringComparison.Ordinal);
        Assert.Contains("You are not in this loop", outsiderPage, StringComparison.Ordinal);
        Assert.Contains("No chain of at most 6 hops reaches members offering glass", outsiderPage, StringComparison.Ordinal);

        var bad = WebUtility.HtmlDecode(await PageAsync(browser, $"/navigator?to=nobody-{a}"));
        Assert.Contains($"There is no member 'nobody-{a}'", bad, StringComparison.Ordinal);
    }

    /// <summary>A loop as proposals write it: from its ordinal-smallest member, in the order the work flows.</summary>
    private static IEnumerable<string> Canonical(params string[] ring)
    {
        var start = Array.IndexOf(ring, ring.Min(StringComparer.Ordinal));
        return Enumerable.Range(0, ring.Length).Select(k => ring[(start + k) % ring.Length]);
    }

}
