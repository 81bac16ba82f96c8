using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OrleansGuarantee.Tests.Browser;

/// <summary>
/// The member's pages driven for real in Chromium, with the other people (founders, the other party of a deal, a
/// judge) acting through the API as other clients: signing up, getting guaranteed, depositing, proposing and
/// accepting deals, reporting a defect, and a judge voting on the disputed claim.
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
public sealed partial class AccountPageTests(BrowserSystem system, ITestOutputHelper output)
{
    private ApiClient Api => system.Api;

    [Fact]
    public async Task A_newcomer_signs_up_gets_guaranteed_by_two_founders_and_deposits_through_the_page()
    {
        output.WriteLine($"system started in {system.StartupTime.TotalSeconds:0.0}s");
        var (f1, f2) = (system.Founders[0], system.Founders[1]);
        var id = BrowserSystem.Unique("nina");
        await using var session = await system.OpenAsync("newcomer", output);
        var page = session.Page;
        await session.RunAsync(async () =>
        {
            // Sign up: the form is a plain HTML form, it works before the page is interactive.
            await page.GotoAsync("/signup");
            await page.Locator("#communityId").FillAsync(system.CommunityId);
            await page.Locator("#memberId").FillAsync(id);
            await page.Locator("#name").FillAsync("Nina Newcomer");
            await page.Locator("#password").FillAsync(BrowserSystem.Password);
            await page.Locator("#offers").FillAsync("painting, tiling");
            await page.Locator("#needs").FillAsync("timber");
            await session.ShotAsync("signup-form");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign up", Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/account");
            await Expect(page.Locator("#status .badge")).ToHaveTextAsync("candidate");
            await WaitInteractiveAsync(page);
            await session.ShotAsync("candidate");

            // Ask the first founder in the page; the founder accepts through the API (another client).
            await RequestGuaranteeAsync(page, f1);
            await Api.PostAsync(f1, $"/api/members/{f1}/guarantees", new { operationId = "browser-accept", wardId = id, limit = 500m });
            await RequestGuaranteeAsync(page, f2);
            await session.ShotAsync("requests-sent");
            await Api.PostAsync(f2, $"/api/members/{f2}/guarantees", new { operationId = "browser-accept", wardId = id, limit = 700m });

            // The page shows the new status after a refresh.
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh", Exact = true }).ClickAsync();
            await Expect(page.Locator("#status .badge")).ToHaveTextAsync("active");
            var guarantors = page.Locator("#guarantees table").First;
            await Expect(guarantors).ToContainTextAsync(f1);
            await Expect(guarantors).ToContainTextAsync(f2);
            await Expect(guarantors).ToContainTextAsync("700.00");
            await session.ShotAsync("active");

            // Deposit through the page.
            await page.Locator("#deposit-amount").FillAsync("750.25");
            await page.GetByRole(AriaRole.Button, new() { Name = "Deposit", Exact = true }).ClickAsync();
            await Expect(page.Locator("#deposit [role=status]").First).ToContainTextAsync("Deposited 750.25. Your balance is 750.25.");
            await Expect(page.Locator("[data-figure=balance]")).ToHaveTextAsync("750.25");
            await Expect(page.Locator("[data-figure=free]")).ToHaveTextAsync("750.25");
            await session.ShotAsync("deposited");
        });

