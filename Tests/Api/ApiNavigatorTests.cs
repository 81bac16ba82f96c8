using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>The navigator endpoints: paths (as the member only) and cycle proposals (members and operators).</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiNavigatorTests(ApiFixture api)
{
    [Fact]
    public async Task Paths_over_http_as_the_member_only()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var (a, b, d) = (await c.SignUpAsync("a"), await c.SignUpAsync("b"), await c.SignUpAsync("d"));
        await c.ContactAsync(a, b);
        await c.ContactAsync(b, d);
        await c.GuaranteeAsync(c.Founders[0], a, 400m);
        var client = await c.As(a);

        var paths = (await OkAsync(await client.GetAsync($"/api/members/{a}/paths?to={d}&maxHops=6&limit=5"))).AsArray();
        var path = Assert.Single(paths)!;
        Assert.Equal([a, b, d], path["memberIds"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal([0m, 0m], path["strengths"]!.AsArray().Select(Dec).ToArray());
        Assert.Equal(2, (int)path["hops"]!);

        var guarantor = Assert.Single((await OkAsync(await client.GetAsync($"/api/members/{a}/paths?to={c.Founders[0]}"))).AsArray())!;
        Assert.Equal([400m], guarantor["strengths"]!.AsArray().Select(Dec).ToArray());

        // Everyone signed up through ApiCommunity offers masonry: the nearest providers first.
        var bySkill = (await OkAsync(await client.GetAsync($"/api/members/{a}/paths?skill=masonry"))).AsArray();
        Assert.Equal([a, b], bySkill[0]!["memberIds"]!.AsArray().Select(n => (string)n!).ToArray());

        await ExpectProblem(await (await c.As(b)).GetAsync($"/api/members/{a}/paths?to={d}"), HttpStatusCode.Forbidden, "not-yourself");
        await ExpectProblem(await client.GetAsync($"/api/members/{a}/paths?to={d}&maxHops=9"), HttpStatusCode.BadRequest, "invalid-max-hops");
        await ExpectProblem(await client.GetAsync($"/api/members/{a}/paths?to={d}&limit=0"), HttpStatusCode.BadRequest, "invalid-limit");
        await ExpectProblem(await client.GetAsync($"/api/members/{a}/paths"), HttpStatusCode.BadRequest, "invalid-target");
        await ExpectProblem(await client.GetAsync($"/api/members/{a}/paths?to=nobody-{a}"), HttpStatusCode.NotFound, "member-not-found");
    }

    [Fact]
    public async Task Cycle_proposals_are_listed_for_members_and_operators()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var a = await c.SignUpAsync("a"); // offers masonry, needs timber
        var b = await c.SignUpAsync("b");
        await OkAsync(await (await c.As(b)).PutAsJsonAsync($"/api/members/{b}/profile",
            new { name = "Member b", offers = new[] { "timber" }, needs = new[] { "masonry" } }));

        var proposals = (await OkAsync(await (await c.As(a)).GetAsync($"/api/communities/{c.Id}/cycle-proposals?maxLength=6&limit=20"))).AsArray();
        var loop = Assert.Single(proposals)!;
        var hops = loop["hops"]!.AsArray();
        Assert.Equal(2, hops.Count);
        var byMember = hops.ToDictionary(h => (string)h!["memberId"]!, h => ((string)h!["offers"]!, (string)h!["toMemberId"]!));
        Assert.Equal(("masonry", b), byMember[a]);
        Assert.Equal(("timber", a), byMember[b]);

        var asOperator = (await OkAsync(await c.Operator.GetAsync($"/api/communities/{c.Id}/cycle-proposals"))).AsArray();
        Assert.Single(asOperator);

        await ExpectProblem(await (await c.As(a)).GetAsync($"/api/communities/{c.Id}/cycle-proposals?maxLength=1"), HttpStatusCode.BadRequest, "invalid-max-length");
        var other = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        await ExpectProblem(await (await other.As(other.Founders[0])).GetAsync($"/api/communities/{c.Id}/cycle-proposals"), HttpStatusCode.Forbidden, "other-community");
    }

    [Fact]
    public async Task A_member_of_a_proposed_loop_turns_it_into_a_draft_cycle_in_one_action()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var a = await c.SignUpAsync("a"); // offers masonry, needs timber
        var b = await c.SignUpAsync("b");
        var d = await c.SignUpAsync("d");
        await OkAsync(await (await c.As(b)).PutAsJsonAsync($"/api/members/{b}/profile", new { name = "Member b", offers = new[] { "timber" }, needs = new[] { "glass" } }));
        await OkAsync(await (await c.As(d)).PutAsJsonAsync($"/api/members/{d}/profile", new { name = "Member d", offers = new[] { "glass" }, needs = new[] { "masonry" } }));

        var loop = Assert.Single((await OkAsync(await (await c.As(b)).GetAsync($"/api/communities/{c.Id}/cycle-proposals"))).AsArray())!;
        var hops = loop["hops"]!.AsArray().Select(h => new { memberId = (string)h!["memberId"]!, offers = (string)h["offers"]!, toMemberId = (string)h["toMemberId"]! }).ToArray();
        var operationId = Guid.NewGuid().ToString("N");
        var request = new { operationId, communityId = c.Id, hops, marketPrice = 120m };

        var created = await Expect(await (await c.As(b)).PostAsJsonAsync("/api/cycles/from-proposal", request), HttpStatusCode.Created);
        Assert.Equal(b, (string)created["organizerId"]!);
        Assert.Equal("recruiting", (string)created["state"]!);
        var stages = created["stages"]!.AsArray();
        // Starts at the organizer's own hop; the last stage (d gives glass) delivers to the organizer.
        Assert.Equal([b, a, d], stages.Select(s => (string)s!["memberId"]!).ToArray());
        Assert.Equal(["timber", "masonry", "glass"], stages.Select(s => (string)s!["role"]!).ToArray());
        Assert.All(stages, s => Assert.Equal(120m, Dec(s!["marketPrice"])));
        Assert.Equal(360m, Dec(created["productValue"]));

        // The same operation again is the same draft; the cycle is readable and its stages can be joined.
        var again = await Expect(await (await c.As(b)).PostAsJsonAsync("/api/cycles/from-proposal", request), HttpStatusCode.Created);
        Assert.Equal((string)created["id"]!, (string)again["id"]!);
        var joined = await OkAsync(await (await c.As(a)).PostAsync($"/api/cycles/{(string)created["id"]!}/stages/1/join", null));
        Assert.True((bool)joined["stages"]![1]!["joined"]!);

        // Refusals: someone outside the loop, a loop that no longer holds, a broken loop, the operator, ambiguous prices.
        var outsider = await c.SignUpAsync("o");
        await ExpectProblem(await (await c.As(outsider)).PostAsJsonAsync("/api/cycles/from-proposal", request with { operationId = Guid.NewGuid().ToString("N") }), HttpStatusCode.Forbidden, "not-in-loop");
        await ExpectProblem(await c.Operator.PostAsJsonAsync("/api/cycles/from-proposal", request), HttpStatusCode.Forbidden, "operator-cannot-act");
        await ExpectProblem(await (await c.As(b)).PostAsJsonAsync("/api/cycles/from-proposal",
            new { communityId = c.Id, hops = hops.Take(2).ToArray(), marketPrice = 10m }), HttpStatusCode.BadRequest, "invalid-loop");
        await ExpectProblem(await (await c.As(b)).PostAsJsonAsync("/api/cycles/from-proposal",
            new { communityId = c.Id, hops, marketPrice = 10m, marketPrices = new[] { 1m, 2m, 3m } }), HttpStatusCode.BadRequest, "ambiguous-prices");
        await OkAsync(await (await c.As(d)).PutAsJsonAsync($"/api/members/{d}/profile", new { name = "Member d", offers = new[] { "glass" }, needs = new[] { "paint" } }));
        await ExpectProblem(await (await c.As(b)).PostAsJsonAsync("/api/cycles/from-proposal", request with { operationId = Guid.NewGuid().ToString("N") }),
            HttpStatusCode.Conflict, "loop-out-of-date");
    }
}
