using System.Net;
using System.Net.Http.Json;
using OrleansGuarantee.Tests.Cluster;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>POST /api/members/{id}/debts/{toMemberId}/repayments: rule 16 over HTTP.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiDebtRepaymentTests(ApiFixture api)
{
    [Fact]
    public async Task A_member_repays_a_guarantor_that_paid_for_it_once_per_operationId_and_only_for_itself()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (f0, f1, f2) = (c.Founders[0], c.Founders[1], c.Founders[2]);
        var p = await c.ActiveMemberAsync("p", deposit: 100m, limit: 500m);
        var deal = await c.AcceptedDealAsync(p, f2, 300m);
        await OkAsync(await (await c.As(f2)).PostAsJsonAsync($"/api/deals/{deal}/claims",
            new { operationId = TestCommunity.Unique("claim"), damage = 300m, reason = "nothing delivered" }));
        await OkAsync(await (await c.As(p)).PostAsync($"/api/deals/{deal}/claims/admit", null));
        var debts = (await c.MemberAsync(p))["debts"]!.AsArray();
        Assert.Equal(100m, Dec(debts.Single(d => (string?)d!["toMemberId"] == f0)!["amount"]));
        await c.DepositAsync(p, 150m);

        var path = $"/api/members/{p}/debts/{f0}/repayments";
        var body = new { operationId = TestCommunity.Unique("repay"), amount = 60m };
        var first = await OkAsync(await (await c.As(p)).PostAsJsonAsync(path, body));
        var again = await OkAsync(await (await c.As(p)).PostAsJsonAsync(path, body));
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Equal(40m, Dec((await c.MemberAsync(p))["debts"]!.AsArray().Single(d => (string?)d!["toMemberId"] == f0)!["amount"]));

        var ledger = await c.LedgerAsync();
        await ExpectProblem(await (await c.As(f1)).PostAsJsonAsync(path, new { operationId = "x1", amount = 10m }), HttpStatusCode.Forbidden, "not-yourself");
        using (var anonymous = api.Anonymous())
            await ExpectProblem(await anonymous.PostAsJsonAsync(path, new { operationId = "x2", amount = 10m }), HttpStatusCode.Unauthorized, "not-signed-in");
        await ExpectProblem(await (await c.As(p)).PostAsJsonAsync(path, new { operationId = "x3", amount = 0m }), HttpStatusCode.BadRequest, "invalid-amount");
        await ExpectProblem(await (await c.As(p)).PostAsJsonAsync(path, new { operationId = "x4", amount = 40.01m }), HttpStatusCode.BadRequest, "above-debt");
        await ExpectProblem(await (await c.As(p)).PostAsJsonAsync($"/api/members/{p}/debts/{f2}/repayments", new { operationId = "x5", amount = 1m }),
            HttpStatusCode.Conflict, "no-debt");
        Assert.Equal(ledger.ToJsonString(), (await c.LedgerAsync()).ToJsonString());
        Assert.Equal(Dec(ledger["deposited"]) - Dec(ledger["withdrawn"]), Dec(ledger["sumOfBalances"]));
    }
}