        // What the page did is what the cluster holds.
        var member = await Api.GetAsync(ApiClient.Operator, $"/api/members/{id}");
        Assert.Equal("active", (string?)member["status"]);
        Assert.Equal(750.25m, member["deposit"]!["balance"]!.GetValue<decimal>());
        Assert.Equal(["painting", "tiling"], member["offers"]!.AsArray().Select(o => (string)o!));
        Assert.Equal(new[] { f1, f2 }.Order(), member["guarantors"]!.AsArray().Select(g => (string)g!["memberId"]!).Order());
    }

    [Fact]
    public async Task Deals_are_proposed_and_accepted_in_the_page_a_defect_is_reported_and_a_judge_votes_on_the_dispute()
    {
        var (f1, f2, f3) = (system.Founders[0], system.Founders[1], system.Founders[2]);
        var me = await system.ActiveMemberAsync("paul", f1, f2, deposit: 2_000m);
        var other = await system.ActiveMemberAsync("quinn", f2, f3, deposit: 2_000m, offers: ["tiling"]);
        await using var session = await system.OpenAsync("deal-claim-vote", output);
        var page = session.Page;
        string proposedId = "", acceptedId = "", caseId = "";
        await session.RunAsync(async () =>
        {
            await session.SignInAsync(me);
            await WaitInteractiveAsync(page);

            // I propose a deal as the provider; the other member accepts it through the API.
            await page.Locator("#deal-role").SelectOptionAsync("provider");
            await page.Locator("#deal-other").FillAsync(other);
            await page.Locator("#deal-value").FillAsync("300");
            await page.Locator("#deal-description").FillAsync("Painting the front door");
            await page.GetByRole(AriaRole.Button, new() { Name = "Propose deal", Exact = true }).ClickAsync();
            var proposed = page.Locator("form.propose [role=status]");
            await Expect(proposed).ToContainTextAsync("Proposed deal");
            proposedId = DealId().Match(await proposed.InnerTextAsync()).Value;
            Assert.False(string.IsNullOrEmpty(proposedId), "the message names the deal");
            await Expect(Row(page, proposedId).Locator(".badge")).ToHaveTextAsync("proposed");
            await session.ShotAsync("proposed");
            var accepted = await Api.PostAsync(other, $"/api/deals/{proposedId}/accept", null);
            Assert.Equal("accepted", (string?)accepted["state"]);
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh", Exact = true }).ClickAsync();
            await Expect(Row(page, proposedId).Locator(".badge")).ToHaveTextAsync("accepted");

            // The other member proposes a deal to me through the API; I accept it in the page.
            var theirs = await Api.PostAsync(other, "/api/deals", new
            {
                operationId = "tiles",
                providerId = other,
                consumerId = me,
                value = 400m,
                description = "Tiling the bathroom",
                dueAt = DateTimeOffset.UtcNow.AddDays(10),
            }, System.Net.HttpStatusCode.Created);
            acceptedId = (string)theirs["id"]!;
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh", Exact = true }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = $"Accept deal {acceptedId}", Exact = true }).ClickAsync();
            await Expect(page.Locator("#deals [role=status]").Filter(new() { HasText = "Deal accepted" })).ToBeVisibleAsync();
            await Expect(Row(page, acceptedId).Locator(".badge")).ToHaveTextAsync("accepted");
            await session.ShotAsync("accepted");

            // The tiles are bad: I report a defect on that deal in the page.
            await page.GetByRole(AriaRole.Button, new() { Name = $"Report a defect… on deal {acceptedId}", Exact = true }).ClickAsync();
            await page.Locator($"#claim-damage-{acceptedId}").FillAsync("150");
            await page.Locator($"#claim-reason-{acceptedId}").FillAsync("Half of the tiles are cracked.");
            await session.ShotAsync("claim-form");
            await page.GetByRole(AriaRole.Button, new() { Name = "Report defect", Exact = true }).ClickAsync();
            await Expect(page.Locator("#deals [role=status]").Filter(new() { HasText = "Defect reported" })).ToBeVisibleAsync();
            await Expect(page.Locator($"[data-claim={acceptedId}]")).ToContainTextAsync("150.00");
            await session.ShotAsync("claimed");
        });

        // The other member disputes it through the API: the guarantors of both parties judge.
        var deal = await Api.GetAsync(me, $"/api/deals/{acceptedId}");
        Assert.Equal(("claimed", 150m), ((string?)deal["state"], deal["claim"]!["damage"]!.GetValue<decimal>()));
        var opened = await Api.PostAsync(other, $"/api/deals/{acceptedId}/claims/dispute", null);
        caseId = (string)opened["id"]!;
        Assert.Equal(new[] { f1, f2, f3 }.Order(), opened["panel"]!.AsArray().Select(j => (string)j!).Order());

        // A judge (the first founder, my guarantor) finds the case in the inbox and votes in the page.
        await using var judge = await system.OpenAsync("judge-vote", output);
        var judgePage = judge.Page;
        await judge.RunAsync(async () =>
        {
            await judge.SignInAsync(f1);
            await judgePage.GotoAsync("/cases");
            var waiting = judgePage.Locator($"[data-list=awaiting-vote] tr[data-case='{caseId}']");
            await Expect(waiting).ToBeVisibleAsync();
            await judge.ShotAsync("inbox");
            await waiting.GetByRole(AriaRole.Link, new() { Name = caseId }).ClickAsync();
            await judgePage.WaitForURLAsync($"**/cases/{caseId}");
            await Expect(judgePage.Locator("[data-figure=damage]")).ToHaveTextAsync("150.00");
            var cast = judgePage.GetByRole(AriaRole.Button, new() { Name = "Cast my vote", Exact = true });
            await Expect(cast).ToBeEnabledAsync(); // interactive
            await judgePage.Locator("#vote-fault").SelectOptionAsync("provider");
            await judgePage.Locator("#vote-compensation").FillAsync("120");
            await judge.ShotAsync("vote-form");
            await cast.ClickAsync();
            await Expect(judgePage.GetByText("You voted at level 1")).ToBeVisibleAsync();
            await judge.ShotAsync("voted");
        });
        var voted = await Api.GetAsync(ApiClient.Operator, $"/api/cases/{caseId}");
        var vote = Assert.Single(voted["levels"]![0]!["votes"]!.AsArray())!;
        Assert.Equal((f1, "provider", 120m), ((string?)vote["judgeId"], (string?)vote["fault"], vote["compensation"]!.GetValue<decimal>()));
        Assert.Equal("voting", (string?)voted["state"]); // one of three judges: no majority yet

        // The claimant sees the case among its own on /cases.
        await session.RunAsync(async () =>
        {
            await page.GotoAsync("/cases");
            await Expect(page.Locator($"[data-list=mine] tr[data-case='{caseId}']")).ToContainTextAsync("claimant");
            await session.ShotAsync("my-cases");
        });
    }

    /// <summary>The account page's actions work once it is interactive; its Refresh button is enabled from then on.</summary>
    private static Task WaitInteractiveAsync(IPage page) =>
        Expect(page.GetByRole(AriaRole.Button, new() { Name = "Refresh", Exact = true })).ToBeEnabledAsync();

    private static async Task RequestGuaranteeAsync(IPage page, string guarantorId)
    {
        await page.GetByLabel("Ask a member to guarantee you").FillAsync(guarantorId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Request guarantee", Exact = true }).ClickAsync();
        await Expect(page.Locator("#guarantees ul.chips")).ToContainTextAsync(guarantorId);
    }

    /// <summary>The deals table's row of a deal (the row holding its id).</summary>
    private static ILocator Row(IPage page, string dealId) =>
        page.Locator("table.deals tbody tr").Filter(new() { Has = page.Locator("code", new() { HasTextString = dealId }) });

    [GeneratedRegex("d-[0-9a-f]+")]
    private static partial Regex DealId();
}
