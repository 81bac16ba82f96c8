using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using OrleansGuarantee.Tests.Api;

namespace OrleansGuarantee.Tests.Web;

/// <summary>A cookie-keeping client of the front door that signs in through the /signin page's own form, as a browser would.</summary>
public static partial class PageBrowser
{
    public static HttpClient Open(ApiFixture api) =>
        api.Web.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true, AllowAutoRedirect = false });

    /// <summary>Posts the sign-in form with the page's antiforgery token; returns the redirect it answers with.</summary>
    public static Task<HttpResponseMessage> SignInAsync(HttpClient browser, string memberId) =>
        PostSignInAsync(browser, new Dictionary<string, string> { ["Input.MemberId"] = memberId, ["Input.Password"] = ApiCommunity.Password });

    /// <summary>Signs in as the operator through the same form, with the operator key.</summary>
    public static Task<HttpResponseMessage> SignInAsOperatorAsync(HttpClient browser) =>
        PostSignInAsync(browser, new Dictionary<string, string> { ["Input.OperatorKey"] = ApiFixture.OperatorKey });

    private static async Task<HttpResponseMessage> PostSignInAsync(HttpClient browser, Dictionary<string, string> fields)
    {
        var form = await browser.GetStringAsync("/signin");
        fields["__RequestVerificationToken"] = HiddenInput(form, "__RequestVerificationToken");
        fields["_handler"] = HiddenInput(form, "_handler");
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(fields));
        Assert.True(signIn.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
            $"Expected a redirect after signing in, got {(int)signIn.StatusCode}: {await signIn.Content.ReadAsStringAsync()}");
        return signIn;
    }

    /// <summary>The prerendered page (200 expected).</summary>
    public static async Task<string> PageAsync(HttpClient browser, string path)
    {
        var response = await browser.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: expected 200, got {(int)response.StatusCode}: {html}");
        return html;
    }

    public static string PathOf(Uri? location)
    {
        Assert.NotNull(location);
        return location.IsAbsoluteUri ? location.AbsolutePath : location.OriginalString.Split('?', '#')[0];
    }

    private static string HiddenInput(string html, string name)
    {
        foreach (Match input in InputTag().Matches(html))
        {
            if (!input.Value.Contains($"name=\"{name}\"", StringComparison.Ordinal)) continue;
            var value = ValueAttribute().Match(input.Value);
            Assert.True(value.Success, $"The {name} input has no value: {input.Value}");
            return WebUtility.HtmlDecode(value.Groups[1].Value);
        }
        Assert.Fail($"The sign-in form has no {name} input.");
        return "";
    }

    [GeneratedRegex("<input[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InputTag();

    [GeneratedRegex("\\svalue=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
    private static partial Regex ValueAttribute();
}
