using System.Net;
using System.Net.Http.Json;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>The journal over HTTP (API.md "Journal", rule 23): paged in community order, verified, community-only.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiJournalTests(ApiFixture api)
{
    [Fact]
    public async Task The_journal_pages_in_order_and_verifies_for_members_and_operators_only()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 500m);
        var m = await c.SignUpAsync("m", deposit: 75m);
        await c.GuaranteeAsync(c.Founders[0], m, 100m);
        var client = await c.As(m);

        var all = (await OkAsync(await client.GetAsync($"/api/communities/{c.Id}/journal?limit=1000"))).AsArray();
        var seqs = all.Select(e => (long)e!["seq"]!).ToList();
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        // Three founders' deposits, the member's deposit and the guarantee's request and acceptance, at least.
        Assert.Equal(4, all.Count(e => (string)e!["kind"]! == "deposit"));
        var deposit = all.Single(e => (string)e!["kind"]! == "deposit" && (string)e["data"]!["member"]! == m)!;
        Assert.Equal(75m, Dec(deposit["data"]!["amount"]));
        Assert.Matches("^[0-9a-f]{64}$", (string)deposit["hash"]!);
        Assert.Matches("^[0-9a-f]{64}$", (string)deposit["previousHash"]!);
        Assert.Contains(all, e => (string)e!["kind"]! == "guarantee-accepted" && (string)e["data"]!["ward"]! == m);

        // Paging: after the third entry, two at a time, gives the fourth and fifth.
        var page = (await OkAsync(await client.GetAsync($"/api/communities/{c.Id}/journal?after={seqs[2]}&limit=2"))).AsArray();
        Assert.Equal(seqs.Skip(3).Take(2), page.Select(e => (long)e!["seq"]!));

        var verify = await OkAsync(await client.GetAsync($"/api/communities/{c.Id}/journal/verify"));
        Assert.True((bool)verify["ok"]!);
        Assert.Equal(all.Count, (long)verify["entries"]!);
        Assert.Null(verify["firstBadSeq"]);
        Assert.True((bool)(await OkAsync(await c.Operator.GetAsync($"/api/communities/{c.Id}/journal/verify")))["ok"]!);

        var other = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        await ExpectProblem(await (await other.As(other.Founders[0])).GetAsync($"/api/communities/{c.Id}/journal"), HttpStatusCode.Forbidden, "other-community");
        await ExpectProblem(await client.GetAsync($"/api/communities/{c.Id}/journal?limit=0"), HttpStatusCode.BadRequest, "invalid-limit");
        await ExpectProblem(await client.GetAsync($"/api/communities/{c.Id}/journal?after=-1"), HttpStatusCode.BadRequest, "invalid-parameter");
        using var anonymous = api.Anonymous();
        await ExpectProblem(await anonymous.GetAsync($"/api/communities/{c.Id}/journal"), HttpStatusCode.Unauthorized, "not-signed-in");
    }
}
