using System.Net;
using System.Net.Http.Json;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>Every endpoint's success path, over HTTP against the test cluster.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiSuccessPathTests(ApiFixture api)
{
    [Fact]
    public async Task A_deal_goes_from_sign_up_to_completion_through_the_api()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var provider = await c.ActiveMemberAsync("prov", deposit: 500);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500);

        var deal = await c.ProposeAsync(provider, provider, consumer, 800);
        var id = (string)deal["id"]!;
        Assert.Equal("proposed", (string?)deal["state"]);

        var accepted = await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{id}/accept", null));
        Assert.Equal("accepted", (string?)accepted["state"]);
        Assert.Equal(1600m, accepted["cover"]!.AsArray().Sum(h => Dec(h!["amount"])));

        await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{id}/confirm", null));
        var done = await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{id}/confirm", null));
        Assert.Equal("completed", (string?)done["state"]);

        var ledger = await c.LedgerAsync();
        Assert.Equal(31_000m, Dec(ledger["deposited"]));
        Assert.Equal(31_000m, Dec(ledger["sumOfBalances"]));
        Assert.Equal(0m, Dec(ledger["sumOfHeld"]));
    }
}
