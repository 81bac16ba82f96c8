using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>
/// Repeating a call with the same operationId returns the first answer and has one effect; the same
/// operationId with other terms is refused (operation-id-reused) and changes nothing.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiIdempotencyTests(ApiFixture api)
{
    [Fact]
    public async Task A_repeated_deposit_answers_the_first_answer_and_deposits_once()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var m = await c.SignUpAsync("dep", deposit: 100m);
        var client = await c.As(m);
        var deposited = Dec((await c.LedgerAsync())["deposited"]);

        var first = await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/deposits", new { operationId = "pay-1", amount = 25.5m }));
        var again = await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/deposits", new { operationId = "pay-1", amount = 25.5m }));
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Equal(125.5m, Dec(first["balance"]));

        // Even after another movement, the repeat answers what the first call answered.
        await c.DepositAsync(m, 10m);
        var later = await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/deposits", new { operationId = "pay-1", amount = 25.5m }));
        Assert.Equal(first.ToJsonString(), later.ToJsonString());

        Assert.Equal(100m + 25.5m + 10m, Dec((await c.MemberAsync(m))["deposit"]!["balance"]));
        Assert.Equal(deposited + 25.5m + 10m, Dec((await c.LedgerAsync())["deposited"]));
        Assert.Single((await c.MemberAsync(m))["recentEntries"]!.AsArray(), e => (string?)e!["operationId"] == "pay-1");
    }

    [Fact]
    public async Task A_repeated_withdrawal_answers_the_first_answer_and_withdraws_once()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var m = await c.SignUpAsync("wd", deposit: 100m);
        var client = await c.As(m);

        var first = await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/withdrawals", new { operationId = "out-1", amount = 60m }));
        // A second withdrawal of 60 would fail (only 40 is free); the repeat is answered, not retried.
        var again = await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/withdrawals", new { operationId = "out-1", amount = 60m }));
        Assert.Equal(first.ToJsonString(), again.ToJsonString());

        Assert.Equal(40m, Dec((await c.MemberAsync(m))["deposit"]!["balance"]));
        var ledger = await c.LedgerAsync();
        Assert.Equal(60m, Dec(ledger["withdrawn"]));
        Assert.Equal(40m, Dec(ledger["sumOfBalances"]));
    }

    [Fact]
    public async Task An_operation_id_reused_for_other_money_terms_is_refused_and_changes_nothing()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var m = await c.SignUpAsync("reuse", deposit: 500m);
        var client = await c.As(m);
        await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/deposits", new { operationId = "op-1", amount = 100m }));
        var before = await c.SnapshotAsync([m]);

        await ExpectProblem(await client.PostAsJsonAsync($"/api/members/{m}/deposits", new { operationId = "op-1", amount = 200m }),
            HttpStatusCode.Conflict, "operation-id-reused");
        await ExpectProblem(await client.PostAsJsonAsync($"/api/members/{m}/withdrawals", new { operationId = "op-1", amount = 100m }),
            HttpStatusCode.Conflict, "operation-id-reused");

        Assert.Empty(Changes(before, await c.SnapshotAsync([m])));
    }

    [Fact]
    public async Task A_repeated_guarantee_request_answers_the_same_and_is_waiting_once()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ward = await c.SignUpAsync("ward");
        var g = c.Founders[0];

        var first = await c.RequestGuaranteeAsync(ward, g, "ask-1");
        var again = await c.RequestGuaranteeAsync(ward, g, "ask-1");
        Assert.Equal(first.ToJsonString(), again.ToJsonString());

        var waiting = await OkAsync(await (await c.As(g)).GetAsync($"/api/members/{g}/guarantee-requests"));
        Assert.Equal([ward], waiting.AsArray().Select(w => (string)w!["wardId"]!));
        Assert.Equal([g], (await c.MemberAsync(ward))["guaranteeRequestsSent"]!.AsArray().Select(x => (string)x!));

        // A new operation id for the same request is a second request, refused while the first waits.
        var before = await c.SnapshotAsync([ward, g]);
        await ExpectProblem(await (await c.As(ward)).PostAsJsonAsync($"/api/members/{ward}/guarantee-requests", new { operationId = "ask-2", guarantorId = g }),
            HttpStatusCode.Conflict, "duplicate-request");
        Assert.Empty(Changes(before, await c.SnapshotAsync([ward, g])));
    }

    [Fact]
    public async Task A_repeated_guarantee_acceptance_answers_the_same_and_guarantees_once()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ward = await c.SignUpAsync("ward");
        var (g1, g2) = (c.Founders[0], c.Founders[1]);
        await c.RequestGuaranteeAsync(ward, g1, "ask");

        var first = await c.AcceptGuaranteeAsync(g1, ward, 300m, "yes-1");
        var again = await c.AcceptGuaranteeAsync(g1, ward, 300m, "yes-1");
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Equal("candidate", (string?)(await c.MemberAsync(ward))["status"]); // one guarantor, not two

        await c.RequestGuaranteeAsync(ward, g2);
        await c.AcceptGuaranteeAsync(g2, ward, 500m);
        var later = await c.AcceptGuaranteeAsync(g1, ward, 300m, "yes-1");
        Assert.Equal(first.ToJsonString(), later.ToJsonString());

        var member = await c.MemberAsync(ward);
        Assert.Equal("active", (string?)member["status"]);
        Assert.Equal([(g1, 300m), (g2, 500m)], member["guarantors"]!.AsArray()
            .Select(x => ((string)x!["memberId"]!, Dec(x["limit"]))).OrderBy(x => x.Item1, StringComparer.Ordinal));
        Assert.Single((await c.MemberAsync(g1))["wards"]!.AsArray());
    }

    [Fact]
    public async Task A_guarantee_operation_id_reused_for_other_terms_is_refused_and_changes_nothing()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ward = await c.SignUpAsync("ward");
        var g = c.Founders[0];
        await c.RequestGuaranteeAsync(ward, g, "ask");
        var before = await c.SnapshotAsync([ward, g]);

        // The guarantor answers with the id the ward used for its request: that is not an acceptance.
        await ExpectProblem(await (await c.As(g)).PostAsJsonAsync($"/api/members/{g}/guarantees", new { operationId = "ask", wardId = ward, limit = 300m }),
            HttpStatusCode.Conflict, "operation-id-reused");
        Assert.Empty(Changes(before, await c.SnapshotAsync([ward, g])));

        await c.AcceptGuaranteeAsync(g, ward, 300m, "yes");
        before = await c.SnapshotAsync([ward, g]);
        await ExpectProblem(await (await c.As(g)).PostAsJsonAsync($"/api/members/{g}/guarantees", new { operationId = "yes", wardId = ward, limit = 900m }),
            HttpStatusCode.Conflict, "operation-id-reused");
        Assert.Empty(Changes(before, await c.SnapshotAsync([ward, g])));
        Assert.Equal(300m, Dec((await c.MemberAsync(ward))["guarantors"]![0]!["limit"]));
    }

    [Fact]
    public async Task A_repeated_deal_proposal_answers_the_same_deal_which_is_listed_once()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (provider, consumer) = (c.Founders[0], c.Founders[1]);
        var body = ProposalBody(provider, consumer, 75m, DateTimeOffset.UtcNow.AddDays(2));
        var proposer = await c.As(provider);

        var first = await Expect(await proposer.PostAsJsonAsync("/api/deals", body), HttpStatusCode.Created);
        var again = await Expect(await proposer.PostAsJsonAsync("/api/deals", body), HttpStatusCode.Created);
        Assert.Equal(first.ToJsonString(), again.ToJsonString());

        foreach (var party in new[] { provider, consumer })
        {
            var listed = await OkAsync(await (await c.As(party)).GetAsync($"/api/members/{party}/deals"));
            Assert.Equal([(string)first["id"]!], listed.AsArray().Select(d => (string)d!["id"]!));
        }
    }

    [Fact]
    public async Task A_deal_operation_id_reused_for_other_terms_is_refused_and_changes_nothing()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (provider, consumer, third) = (c.Founders[0], c.Founders[1], c.Founders[2]);
        var dueAt = DateTimeOffset.UtcNow.AddDays(2);
        var proposer = await c.As(provider);
        var deal = await Expect(await proposer.PostAsJsonAsync("/api/deals", ProposalBody(provider, consumer, 75m, dueAt)), HttpStatusCode.Created);
        var members = new[] { provider, consumer, third };
        var before = await c.SnapshotAsync(members, [((string)deal["id"]!, provider)]);

        foreach (var (what, other) in new (string, object)[]
        {
            ("value", ProposalBody(provider, consumer, 80m, dueAt)),
            ("consumer", ProposalBody(provider, third, 75m, dueAt)),
            ("due date", ProposalBody(provider, consumer, 75m, dueAt.AddDays(1))),
            ("description", ProposalBody(provider, consumer, 75m, dueAt, "another wall")),
        })
        {
            var response = await proposer.PostAsJsonAsync("/api/deals", other);
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"other {what}, same operationId: got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await ExpectProblem(response, HttpStatusCode.Conflict, "operation-id-reused");
        }
        Assert.Empty(Changes(before, await c.SnapshotAsync(members, [((string)deal["id"]!, provider)])));
    }

    private static JsonObject ProposalBody(string provider, string consumer, decimal value, DateTimeOffset dueAt, string description = "a wall") => new()
    {
        ["operationId"] = "same-op",
        ["providerId"] = provider,
        ["consumerId"] = consumer,
        ["value"] = value,
        ["description"] = description,
        ["dueAt"] = dueAt,
    };
}
