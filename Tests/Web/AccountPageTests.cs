using System.Net;
using System.Text.Json;
using OrleansGuarantee.Dashboard.Components.Account;
using OrleansGuarantee.Tests.Api;

using static OrleansGuarantee.Tests.Web.PageBrowser;

namespace OrleansGuarantee.Tests.Web;

/// <summary>The member's account page, over HTTP against the real front door and a test cluster.</summary>
[Collection(ApiCollection.Name)]
public sealed class AccountPageTests(ApiFixture api)
{
    [Fact]
    public async Task A_member_signs_in_through_the_form_and_sees_status_and_balance_on_the_account_page()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var member = await c.SignUpAsync("acct", deposit: 1234.56m);
        await c.GuaranteeAsync(c.Founders[0], member, 500m);
        var reason = (string)(await c.MemberAsync(member))["statusReason"]!;
        Assert.StartsWith("Candidate", reason, StringComparison.Ordinal);

        using var browser = Open(api);

        // Without the cookie the page sends the visitor to sign in.
        var anonymous = await browser.GetAsync("/account");
        Assert.True(anonymous.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
            $"Expected a redirect, got {(int)anonymous.StatusCode}");
        Assert.Equal("/signin", PathOf(anonymous.Headers.Location));

        // Sign in through the page's own form, as a browser would.
        var signIn = await SignInAsync(browser, member);
        Assert.Equal("/account", PathOf(signIn.Headers.Location));

        var page = await browser.GetAsync("/account");
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)page.StatusCode}: {html}");
        var text = WebUtility.HtmlDecode(html);
        Assert.Contains(reason, text, StringComparison.Ordinal);
        Assert.Matches("data-figure=\"balance\">1,234\\.56<", html);
        Assert.Matches("data-figure=\"free\">1,234\\.56<", html);
        Assert.Contains(c.Founders[0], text, StringComparison.Ordinal); // the guarantor
        Assert.Contains("<label for=\"deposit-amount\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"note error\"", html, StringComparison.Ordinal); // no load or action error shown
    }

    [Fact]
    public async Task The_account_snapshot_survives_the_json_round_trip_from_prerendering_to_the_interactive_page()
    {
        // The page carries what it read while prerendering to the interactive page as JSON ([PersistentState]).
        var c = await ApiCommunity.CreateAsync(api);
        var provider = await c.ActiveMemberAsync("prov", deposit: 500);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500);
        var id = (string)(await c.ProposeAsync(provider, provider, consumer, 300))["id"]!;
        await ApiCommunity.OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{id}/accept", null));

        var me = await api.Grains.GetGrain<IMemberGrain>(provider).Get();
        var deal = await api.Grains.GetGrain<IDealGrain>(id).Get();
        var snapshot = new AccountSnapshot(me, [deal], [GuaranteeRequester.From(me)], DateTimeOffset.UtcNow);

        var json = JsonSerializer.Serialize(snapshot, JsonSerializerOptions.Web);
        var back = JsonSerializer.Deserialize<AccountSnapshot>(json, JsonSerializerOptions.Web)!;

        Assert.Equal(JsonSerializer.Serialize(back, JsonSerializerOptions.Web), json);
        Assert.Equal(me.Deposit.Free, back.Me.Deposit.Free);
        Assert.Equal(deal.Cover.Count, back.Deals[0].Cover.Count);
        Assert.Equal(DealState.Accepted, back.Deals[0].State);
    }

    [Fact]
    public async Task A_form_retried_after_a_timeout_keeps_its_operation_id_and_a_refusal_or_success_lets_it_go()
    {
        var state = new ActionState();
        var operation = new PendingOperation();
        var used = new List<string>();
        Task<string> Submit(string fields, Exception? failure)
        {
            used.Add(operation.IdFor(fields));
            return failure is null ? Task.FromResult("done") : Task.FromException<string>(failure);
        }
        var log = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        await state.RunAsync(() => Submit("deposit 100", new TimeoutException()), log, operation);
        Assert.Equal(ActionOutcome.Uncertain, state.Outcome);
        await state.RunAsync(() => Submit("deposit 100", new GuaranteeException(ErrorKind.Interrupted, "operation-interrupted", "interrupted")), log, operation);
        await state.RunAsync(() => Submit("deposit 100", new InvalidOperationException("boom")), log, operation);
        Assert.Equal(ActionOutcome.Failed, state.Outcome);
        Assert.DoesNotContain("boom", state.Message, StringComparison.Ordinal); // a generic message, not the exception's
        await state.RunAsync(() => Submit("deposit 100", null), log, operation);
        Assert.Equal(ActionOutcome.Succeeded, state.Outcome);
        Assert.Single(used.Distinct()); // every retry of the same submission reused the first id

        await state.RunAsync(() => Submit("deposit 100", null), log, operation);
        Assert.NotEqual(used[0], used[^1]); // after success, the next submission is a new operation

        await state.RunAsync(() => Submit("withdraw 5", new TimeoutException()), log, operation);
        await state.RunAsync(() => Submit("withdraw 6", GuaranteeException.Conflict("insufficient-free", "not enough")), log, operation);
        Assert.NotEqual(used[^2], used[^1]); // changed fields: a different submission
        Assert.Equal(ActionOutcome.Refused, state.Outcome);
        Assert.Equal("not enough", state.Message);
        Assert.False(operation.IsPending); // a definite refusal drops the id
    }
}
