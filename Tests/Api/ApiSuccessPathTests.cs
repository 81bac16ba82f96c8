using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OrleansGuarantee.Tests.Cluster;
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
        var members = await AllAsync(c.ActiveMemberAsync("prov", deposit: 500), c.ActiveMemberAsync("cons", deposit: 500));
        var (provider, consumer) = (members[0], members[1]);

        var deal = await c.ProposeAsync(provider, provider, consumer, 800);
        var id = (string)deal["id"]!;
        Assert.Equal("proposed", (string?)deal["state"]);

        var accepted = await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{id}/accept", null));
        Assert.Equal("accepted", (string?)accepted["state"]);
        Assert.Equal(1600m, accepted["cover"]!.AsArray().Sum(h => Dec(h!["amount"])));

        var delivered = await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{id}/confirm", null));
        Assert.Equal("delivered", (string?)delivered["state"]);
        Assert.Equal([provider], delivered["confirmedBy"]!.AsArray().Select(n => (string)n!));
        var done = await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{id}/confirm", null));
        Assert.Equal("completed", (string?)done["state"]);
        Assert.Equal("completed", (string?)(await c.DealAsync(id, provider))["state"]);

        var ledger = await c.LedgerAsync();
        Assert.Equal(31_000m, Dec(ledger["deposited"]));
        Assert.Equal(31_000m, Dec(ledger["sumOfBalances"]));
        Assert.Equal(0m, Dec(ledger["sumOfHeld"]));
        foreach (var m in new[] { provider, consumer, c.Founders[0], c.Founders[1] })
            Assert.Equal(0m, Dec((await c.MemberAsync(m))["deposit"]!["held"]));
    }

    // ---- Identity -----------------------------------------------------------------------------

    [Fact]
    public async Task Tokens_are_issued_for_the_operator_key_and_for_a_members_password()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        using var anonymous = api.Anonymous();

        var forOperator = await OkAsync(await anonymous.PostAsJsonAsync("/api/auth/token", new { operatorKey = ApiFixture.OperatorKey }));
        var forMember = await OkAsync(await anonymous.PostAsJsonAsync("/api/auth/token", new { memberId = c.Founders[0], password = Password }));

        foreach (var (token, who) in new[] { (forOperator, "operator"), (forMember, "member") })
        {
            Assert.False(string.IsNullOrEmpty((string?)token["accessToken"]), $"the {who} token has no accessToken");
            Assert.True(token["expiresIn"]!.GetValue<long>() > 0, $"the {who} token does not expire in the future");
        }

        // Each token works, as what it stands for.
        using var asOperator = api.Anonymous();
        asOperator.DefaultRequestHeaders.Authorization = new("Bearer", (string)forOperator["accessToken"]!);
        Assert.Equal(c.Id, (string?)(await OkAsync(await asOperator.GetAsync($"/api/communities/{c.Id}")))["id"]);
        using var asMember = api.Anonymous();
        asMember.DefaultRequestHeaders.Authorization = new("Bearer", (string)forMember["accessToken"]!);
        var self = await OkAsync(await asMember.PostAsJsonAsync($"/api/members/{c.Founders[0]}/deposits", new { operationId = "first", amount = 10m }));
        Assert.Equal(10m, Dec(self["balance"]));
    }

    // ---- Communities --------------------------------------------------------------------------

    [Fact]
    public async Task Creating_a_community_answers_201_with_its_settings_and_the_settings_take_effect()
    {
        var @operator = await api.OperatorAsync();
        var id = TestCommunity.Unique("c");
        var founders = Enumerable.Range(1, 3).Select(i => TestCommunity.Unique($"f{i}")).ToList();
        var settings = new
        {
            requiredGuarantors = 1, coverageRatio = 0.5m, stageDiscount = 0.25m,
            verdictWindowSeconds = 60, appealWindowSeconds = 120, maxArbitrationLevels = 4,
        };
        var response = await @operator.PostAsJsonAsync("/api/communities", new
        {
            id, name = "Settings community",
            founders = founders.Select(f => new { id = f, name = $"Founder {f}", password = Password }),
            settings,
        });
        var created = await Expect(response, HttpStatusCode.Created);
        Assert.Equal($"/api/communities/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(id, (string?)created["id"]);
        Assert.Equal(founders, created["founders"]!.AsArray().Select(f => (string)f!["id"]!));
        AssertSettings(settings, created["settings"]!);
        AssertSettings(settings, (await OkAsync(await @operator.GetAsync($"/api/communities/{id}")))["settings"]!);

        // requiredGuarantors = 1: one guarantee makes a member active; coverageRatio = 0.5: half the value is held.
        var m = await SignUpIn(id, "one");
        await RequestAndAcceptAsync(api, m, founders[0], limit: 100);
        Assert.Equal("active", (string?)(await OkAsync(await @operator.GetAsync($"/api/members/{m}")))["status"]);

        var provider = await api.MemberAsync(founders[1], Password);
        await OkAsync(await provider.PostAsJsonAsync($"/api/members/{founders[1]}/deposits", new { operationId = "d1", amount = 1000m }));
        var consumer = await api.MemberAsync(founders[2], Password);
        await OkAsync(await consumer.PostAsJsonAsync($"/api/members/{founders[2]}/deposits", new { operationId = "d1", amount = 1000m }));
        var deal = await Expect(await provider.PostAsJsonAsync("/api/deals", new
        {
            operationId = "deal-1", providerId = founders[1], consumerId = founders[2], value = 400m, description = "half cover",
            dueAt = DateTimeOffset.UtcNow.AddDays(1),
        }), HttpStatusCode.Created);
        var accepted = await OkAsync(await consumer.PostAsync($"/api/deals/{deal["id"]}/accept", null));
        foreach (var party in new[] { founders[1], founders[2] })
            Assert.Equal(400m * 0.5m, accepted["cover"]!.AsArray().Where(h => (string?)h!["forParty"] == party).Sum(h => Dec(h!["amount"])));

        // Without settings, a community has the defaults of CommunitySettings.
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var defaults = await OkAsync(await @operator.GetAsync($"/api/communities/{c.Id}"));
        Assert.Equal(CommunitySettings.Default.RequiredGuarantors, (int)defaults["settings"]!["requiredGuarantors"]!);
        Assert.Equal(CommunitySettings.Default.CoverageRatio, Dec(defaults["settings"]!["coverageRatio"]));

        static void AssertSettings(object sent, JsonNode answered)
        {
            foreach (var p in sent.GetType().GetProperties())
                Assert.True(Convert.ToDecimal(p.GetValue(sent)) == Dec(answered[p.Name]), $"setting {p.Name}: sent {p.GetValue(sent)}, answered {answered[p.Name]}");
        }

        async Task<string> SignUpIn(string communityId, string name)
        {
            var memberId = TestCommunity.Unique(name);
            using var anonymous = api.Anonymous();
            await Expect(await anonymous.PostAsJsonAsync($"/api/communities/{communityId}/members",
                new { id = memberId, name, password = Password }), HttpStatusCode.Created);
            return memberId;
        }
    }

    private static async Task RequestAndAcceptAsync(ApiFixture api, string ward, string guarantor, decimal limit)
    {
        var asWard = await api.MemberAsync(ward, Password);
        await OkAsync(await asWard.PostAsJsonAsync($"/api/members/{ward}/guarantee-requests", new { operationId = "r", guarantorId = guarantor }));
        var asGuarantor = await api.MemberAsync(guarantor, Password);
        await OkAsync(await asGuarantor.PostAsJsonAsync($"/api/members/{guarantor}/guarantees", new { operationId = "a", wardId = ward, limit }));
    }

    [Fact]
    public async Task A_community_counts_its_members_by_status()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var suspended = (await AllAsync(c.SignUpAsync("cand"), c.ActiveMemberAsync("act"), c.ActiveMemberAsync("susp")))[2];
        await OkAsync(await (await c.As(c.Founders[0])).DeleteAsync($"/api/members/{c.Founders[0]}/guarantees/{suspended}"));

        foreach (var reader in new[] { c.Operator, await c.As(c.Founders[2]) })
        {
            var community = await OkAsync(await reader.GetAsync($"/api/communities/{c.Id}"));
            var counts = community["memberCounts"]!;
            Assert.Equal(3, (int)counts["founder"]!);
            Assert.Equal(1, (int)counts["candidate"]!);
            Assert.Equal(1, (int)counts["active"]!);
            Assert.Equal(1, (int)counts["suspended"]!);
            Assert.Equal(0, (int)counts["expelled"]!);
            Assert.Equal(6, (int)counts["total"]!);
            Assert.Equal(c.Founders, community["founders"]!.AsArray().Select(f => (string)f!["id"]!));
        }
    }

    [Fact]
    public async Task The_ledger_adds_up_deposits_withdrawals_and_holds()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        await c.DepositAsync(c.Founders[0], 700m);
        await c.DepositAsync(c.Founders[1], 300.25m);
        await OkAsync(await (await c.As(c.Founders[0])).PostAsJsonAsync($"/api/members/{c.Founders[0]}/withdrawals", new { operationId = "w", amount = 200.5m }));
        var deal = (string)(await c.ProposeAsync(c.Founders[0], c.Founders[0], c.Founders[1], 100m))["id"]!;
        await OkAsync(await (await c.As(c.Founders[1])).PostAsync($"/api/deals/{deal}/accept", null));

        foreach (var reader in new[] { c.Operator, await c.As(c.Founders[2]) })
        {
            var ledger = await OkAsync(await reader.GetAsync($"/api/communities/{c.Id}/ledger"));
            Assert.Equal(700m + 300.25m, Dec(ledger["deposited"]));
            Assert.Equal(200.5m, Dec(ledger["withdrawn"]));
            Assert.Equal(700m + 300.25m - 200.5m, Dec(ledger["sumOfBalances"]));
            Assert.Equal(200m, Dec(ledger["sumOfHeld"])); // 100 for each party, from its own deposit
            Assert.True((bool)ledger["balanced"]!);
        }
        var refreshed = await OkAsync(await c.Operator.GetAsync($"/api/communities/{c.Id}/ledger?refresh=true"));
        Assert.Equal(Dec((await c.LedgerAsync())["sumOfBalances"]), Dec(refreshed["sumOfBalances"]));
    }

    // ---- Members ------------------------------------------------------------------------------

    [Fact]
    public async Task Self_sign_up_needs_no_token_and_makes_a_candidate_who_can_sign_in()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var id = TestCommunity.Unique("new");
        using var anonymous = api.Anonymous();
        var response = await anonymous.PostAsJsonAsync($"/api/communities/{c.Id}/members", new
        {
            id, name = "  New Member ", password = Password, offers = new[] { "masonry", "Masonry" }, needs = new[] { "timber" }, location = "Almaty",
        });
        var member = await Expect(response, HttpStatusCode.Created);
        Assert.Equal($"/api/members/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(id, (string?)member["id"]);
        Assert.Equal(c.Id, (string?)member["communityId"]);
        Assert.Equal("candidate", (string?)member["status"]);
        Assert.Equal("New Member", (string?)member["name"]);                       // trimmed
        Assert.Equal(["masonry"], member["offers"]!.AsArray().Select(o => (string)o!)); // one of each, ignoring case
        Assert.Equal(0m, Dec(member["deposit"]!["balance"]));
        Assert.Empty(member["guarantors"]!.AsArray());

        var self = await c.MemberAsync(id); // signs in with the password given at sign-up
        Assert.Equal("candidate", (string?)self["status"]);
        Assert.Equal(c.Founders.Count + 1, (int)(await c.LedgerAsync())["members"]!);
    }

    [Fact]
    public async Task A_member_is_seen_in_full_by_itself_its_guarantors_and_operators_and_in_part_by_other_members()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ward = await c.SignUpAsync("ward", deposit: 42m);
        await c.GuaranteeAsync(c.Founders[0], ward, 100m);

        foreach (var (reader, who) in new[] { (await c.As(ward), "itself"), (await c.As(c.Founders[0]), "its guarantor"), (c.Operator, "the operator") })
        {
            var full = await OkAsync(await reader.GetAsync($"/api/members/{ward}"));
            Assert.True(full["deposit"] is not null, $"{who} should see the deposit");
            Assert.Equal(42m, Dec(full["deposit"]!["balance"]));
            Assert.NotNull(full["debts"]);
        }

        var @public = await OkAsync(await (await c.As(c.Founders[1])).GetAsync($"/api/members/{ward}"));
        Assert.Null(@public["deposit"]);
        Assert.Null(@public["debts"]);
        Assert.Null(@public["holds"]);
        Assert.Equal("Member ward", (string?)@public["name"]);
        Assert.Equal("candidate", (string?)@public["status"]);
        Assert.Equal(["masonry"], @public["offers"]!.AsArray().Select(o => (string)o!));
        Assert.Equal(["timber"], @public["needs"]!.AsArray().Select(o => (string)o!));
        Assert.Equal([c.Founders[0]], @public["guarantors"]!.AsArray().Select(g => (string)g!["memberId"]!));
        Assert.NotNull(@public["wards"]);
    }

    [Fact]
    public async Task A_member_changes_its_profile()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var m = await c.SignUpAsync("prof");
        var updated = await OkAsync(await (await c.As(m)).PutAsJsonAsync($"/api/members/{m}/profile", new
        {
            name = "Renamed", offers = new[] { "carpentry", "roofing" }, needs = new[] { "bricks" }, location = "Almaty",
        }));
        Assert.Equal("Renamed", (string?)updated["name"]);

        var seen = await OkAsync(await (await c.As(c.Founders[0])).GetAsync($"/api/members/{m}"));
        Assert.Equal("Renamed", (string?)seen["name"]);
        Assert.Equal(["carpentry", "roofing"], seen["offers"]!.AsArray().Select(o => (string)o!));
        Assert.Equal(["bricks"], seen["needs"]!.AsArray().Select(o => (string)o!));
        Assert.Equal("Almaty", (string?)seen["location"]);
    }

    [Fact]
    public async Task Deposits_and_withdrawals_move_the_members_free_balance()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var m = await c.SignUpAsync("money");
        var client = await c.As(m);

        var afterDeposit = await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/deposits", new { operationId = "d", amount = 250.5m }));
        Assert.Equal(250.5m, Dec(afterDeposit["balance"]));
        Assert.Equal(250.5m, Dec(afterDeposit["free"]));
        var afterWithdrawal = await OkAsync(await client.PostAsJsonAsync($"/api/members/{m}/withdrawals", new { operationId = "w", amount = 100.25m }));
        Assert.Equal(250.5m - 100.25m, Dec(afterWithdrawal["balance"]));
        Assert.Equal(250.5m - 100.25m, Dec(afterWithdrawal["free"]));
        Assert.Equal(100.25m, Dec(afterWithdrawal["withdrawn"]));

        var member = await c.MemberAsync(m);
        Assert.Equal(250.5m - 100.25m, Dec(member["deposit"]!["balance"]));
        Assert.Equal(["deposit", "withdraw"], member["recentEntries"]!.AsArray().Select(e => (string)e!["kind"]!));
        var ledger = await c.LedgerAsync();
        Assert.Equal(250.5m, Dec(ledger["deposited"]));
        Assert.Equal(100.25m, Dec(ledger["withdrawn"]));
        Assert.Equal(250.5m - 100.25m, Dec(ledger["sumOfBalances"]));
    }

    // ---- Guarantees ---------------------------------------------------------------------------

    [Fact]
    public async Task A_guarantee_is_requested_listed_and_accepted_and_two_make_the_ward_active()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ward = await c.SignUpAsync("ward");
        var (g1, g2) = (c.Founders[0], c.Founders[1]);

        var request = await c.RequestGuaranteeAsync(ward, g1);
        Assert.Equal("requested", (string?)request["state"]);
        Assert.Equal(g1, (string?)request["guarantorId"]);
        Assert.Equal(ward, (string?)request["wardId"]);

        var waiting = await OkAsync(await (await c.As(g1)).GetAsync($"/api/members/{g1}/guarantee-requests"));
        Assert.Equal([ward], waiting.AsArray().Select(w => (string)w!["wardId"]!));
        Assert.Equal("candidate", (string?)waiting[0]!["status"]);
        Assert.Equal("Member ward", (string?)waiting[0]!["name"]);

        var accepted = await c.AcceptGuaranteeAsync(g1, ward, 300m);
        Assert.Equal("accepted", (string?)accepted["state"]);
        Assert.Equal(300m, Dec(accepted["limit"]));
        Assert.Empty((await OkAsync(await (await c.As(g1)).GetAsync($"/api/members/{g1}/guarantee-requests"))).AsArray());
        Assert.Equal("candidate", (string?)(await c.MemberAsync(ward))["status"]); // one of two

        await c.RequestGuaranteeAsync(ward, g2);
        await c.AcceptGuaranteeAsync(g2, ward, 500m);
        var member = await c.MemberAsync(ward);
        Assert.Equal("active", (string?)member["status"]);
        Assert.Equal([(g1, 300m), (g2, 500m)], member["guarantors"]!.AsArray()
            .Select(g => ((string)g!["memberId"]!, Dec(g["limit"]))).OrderBy(g => g.Item1, StringComparer.Ordinal));
        Assert.Equal([ward], (await c.MemberAsync(g1))["wards"]!.AsArray().Select(w => (string)w!["memberId"]!));
    }

    [Fact]
    public async Task A_guarantor_declines_a_request()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ward = await c.SignUpAsync("ward");
        var g = c.Founders[0];
        await c.RequestGuaranteeAsync(ward, g);

        var declined = await OkAsync(await (await c.As(g)).PostAsync($"/api/members/{g}/guarantee-requests/{ward}/decline", null));
        Assert.Equal("declined", (string?)declined["state"]);
        Assert.Empty((await OkAsync(await (await c.As(g)).GetAsync($"/api/members/{g}/guarantee-requests"))).AsArray());
        var member = await c.MemberAsync(ward);
        Assert.Equal("candidate", (string?)member["status"]);
        Assert.Empty(member["guarantors"]!.AsArray());
        Assert.Empty(member["guaranteeRequestsSent"]!.AsArray());
    }

    [Fact]
    public async Task Withdrawing_a_guarantee_suspends_the_ward_and_repeating_it_changes_nothing()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var ward = await c.ActiveMemberAsync("ward");
        var g = c.Founders[0];
        var client = await c.As(g);

        var first = await OkAsync(await client.DeleteAsync($"/api/members/{g}/guarantees/{ward}"));
        Assert.Equal("withdrawn", (string?)first["state"]);
        var member = await c.MemberAsync(ward);
        Assert.Equal("suspended", (string?)member["status"]);
        Assert.True((bool)member["guarantors"]!.AsArray().Single(x => (string?)x!["memberId"] == g)!["withdrawn"]!);

        var before = await c.SnapshotAsync([ward, g]);
        var again = await OkAsync(await client.DeleteAsync($"/api/members/{g}/guarantees/{ward}"));
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Empty(Changes(before, await c.SnapshotAsync([ward, g])));
    }

    // ---- Contacts -----------------------------------------------------------------------------

    [Fact]
    public async Task A_contact_is_established_once_both_sides_ask()
    {
        var c = await ApiCommunity.CreateAsync(api, founderDeposit: 0);
        var (a, b) = (c.Founders[0], await c.SignUpAsync("b"));

        var asked = await OkAsync(await (await c.As(a)).PostAsJsonAsync($"/api/members/{a}/contacts", new { memberId = b }));
        Assert.False((bool)asked["established"]!);
        Assert.Equal(b, (string?)asked["otherMemberId"]);
        Assert.Equal([a], (await c.MemberAsync(b))["contactRequestsReceived"]!.AsArray().Select(x => (string)x!));
        Assert.Empty((await c.MemberAsync(a))["contacts"]!.AsArray());

        var answered = await OkAsync(await (await c.As(b)).PostAsJsonAsync($"/api/members/{b}/contacts", new { memberId = a }));
        Assert.True((bool)answered["established"]!);
        Assert.True((bool)answered["askedByOther"]!);
        Assert.Equal([b], (await c.MemberAsync(a))["contacts"]!.AsArray().Select(x => (string)x!));
        Assert.Equal([a], (await c.MemberAsync(b))["contacts"]!.AsArray().Select(x => (string)x!));
    }

    // ---- Deals --------------------------------------------------------------------------------

    [Fact]
    public async Task A_proposed_deal_is_answered_201_read_by_both_parties_and_listed_most_recent_first()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (provider, consumer) = (c.Founders[0], c.Founders[1]);
        var dueAt = DateTimeOffset.UtcNow.AddDays(3);
        var response = await (await c.As(consumer)).PostAsJsonAsync("/api/deals", new
        {
            operationId = "first", providerId = provider, consumerId = consumer, value = 123.45m, description = "a wall", dueAt,
        });
        var deal = await Expect(response, HttpStatusCode.Created);
        var id = (string)deal["id"]!;
        Assert.Equal($"/api/deals/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("proposed", (string?)deal["state"]);
        Assert.Equal(provider, (string?)deal["providerId"]);
        Assert.Equal(consumer, (string?)deal["consumerId"]);
        Assert.Equal(consumer, (string?)deal["proposedBy"]);
        Assert.Equal(c.Id, (string?)deal["communityId"]);
        Assert.Equal(123.45m, Dec(deal["value"]));
        Assert.Equal(dueAt, deal["dueAt"]!.GetValue<DateTimeOffset>());
        Assert.Empty(deal["cover"]!.AsArray());

        foreach (var reader in new[] { provider, consumer })
            Assert.Equal(deal.ToJsonString(), (await c.DealAsync(id, reader)).ToJsonString());
        Assert.Equal(id, (string?)(await OkAsync(await c.Operator.GetAsync($"/api/deals/{id}")))["id"]);

        var second = (string)(await c.ProposeAsync(provider, provider, consumer, 10m))["id"]!;
        foreach (var party in new[] { provider, consumer })
        {
            var listed = await OkAsync(await (await c.As(party)).GetAsync($"/api/members/{party}/deals"));
            Assert.Equal([second, id], listed.AsArray().Select(d => (string)d!["id"]!));
        }
    }

    [Fact]
    public async Task Accepting_a_deal_holds_each_partys_cover_from_its_deposit_then_its_guarantors()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var members = await AllAsync(c.ActiveMemberAsync("prov", deposit: 300m, limit: 1_000m), c.ActiveMemberAsync("cons", deposit: 1_000m));
        var (provider, consumer) = (members[0], members[1]);
        var id = (string)(await c.ProposeAsync(provider, provider, consumer, 800m))["id"]!;

        var accepted = await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{id}/accept", null));
        Assert.Equal("accepted", (string?)accepted["state"]);
        var cover = accepted["cover"]!.AsArray()
            .Select(h => ((string)h!["memberId"]!, Dec(h["amount"]), (string)h["forParty"]!))
            .OrderBy(h => h.Item1, StringComparer.Ordinal).ToList();
        // The provider's 300 first, the other 500 from its two guarantors in proportion to their equal
        // capacities (limit 1000 each, deposits 10000); the consumer covers itself.
        var expected = new[]
        {
            (provider, 300m, provider), (c.Founders[0], 250m, provider), (c.Founders[1], 250m, provider), (consumer, 800m, consumer),
        }.OrderBy(h => h.Item1, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, cover);
        Assert.Equal(cover, (await c.DealAsync(id, provider))["cover"]!.AsArray()
            .Select(h => ((string)h!["memberId"]!, Dec(h["amount"]), (string)h["forParty"]!)).OrderBy(h => h.Item1, StringComparer.Ordinal));

        Assert.Equal(1_600m, Dec((await c.LedgerAsync())["sumOfHeld"]));
        Assert.Equal(250m, Dec((await c.MemberAsync(c.Founders[0]))["deposit"]!["held"]));
        Assert.Equal(0m, Dec((await c.MemberAsync(provider))["deposit"]!["free"]));
    }

    [Fact]
    public async Task Insufficient_cover_is_refused_409_with_the_shortfalls_and_holds_nothing()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var members = await AllAsync(c.ActiveMemberAsync("prov", deposit: 0m, limit: 100m), c.ActiveMemberAsync("cons", deposit: 1_000m));
        var (provider, consumer) = (members[0], members[1]);
        var id = (string)(await c.ProposeAsync(provider, provider, consumer, 800m))["id"]!;
        var before = await c.SnapshotAsync([provider, consumer, c.Founders[0], c.Founders[1]]);

        var problem = await ExpectProblem(await (await c.As(consumer)).PostAsync($"/api/deals/{id}/accept", null),
            HttpStatusCode.Conflict, "insufficient-cover");
        var shortfall = Assert.Single(problem["shortfalls"]!.AsArray())!;
        Assert.Equal(provider, (string?)shortfall["memberId"]);
        Assert.Equal("provider", (string?)shortfall["party"]);
        Assert.Equal(800m, Dec(shortfall["required"]));
        Assert.Equal(800m - 2 * 100m, Dec(shortfall["missing"])); // its guarantors stand behind it for 100 each
        Assert.Contains(provider, (string)problem["title"]!);

        Assert.Empty(Changes(before, await c.SnapshotAsync([provider, consumer, c.Founders[0], c.Founders[1]])));
        Assert.Equal("proposed", (string?)(await c.DealAsync(id, provider))["state"]);
    }

    [Fact]
    public async Task Either_party_cancels_a_deal_before_it_is_accepted()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (provider, consumer) = (c.Founders[0], c.Founders[1]);
        foreach (var canceller in new[] { provider, consumer })
        {
            var id = (string)(await c.ProposeAsync(provider, provider, consumer, 50m))["id"]!;
            var cancelled = await OkAsync(await (await c.As(canceller)).PostAsync($"/api/deals/{id}/cancel", null));
            Assert.Equal("cancelled", (string?)cancelled["state"]);
            Assert.Equal("cancelled", (string?)(await c.DealAsync(id, provider == canceller ? consumer : provider))["state"]);
        }
        Assert.Equal(0m, Dec((await c.LedgerAsync())["sumOfHeld"]));
    }

    // ---- Documentation and health -------------------------------------------------------------

    [Fact]
    public async Task The_openapi_document_lists_the_api_paths()
    {
        using var anonymous = api.Anonymous();
        var document = await OkAsync(await anonymous.GetAsync("/openapi/v1.json"));
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        string[] expected =
        [
            "/api/auth/token", "/api/communities", "/api/communities/{id}", "/api/communities/{id}/ledger",
            "/api/communities/{id}/members", "/api/members/{id}", "/api/members/{id}/profile", "/api/members/{id}/deposits",
            "/api/members/{id}/withdrawals", "/api/members/{id}/guarantee-requests", "/api/members/{guarantorId}/guarantees",
            "/api/members/{guarantorId}/guarantee-requests/{wardId}/decline", "/api/members/{guarantorId}/guarantees/{wardId}",
            "/api/members/{id}/contacts", "/api/members/{id}/deals", "/api/deals", "/api/deals/{id}", "/api/deals/{id}/accept",
            "/api/deals/{id}/confirm", "/api/deals/{id}/cancel",
        ];
        var missing = expected.Where(p => !paths.Contains(p)).ToList();
        Assert.True(missing.Count == 0, $"The OpenAPI document lacks {string.Join(", ", missing)}");
        Assert.DoesNotContain(paths, p => p.Contains("**", StringComparison.Ordinal)); // the catch-all is not documented
    }

    [Fact]
    public async Task Health_answers_200_without_a_token()
    {
        using var anonymous = api.Anonymous();
        var health = await OkAsync(await anonymous.GetAsync("/health"));
        Assert.Equal("Healthy", (string?)health["status"]);
    }
}
