using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OrleansGuarantee.Tests.Cluster;
using static OrleansGuarantee.Tests.Api.ApiCommunity;

namespace OrleansGuarantee.Tests.Api;

/// <summary>
/// Claims and arbitration over HTTP (API.md "Claims and arbitration", rules 12-16): claims admitted and
/// paid from the cover, disputes decided by panels up the guarantee hierarchy to the founders' council,
/// verdicts executed with debts; who may do what; bad inputs that change nothing; repeated calls.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiArbitrationTests(ApiFixture api)
{
    private const HttpStatusCode BadRequest = HttpStatusCode.BadRequest;
    private const HttpStatusCode Forbidden = HttpStatusCode.Forbidden;
    private const HttpStatusCode NotFound = HttpStatusCode.NotFound;
    private const HttpStatusCode Conflict = HttpStatusCode.Conflict;

    // ---- Success paths ----------------------------------------------------------------------------

    [Fact]
    public async Task An_admitted_claim_pays_the_damage_from_the_cover_own_hold_first_and_releases_every_hold()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (f1, f2) = (c.Founders[0], c.Founders[1]);
        var ids = await AllAsync(c.ActiveMemberAsync("prov", deposit: 100m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m); // the provider's 300: 100 own, 100 from each founder

        var claimed = await ClaimAsync(c, consumer, deal, 250m, "The wall leans.");
        Assert.Equal("claimed", (string?)claimed["state"]);
        AssertClaim(claimed["claim"], consumer, provider, 250m, "The wall leans.", "open");
        var read = await c.DealAsync(deal, provider);
        Assert.Equal("claimed", (string?)read["state"]);
        AssertClaim(read["claim"], consumer, provider, 250m, "The wall leans.", "open");

        var settled = await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{deal}/claims/admit", null));
        Assert.Equal("settled", (string?)settled["state"]);
        Assert.Equal("admitted", (string?)settled["claim"]!["outcome"]);
        var settlement = settled["settlement"]!;
        Assert.Equal("provider", (string?)settlement["verdict"]!["fault"]);
        Assert.Equal(250m, Dec(settlement["verdict"]!["compensation"]));
        Assert.Equal(provider, (string?)settlement["payerId"]);
        Assert.Equal(250m, Dec(settlement["awarded"]));
        Assert.Equal(0m, Dec(settlement["unpaid"]));
        var payments = Payments(settlement);
        Assert.Equal((provider, consumer, 100m, 0), payments[0]); // own hold first, all of it
        Assert.Equal([(f1, consumer, 75m, 1), (f2, consumer, 75m, 1)], payments.Skip(1).OrderBy(p => p.From, StringComparer.Ordinal));
        Assert.Equal(settled.ToJsonString(), (await c.DealAsync(deal, consumer)).ToJsonString());

        Assert.Equal(500m + 250m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        Assert.Equal(0m, Dec((await c.MemberAsync(provider))["deposit"]!["balance"]));
        Assert.Equal(10_000m - 75m, Dec((await c.MemberAsync(f1))["deposit"]!["balance"]));
        Assert.Equal(10_000m - 75m, Dec((await c.MemberAsync(f2))["deposit"]!["balance"]));
        Assert.Equal([(f1, 75m), (f2, 75m)], Debts(await c.MemberAsync(provider)));
        Assert.Empty(Debts(await c.MemberAsync(consumer)));
        await AssertHoldsReleasedAsync(c, provider, consumer, f1, f2);
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 600m);
    }

    [Fact]
    public async Task A_claim_beyond_the_cover_is_paid_as_far_as_the_cover_goes_and_the_rest_is_owed_to_the_injured_party()
    {
        var c = await ApiCommunity.CreateAsync(api, settings: new { coverageRatio = 0.5m });
        var (f1, f2) = (c.Founders[0], c.Founders[1]);
        var ids = await AllAsync(c.ActiveMemberAsync("prov", deposit: 200m), c.ActiveMemberAsync("cons"));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m); // the consumer's 150 is held from f1 and f2

        // The provider is the injured party this time; the consumer admits.
        await ClaimAsync(c, provider, deal, 250m, "The goods came back broken.");
        var settled = await OkAsync(await (await c.As(consumer)).PostAsync($"/api/deals/{deal}/claims/admit", null));
        Assert.Equal("settled", (string?)settled["state"]);
        var settlement = settled["settlement"]!;
        Assert.Equal("consumer", (string?)settlement["verdict"]!["fault"]);
        Assert.Equal(consumer, (string?)settlement["payerId"]);
        Assert.Equal(250m, Dec(settlement["awarded"]));
        Assert.Equal([(f1, provider, 75m, 1), (f2, provider, 75m, 1)], Payments(settlement).OrderBy(p => p.From, StringComparer.Ordinal));
        Assert.Equal(100m, Dec(settlement["unpaid"]));

        Assert.Equal(200m + 150m, Dec((await c.MemberAsync(provider))["deposit"]!["balance"]));
        Assert.Equal([.. new[] { (f1, 75m), (f2, 75m), (provider, 100m) }.OrderBy(d => d.Item1, StringComparer.Ordinal)], Debts(await c.MemberAsync(consumer)));
        Assert.Equal("active", (string?)(await c.MemberAsync(consumer))["status"]); // it still has its guarantors
        await AssertHoldsReleasedAsync(c, provider, consumer, f1, f2);
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 200m);
    }

    [Fact]
    public async Task Compensation_paid_by_guarantors_with_long_ids_becomes_debts_to_them()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var longName = new string('g', 40); // ids of 60 characters: debt records must not be keyed by them
        var g = await AllAsync(c.ActiveMemberAsync(longName, deposit: 1_000m), c.ActiveMemberAsync(longName, deposit: 1_000m));
        var provider = await c.SignUpAsync(new string('p', 40));
        foreach (var guarantor in g) await c.GuaranteeAsync(guarantor, provider, 500m);
        var consumer = await c.ActiveMemberAsync("cons", deposit: 500m);
        Assert.All(g.Append(provider), id => Assert.Equal(60, id.Length));
        var deal = await c.AcceptedDealAsync(provider, consumer, 100m); // the provider has no deposit: its guarantors hold 50 each

        await ClaimAsync(c, consumer, deal, 100m);
        var settled = await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{deal}/claims/admit", null));
        Assert.Equal("settled", (string?)settled["state"]);
        Assert.Equal([.. g.Order(StringComparer.Ordinal).Select(x => (x, consumer, 50m, 1))], Payments(settled["settlement"]!).OrderBy(p => p.From, StringComparer.Ordinal));
        Assert.Equal([.. g.Order(StringComparer.Ordinal).Select(x => (x, 50m))], Debts(await c.MemberAsync(provider)));
        Assert.Equal(600m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        await AssertHoldsReleasedAsync(c, [provider, consumer, .. g]);
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 2_500m);
    }

    [Fact]
    public async Task A_disputed_claim_is_judged_by_the_parties_guarantors_and_a_verdict_both_accept_is_executed_with_debts()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (f1, f2, f3) = (c.Founders[0], c.Founders[1], c.Founders[2]);
        var provider = await c.ActiveMemberAsync("prov", deposit: 100m);     // guarantors f1, f2
        var consumer = await c.SignUpAsync("cons", deposit: 500m);
        await c.GuaranteeAsync(f2, consumer, 1_000m);
        await c.GuaranteeAsync(provider, consumer, 50m);                      // a party guarantees the other: it never judges
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ClaimAsync(c, consumer, deal, 250m, "The roof leaks.");

        var opened = await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{deal}/claims/dispute", null));
        var caseId = (string)opened["id"]!;
        Assert.Equal(deal, (string?)opened["dealId"]);
        Assert.Equal((provider, consumer, consumer), ((string?)opened["providerId"], (string?)opened["consumerId"], (string?)opened["claimantId"]));
        Assert.Equal(250m, Dec(opened["damage"]));
        Assert.Equal("voting", (string?)opened["state"]);
        Assert.Equal(1, (int)opened["level"]!);
        Assert.Equal([f1, f2], Panel(opened)); // the parties' guarantors f1, f2 (and the provider, who is a party)
        Assert.DoesNotContain(provider, Panel(opened));
        Assert.DoesNotContain(consumer, Panel(opened));
        Assert.False((bool)opened["levels"]![0]!["isCouncil"]!);
        Assert.Null(opened["verdict"]);
        Assert.Null(opened["appealDeadline"]);
        Assert.InRange(DateTimeOffset.Parse((string)opened["verdictDeadline"]!), DateTimeOffset.UtcNow.AddHours(71), DateTimeOffset.UtcNow.AddHours(73));

        var disputed = await c.DealAsync(deal, consumer);
        Assert.Equal("disputed", (string?)disputed["state"]);
        Assert.Equal(caseId, (string?)disputed["caseId"]);
        Assert.Equal("disputed", (string?)disputed["claim"]!["outcome"]);
        foreach (var reader in new[] { await c.As(provider), await c.As(consumer), await c.As(f1), c.Operator })
            Assert.Equal(opened.ToJsonString(), (await OkAsync(await reader.GetAsync($"/api/cases/{caseId}"))).ToJsonString());

        var afterFirst = await VoteAsync(c, f1, caseId, "provider", 200m);
        Assert.Equal("voting", (string?)afterFirst["state"]);
        Assert.Null(afterFirst["verdict"]);
        Assert.Equal([(f1, "provider", 200m)], Votes(afterFirst["levels"]![0]!));
        var decided = await VoteAsync(c, f2, caseId, "provider", 240m);
        Assert.Equal("awaitingParties", (string?)decided["state"]);
        Assert.Equal("provider", (string?)decided["verdict"]!["fault"]);
        Assert.Equal(1m, Dec(decided["verdict"]!["providerShare"]));
        Assert.Equal(220m, Dec(decided["verdict"]!["compensation"])); // the median of the majority's amounts
        Assert.Equal("decided", (string?)decided["levels"]![0]!["outcome"]);
        Assert.InRange(DateTimeOffset.Parse((string)decided["appealDeadline"]!), DateTimeOffset.UtcNow.AddHours(71), DateTimeOffset.UtcNow.AddHours(73));
        Assert.Equal("disputed", (string?)(await c.DealAsync(deal, consumer))["state"]);

        var halfAccepted = await AcceptAsync(c, provider, caseId);
        Assert.Equal("awaitingParties", (string?)halfAccepted["state"]);
        Assert.Equal([provider], halfAccepted["levels"]![0]!["acceptedBy"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(100m, Dec((await c.MemberAsync(provider))["deposit"]!["balance"])); // nothing paid yet
        await ExpectProblem(await (await c.As(provider)).PostAsync($"/api/cases/{caseId}/appeal", null), Conflict, "already-accepted");
        Assert.Equal(halfAccepted.ToJsonString(), (await CaseAsync(c, caseId, f1)).ToJsonString());

        var closed = await AcceptAsync(c, consumer, caseId);
        Assert.Equal("closed", (string?)closed["state"]);
        Assert.Equal("final", (string?)closed["levels"]![0]!["outcome"]);
        Assert.Equal(220m, Dec(closed["verdict"]!["compensation"]));
        var payments = Payments(closed["settlement"]!);
        Assert.Equal((provider, consumer, 100m, 0), payments[0]);
        Assert.Equal([(f1, consumer, 60m, 1), (f2, consumer, 60m, 1)], payments.Skip(1).OrderBy(p => p.From, StringComparer.Ordinal));

        var settled = await c.DealAsync(deal, consumer);
        Assert.Equal("settled", (string?)settled["state"]);
        Assert.Equal("decided", (string?)settled["claim"]!["outcome"]);
        Assert.Equal(closed["settlement"]!.ToJsonString(), settled["settlement"]!.ToJsonString());
        Assert.Equal(500m + 220m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        Assert.Equal([(f1, 60m), (f2, 60m)], Debts(await c.MemberAsync(provider)));
        Assert.Equal([(f1, 60m), (f2, 60m)], Debts(await c.MemberAsync(provider, asMember: f1))); // a guarantor sees its ward's debts
        await AssertHoldsReleasedAsync(c, provider, consumer, f1, f2);
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 600m);

        foreach (var m in new[] { provider, consumer, f1, f2 })
            Assert.Equal([caseId], await MemberCasesAsync(c, m));
        Assert.Empty(await MemberCasesAsync(c, f3));
        Assert.Equal([caseId], (await c.MemberAsync(f1))["cases"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public async Task In_a_community_of_founders_an_appeal_goes_to_the_founders_council_whose_verdict_is_final()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (f1, f2, f3) = (c.Founders[0], c.Founders[1], c.Founders[2]);
        var ids = await AllAsync(c.ActiveMemberAsync("prov", deposit: 100m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ClaimAsync(c, consumer, deal, 250m);
        var caseId = (string)(await DisputeAsync(c, provider, deal))["id"]!;
        await VoteAsync(c, f1, caseId, "provider", 100m);
        await VoteAsync(c, f2, caseId, "provider", 100m);

        var appealed = await AppealAsync(c, provider, caseId);
        Assert.Equal("voting", (string?)appealed["state"]);
        Assert.Equal(2, (int)appealed["level"]!);
        var first = appealed["levels"]![0]!;
        Assert.Equal(("appealed", provider), ((string?)first["outcome"], (string?)first["appealedBy"]));
        Assert.Equal(100m, Dec(first["verdict"]!["compensation"]));
        var council = appealed["levels"]![1]!;
        Assert.True((bool)council["isCouncil"]!, "the founders have no guarantors: the council sits at level 2");
        Assert.Equal(c.Founders.Order(StringComparer.Ordinal), Panel(appealed));
        Assert.Null(appealed["verdict"]);
        Assert.Equal([caseId], await MemberCasesAsync(c, f3));
        Assert.Equal("disputed", (string?)(await c.DealAsync(deal, consumer))["state"]);

        await VoteAsync(c, f3, caseId, "neither", 0m);
        var final = await VoteAsync(c, f1, caseId, "neither", 0m);
        Assert.Equal("closed", (string?)final["state"]);
        Assert.Equal("neither", (string?)final["verdict"]!["fault"]);
        Assert.Equal(0m, Dec(final["verdict"]!["compensation"]));
        Assert.Equal("final", (string?)final["levels"]![1]!["outcome"]);
        Assert.Null(final["levels"]![1]!["appealDeadline"]);
        Assert.Null((string?)final["settlement"]!["payerId"]);
        Assert.Empty(Payments(final["settlement"]!));

        // Final: no appeal, no late vote; accepting changes nothing.
        var before = await c.SnapshotAsync([provider, consumer, f1, f2, f3], [(deal, provider)]);
        await ExpectProblem(await (await c.As(consumer)).PostAsync($"/api/cases/{caseId}/appeal", null), Conflict, "appeal-window-closed");
        await ExpectProblem(await (await c.As(f2)).PostAsJsonAsync($"/api/cases/{caseId}/votes", Vote("provider", 250m)), Conflict, "voting-closed");
        Assert.Equal("closed", (string?)(await AcceptAsync(c, consumer, caseId))["state"]);
        Assert.Empty(Changes(before, await c.SnapshotAsync([provider, consumer, f1, f2, f3], [(deal, provider)])));

        var settled = await c.DealAsync(deal, provider);
        Assert.Equal("settled", (string?)settled["state"]);
        Assert.Equal(100m, Dec((await c.MemberAsync(provider))["deposit"]!["balance"]));
        Assert.Equal(500m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        Assert.Empty(Debts(await c.MemberAsync(provider)));
        await AssertHoldsReleasedAsync(c, provider, consumer, f1, f2);
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 600m);
    }

    [Fact]
    public async Task An_appeal_convenes_the_guarantors_of_the_judges_and_a_tie_there_goes_on_to_the_council()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (f1, f2, f3) = (c.Founders[0], c.Founders[1], c.Founders[2]);
        // f1, f2 -> h1, h2 -> j1, j2 -> provider, consumer
        var h = await AllAsync(c.ActiveMemberAsync("h1", deposit: 1_000m), c.ActiveMemberAsync("h2", deposit: 1_000m));
        var j = await AllAsync(c.SignUpAsync("j1", deposit: 1_000m), c.SignUpAsync("j2", deposit: 1_000m));
        foreach (var ward in j) foreach (var g in h) await c.GuaranteeAsync(g, ward, 500m);
        var p = await AllAsync(c.SignUpAsync("prov", deposit: 1_000m), c.SignUpAsync("cons", deposit: 1_000m));
        var (provider, consumer) = (p[0], p[1]);
        foreach (var ward in p) foreach (var g in j) await c.GuaranteeAsync(g, ward, 500m);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ClaimAsync(c, consumer, deal, 250m);

        var caseId = (string)(await DisputeAsync(c, provider, deal))["id"]!;
        Assert.Equal(j.Order(StringComparer.Ordinal), Panel(await CaseAsync(c, caseId, consumer)));
        await VoteAsync(c, j[0], caseId, "provider", 100m);
        await VoteAsync(c, j[1], caseId, "provider", 100m);

        var level2 = await AppealAsync(c, consumer, caseId); // the injured party wants more
        Assert.Equal(2, (int)level2["level"]!);
        Assert.False((bool)level2["levels"]![1]!["isCouncil"]!);
        Assert.Equal(h.Order(StringComparer.Ordinal), Panel(level2)); // the guarantors of level 1's judges
        Assert.Equal(consumer, (string?)level2["levels"]![0]!["appealedBy"]);
        // A judge of level 1 has had its vote; a founder does not sit at level 2.
        await ExpectProblem(await (await c.As(j[0])).PostAsJsonAsync($"/api/cases/{caseId}/votes", Vote("provider", 50m)), Conflict, "already-voted");
        await ExpectProblem(await (await c.As(f1)).PostAsJsonAsync($"/api/cases/{caseId}/votes", Vote("provider", 50m)), Forbidden, "not-a-judge");

        await VoteAsync(c, h[0], caseId, "provider", 200m);
        var level3 = await VoteAsync(c, h[1], caseId, "consumer", 0m); // a tie escalates as an appeal would
        Assert.Equal("escalated", (string?)level3["levels"]![1]!["outcome"]);
        Assert.Equal(3, (int)level3["level"]!);
        Assert.True((bool)level3["levels"]![2]!["isCouncil"]!, "the guarantors of h1 and h2 are founders only: the council sits");
        Assert.Equal(c.Founders.Order(StringComparer.Ordinal), Panel(level3));

        await VoteAsync(c, f1, caseId, "provider", 150m);
        var final = await VoteAsync(c, f2, caseId, "provider", 200m);
        Assert.Equal("closed", (string?)final["state"]);
        Assert.Equal("final", (string?)final["levels"]![2]!["outcome"]);
        Assert.Equal(175m, Dec(final["verdict"]!["compensation"]));
        Assert.Equal([(provider, consumer, 175m, 0)], Payments(final["settlement"]!)); // the provider's own hold covers it
        await ExpectProblem(await (await c.As(provider)).PostAsync($"/api/cases/{caseId}/appeal", null), Conflict, "appeal-window-closed");

        Assert.Equal("settled", (string?)(await c.DealAsync(deal, provider))["state"]);
        Assert.Equal(1_000m + 175m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        Assert.Equal(1_000m - 175m, Dec((await c.MemberAsync(provider))["deposit"]!["balance"]));
        Assert.Empty(Debts(await c.MemberAsync(provider)));
        await AssertHoldsReleasedAsync(c, [provider, consumer, .. j, .. h, f1, f2]);
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 6_000m);

        string[] everyone = [provider, consumer, .. j, .. h, f1, f2, f3];
        foreach (var m in everyone)
            Assert.True((await MemberCasesAsync(c, m)).SequenceEqual([caseId]), $"{m} does not list the case");
    }

    [Fact]
    public async Task When_the_appeal_window_passes_the_verdict_is_final_and_executed()
    {
        var c = await ApiCommunity.CreateAsync(api, settings: new { appealWindowSeconds = 1 });
        var (f1, f2) = (c.Founders[0], c.Founders[1]);
        var ids = await AllAsync(c.ActiveMemberAsync("prov", deposit: 500m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ClaimAsync(c, consumer, deal, 250m);
        var caseId = (string)(await DisputeAsync(c, provider, deal))["id"]!;
        await VoteAsync(c, f1, caseId, "provider", 80m);
        var decided = await VoteAsync(c, f2, caseId, "provider", 80m);
        var appealBy = DateTimeOffset.Parse((string)decided["appealDeadline"]!);

        var wait = appealBy - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        await ExpectProblem(await (await c.As(provider)).PostAsync($"/api/cases/{caseId}/appeal", null), Conflict, "appeal-window-closed");

        var closed = await CaseAsync(c, caseId, consumer);
        Assert.Equal("closed", (string?)closed["state"]);
        Assert.Equal("final", (string?)closed["levels"]![0]!["outcome"]);
        Assert.Equal(1, (int)closed["level"]!);
        Assert.Equal("settled", (string?)(await c.DealAsync(deal, provider))["state"]);
        Assert.Equal(500m + 80m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        await AssertHoldsReleasedAsync(c, provider, consumer, f1, f2);
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 1_000m);
    }

    [Fact]
    public async Task When_the_verdict_deadline_passes_without_a_majority_the_next_panel_sits()
    {
        var c = await ApiCommunity.CreateAsync(api, settings: new { verdictWindowSeconds = 1 });
        var ids = await AllAsync(c.ActiveMemberAsync("prov", deposit: 500m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ClaimAsync(c, consumer, deal, 250m);
        var opened = await DisputeAsync(c, provider, deal);
        var caseId = (string)opened["id"]!;
        var voteBy = DateTimeOffset.Parse((string)opened["verdictDeadline"]!);
        Assert.InRange(voteBy, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddSeconds(2));

        var wait = voteBy - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        // Any call on the case acts on its deadlines (so does its reminder). The council's own one-second window may
        // have passed too by now (then its silence is final: no fault), so the answer is either.
        var response = await (await c.As(consumer)).PostAsync($"/api/cases/{caseId}/accept", null);
        if (response.StatusCode != HttpStatusCode.OK) await ExpectProblem(response, Conflict, "no-verdict");

        var escalated = await CaseAsync(c, caseId, consumer);
        var first = escalated["levels"]![0]!;
        Assert.Equal("escalated", (string?)first["outcome"]);
        Assert.Empty(first["votes"]!.AsArray());
        Assert.Contains("deadline", (string?)first["note"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(2, (int)escalated["level"]!);
        Assert.True((bool)escalated["levels"]![1]!["isCouncil"]!);
        Assert.Equal(c.Founders.Order(StringComparer.Ordinal), escalated["levels"]![1]!["panel"]!.AsArray().Select(n => (string)n!));
    }

    // ---- Authorization ----------------------------------------------------------------------------

    public enum Caller
    {
        /// <summary>An active member of the community with nothing to do with the deals (or the one named by the case).</summary>
        AnotherMember,
        Anonymous,
        Operator,
    }

    /// <summary>
    /// P provides to C in four deals of 100: <paramref name="ToClaim"/> accepted; <paramref name="ToAdmit"/> and
    /// <paramref name="ToDispute"/> claimed by C; <paramref name="Voting"/> disputed into a case whose judges f1 and
    /// f2 have not voted; <paramref name="Decided"/> disputed into a case with a verdict. X is an active outsider.
    /// </summary>
    private sealed record AuthScenario(
        ApiCommunity C, string P, string Cons, string X, string ToClaim, string ToAdmit, string ToDispute,
        string Voting, string VotingCase, string Decided, string DecidedCase)
    {
        public string F1 => C.Founders[0];
        public string F3 => C.Founders[2];
        public string[] Members => [P, Cons, X, .. C.Founders];
        public (string, string)[] Deals => [(ToClaim, P), (ToAdmit, P), (ToDispute, P), (Voting, P), (Decided, P)];
    }

    private sealed record AuthCase(
        string Name, HttpMethod Method, string Path, object? Body, string Refusal, string Owner, bool OperatorMay = false, string? By = null);

    private static IReadOnlyList<AuthCase> AuthCases(AuthScenario s) =>
    [
        new("claim", HttpMethod.Post, $"/api/deals/{s.ToClaim}/claims", ClaimBody(50m), "not-a-party", s.Cons),
        new("claim by a guarantor holding the cover", HttpMethod.Post, $"/api/deals/{s.ToClaim}/claims", ClaimBody(50m), "not-a-party", s.Cons, By: s.F1),
        new("admit", HttpMethod.Post, $"/api/deals/{s.ToAdmit}/claims/admit", null, "not-a-party", s.P),
        new("dispute", HttpMethod.Post, $"/api/deals/{s.ToDispute}/claims/dispute", null, "not-a-party", s.P),
        new("vote", HttpMethod.Post, $"/api/cases/{s.VotingCase}/votes", Vote("provider", 10m), "not-a-judge", s.F1),
        new("vote by a party", HttpMethod.Post, $"/api/cases/{s.VotingCase}/votes", Vote("consumer", 10m), "not-a-judge", s.F1, By: s.P),
        new("vote by a founder not on the panel", HttpMethod.Post, $"/api/cases/{s.VotingCase}/votes", Vote("provider", 10m), "not-a-judge", s.F1, By: s.F3),
        new("accept a verdict", HttpMethod.Post, $"/api/cases/{s.DecidedCase}/accept", null, "not-a-party", s.P),
        new("accept a verdict as a judge", HttpMethod.Post, $"/api/cases/{s.DecidedCase}/accept", null, "not-a-party", s.P, By: s.F1),
        new("appeal a verdict", HttpMethod.Post, $"/api/cases/{s.DecidedCase}/appeal", null, "not-a-party", s.Cons),
        new("read a case", HttpMethod.Get, $"/api/cases/{s.VotingCase}", null, "not-in-case", s.P, OperatorMay: true),
        new("read a case as a founder not in it", HttpMethod.Get, $"/api/cases/{s.VotingCase}", null, "not-in-case", s.F1, OperatorMay: true, By: s.F3),
        new("list a member's cases", HttpMethod.Get, $"/api/members/{s.P}/cases", null, "not-yourself", s.P),
    ];

    private async Task<AuthScenario> AuthScenarioAsync()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var ids = await AllAsync(c.ActiveMemberAsync("p", deposit: 1_000m), c.ActiveMemberAsync("c", deposit: 1_000m), c.ActiveMemberAsync("x", deposit: 100m));
        var (p, cons, x) = (ids[0], ids[1], ids[2]);
        var deals = new List<string>();
        for (var i = 0; i < 5; i++) deals.Add(await c.AcceptedDealAsync(p, cons, 100m));
        foreach (var d in deals.Skip(1)) await ClaimAsync(c, cons, d, 50m);
        var voting = (string)(await DisputeAsync(c, p, deals[3]))["id"]!;
        var decided = (string)(await DisputeAsync(c, p, deals[4]))["id"]!;
        await VoteAsync(c, c.Founders[0], decided, "provider", 40m);
        await VoteAsync(c, c.Founders[1], decided, "provider", 40m);
        return new AuthScenario(c, p, cons, x, deals[0], deals[1], deals[2], deals[3], voting, deals[4], decided);
    }

    [Theory]
    [InlineData(Caller.AnotherMember)]
    [InlineData(Caller.Anonymous)]
    [InlineData(Caller.Operator)]
    public async Task Claim_and_case_actions_by_anyone_but_their_party_or_judge_are_refused_and_change_nothing(Caller caller)
    {
        var s = await AuthScenarioAsync();
        var cases = AuthCases(s);
        using var anonymous = api.Anonymous();
        var failures = new List<string>();

        var before = await AuthSnapshotAsync(s);
        foreach (var @case in cases)
        {
            var (client, status, code) = caller switch
            {
                Caller.AnotherMember => (await s.C.As(@case.By ?? s.X), Forbidden, @case.Refusal),
                Caller.Anonymous => (anonymous, HttpStatusCode.Unauthorized, "not-signed-in"),
                _ => (s.C.Operator, @case.OperatorMay ? HttpStatusCode.OK : Forbidden, @case.OperatorMay ? null : "operator-cannot-act"),
            };
            var who = caller == Caller.AnotherMember ? $"{@case.By ?? "an outsider"}'s token" : caller.ToString();
            var response = await SendAsync(client, @case.Method, @case.Path, @case.Body);
            failures.AddRange(await CheckAsync(response, status, code, $"{@case.Name} ({who})"));
            var after = await AuthSnapshotAsync(s);
            failures.AddRange(Changes(before, after).Select(change => $"{@case.Name} ({who}) was refused but {change}"));
            before = after;
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Each call succeeds for its rightful caller: the refusals above were about who called, nothing else.
        if (caller != Caller.AnotherMember) return;
        foreach (var @case in cases.DistinctBy(c => (c.Method, c.Path)))
        {
            var response = await SendAsync(await s.C.As(@case.Owner), @case.Method, @case.Path, @case.Body);
            if (response.StatusCode != HttpStatusCode.OK)
                failures.Add($"{@case.Name} by its owner {@case.Owner}: expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static async Task<IReadOnlyDictionary<string, string>> AuthSnapshotAsync(AuthScenario s)
    {
        var parts = new Dictionary<string, string>(await s.C.SnapshotAsync(s.Members, s.Deals));
        foreach (var id in new[] { s.VotingCase, s.DecidedCase })
            parts[$"case {id}"] = (await OkAsync(await s.C.Operator.GetAsync($"/api/cases/{id}"))).ToJsonString();
        return parts;
    }

    // ---- Bad inputs -------------------------------------------------------------------------------

    private sealed record BadCase(string Name, string By, HttpMethod Method, string Path, object? Body, HttpStatusCode Status, string Code);

    /// <summary>
    /// P provides to C: <paramref name="Accepted"/> (100, covered), <paramref name="Proposed"/>, <paramref name="Claimed"/>
    /// (C claims 80 of 100), <paramref name="Disputed"/> (C claimed 80; its case has f1's vote, f2 has not voted).
    /// </summary>
    private sealed record BadScenario(ApiCommunity C, string P, string Cons, string Accepted, string Proposed, string Claimed, string Disputed, string Case)
    {
        public string F1 => C.Founders[0];
        public string F2 => C.Founders[1];
        public string[] Members => [P, Cons, .. C.Founders];
        public (string, string)[] Deals => [(Accepted, P), (Proposed, P), (Claimed, P), (Disputed, P)];
    }

    private async Task<BadScenario> BadScenarioAsync()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var ids = await AllAsync(c.ActiveMemberAsync("p", deposit: 1_000m), c.ActiveMemberAsync("c", deposit: 1_000m));
        var (p, cons) = (ids[0], ids[1]);
        var accepted = await c.AcceptedDealAsync(p, cons, 100m);
        var proposed = (string)(await c.ProposeAsync(p, p, cons, 100m))["id"]!;
        var claimed = await c.AcceptedDealAsync(p, cons, 100m);
        await ClaimAsync(c, cons, claimed, 80m);
        var disputed = await c.AcceptedDealAsync(p, cons, 100m);
        await ClaimAsync(c, cons, disputed, 80m);
        var caseId = (string)(await DisputeAsync(c, p, disputed))["id"]!;
        await VoteAsync(c, c.Founders[0], caseId, "provider", 50m);
        return new BadScenario(c, p, cons, accepted, proposed, claimed, disputed, caseId);
    }

    private static IReadOnlyList<BadCase> BadCases(BadScenario s)
    {
        var (p, cons, f1, f2) = (s.P, s.Cons, s.F1, s.F2);
        var claims = $"/api/deals/{s.Accepted}/claims";
        var votes = $"/api/cases/{s.Case}/votes";
        const string unknownDeal = "d-000000000000000000000000";
        const string unknownCase = "case-d-000000000000000000000000";
        JsonObject Claim(JsonNode? damage, JsonNode? reason) => new() { ["operationId"] = TestCommunity.Unique("op"), ["damage"] = damage, ["reason"] = reason };
        JsonObject VoteOf(JsonNode? fault, JsonNode? compensation, JsonNode? share = null)
        {
            var o = new JsonObject { ["fault"] = fault, ["compensation"] = compensation };
            if (share is not null) o["providerShare"] = share;
            return o;
        }

        return
        [
            // ---- Claims ----------------------------------------------------------------------------------
            new("damage above the deal value", cons, HttpMethod.Post, claims, Claim(100.01m, "too much"), BadRequest, "damage-above-value"),
            new("damage 0", cons, HttpMethod.Post, claims, Claim(0m, "nothing"), BadRequest, "invalid-amount"),
            new("negative damage", cons, HttpMethod.Post, claims, Claim(-5m, "less than nothing"), BadRequest, "invalid-amount"),
            new("damage with 3 decimals", cons, HttpMethod.Post, claims, Claim(10.005m, "fractions"), BadRequest, "invalid-amount"),
            new("damage missing", cons, HttpMethod.Post, claims, Claim(null, "how much?"), BadRequest, "missing-field"),
            new("damage as a string", cons, HttpMethod.Post, claims, Claim("10", "typed"), BadRequest, "wrong-type"),
            new("reason missing", cons, HttpMethod.Post, claims, Claim(10m, null), BadRequest, "missing-field"),
            new("reason blank", cons, HttpMethod.Post, claims, Claim(10m, "   "), BadRequest, "missing-field"),
            new("reason of 2001 characters", cons, HttpMethod.Post, claims, Claim(10m, new string('r', 2001)), BadRequest, "too-long"),
            new("claim without an operationId", cons, HttpMethod.Post, claims, new JsonObject { ["damage"] = 10m, ["reason"] = "r" }, BadRequest, "invalid-operation-id"),
            new("claim with malformed JSON", cons, HttpMethod.Post, claims, new RawJson("""{"operationId":"x","damage":"""), BadRequest, "malformed-json"),
            new("claim without a body", cons, HttpMethod.Post, claims, new RawJson(""), BadRequest, "missing-body"),
            new("a second claim by the other party", p, HttpMethod.Post, $"/api/deals/{s.Claimed}/claims", Claim(10m, "me too"), Conflict, "claim-exists"),
            new("a second claim by the claimant", cons, HttpMethod.Post, $"/api/deals/{s.Claimed}/claims", Claim(20m, "again"), Conflict, "claim-exists"),
            new("a claim on a disputed deal", p, HttpMethod.Post, $"/api/deals/{s.Disputed}/claims", Claim(10m, "counter-claim"), Conflict, "claim-exists"),
            new("a claim on a proposed deal", cons, HttpMethod.Post, $"/api/deals/{s.Proposed}/claims", Claim(10m, "not yet"), Conflict, "deal-not-covered"),
            new("a claim on an unknown deal", cons, HttpMethod.Post, $"/api/deals/{unknownDeal}/claims", Claim(10m, "who?"), NotFound, "deal-not-found"),
            new("a claim on a deal id of 65 characters", cons, HttpMethod.Post, $"/api/deals/{new string('d', 65)}/claims", Claim(10m, "r"), BadRequest, "invalid-id"),

            // ---- Admit and dispute -----------------------------------------------------------------------
            new("the claimant admitting its own claim", cons, HttpMethod.Post, $"/api/deals/{s.Claimed}/claims/admit", null, Forbidden, "not-the-respondent"),
            new("the claimant disputing its own claim", cons, HttpMethod.Post, $"/api/deals/{s.Claimed}/claims/dispute", null, Forbidden, "not-the-respondent"),
            new("the claimant disputing a claim already disputed", cons, HttpMethod.Post, $"/api/deals/{s.Disputed}/claims/dispute", null, Forbidden, "not-the-respondent"),
            new("admitting where there is no claim", p, HttpMethod.Post, $"/api/deals/{s.Accepted}/claims/admit", null, Conflict, "no-claim"),
            new("disputing where there is no claim", p, HttpMethod.Post, $"/api/deals/{s.Accepted}/claims/dispute", null, Conflict, "no-claim"),
            new("admitting a claim already disputed", p, HttpMethod.Post, $"/api/deals/{s.Disputed}/claims/admit", null, Conflict, "claim-not-open"),
            new("admitting on an unknown deal", p, HttpMethod.Post, $"/api/deals/{unknownDeal}/claims/admit", null, NotFound, "deal-not-found"),
            new("disputing on an unknown deal", p, HttpMethod.Post, $"/api/deals/{unknownDeal}/claims/dispute", null, NotFound, "deal-not-found"),

            // ---- Cases and votes -------------------------------------------------------------------------
            new("reading an unknown case", p, HttpMethod.Get, $"/api/cases/{unknownCase}", null, NotFound, "case-not-found"),
            new("reading a case id of 65 characters", p, HttpMethod.Get, $"/api/cases/{new string('c', 65)}", null, BadRequest, "invalid-id"),
            new("voting in an unknown case", f1, HttpMethod.Post, $"/api/cases/{unknownCase}/votes", VoteOf("provider", 10m), NotFound, "case-not-found"),
            new("accepting in an unknown case", p, HttpMethod.Post, $"/api/cases/{unknownCase}/accept", null, NotFound, "case-not-found"),
            new("appealing in an unknown case", p, HttpMethod.Post, $"/api/cases/{unknownCase}/appeal", null, NotFound, "case-not-found"),
            new("a vote with an unknown fault", f2, HttpMethod.Post, votes, VoteOf("plaintiff", 10m), BadRequest, "invalid-fault"),
            new("a vote without a fault", f2, HttpMethod.Post, votes, VoteOf(null, 10m), BadRequest, "missing-field"),
            new("a vote with a number for the fault", f2, HttpMethod.Post, votes, VoteOf(1, 10m), BadRequest, "wrong-type"),
            new("'both' without providerShare", f2, HttpMethod.Post, votes, VoteOf("both", 10m), BadRequest, "missing-field"),
            new("'both' with providerShare 1.5", f2, HttpMethod.Post, votes, VoteOf("both", 10m, 1.5m), BadRequest, "invalid-share"),
            new("'both' with providerShare 0", f2, HttpMethod.Post, votes, VoteOf("both", 10m, 0m), BadRequest, "invalid-share"),
            new("compensation above the claim", f2, HttpMethod.Post, votes, VoteOf("provider", 80.01m), BadRequest, "compensation-above-claim"),
            new("negative compensation", f2, HttpMethod.Post, votes, VoteOf("provider", -1m), BadRequest, "invalid-amount"),
            new("compensation with 3 decimals", f2, HttpMethod.Post, votes, VoteOf("provider", 1.001m), BadRequest, "invalid-amount"),
            new("compensation missing", f2, HttpMethod.Post, votes, VoteOf("provider", null), BadRequest, "missing-field"),
            new("a vote without a body", f2, HttpMethod.Post, votes, new RawJson(""), BadRequest, "missing-body"),
            new("a judge voting twice", f1, HttpMethod.Post, votes, VoteOf("provider", 50m), Conflict, "already-voted"),
            new("a judge changing its vote", f1, HttpMethod.Post, votes, VoteOf("neither", 0m), Conflict, "already-voted"),
            new("accepting before any verdict", p, HttpMethod.Post, $"/api/cases/{s.Case}/accept", null, Conflict, "no-verdict"),
            new("appealing before any verdict", cons, HttpMethod.Post, $"/api/cases/{s.Case}/appeal", null, Conflict, "no-verdict"),
        ];
    }

    [Fact]
    public async Task Bad_claims_votes_and_case_calls_are_refused_with_their_problem_code_and_change_nothing()
    {
        var s = await BadScenarioAsync();
        var cases = BadCases(s);
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        var failures = new List<string>();

        var initial = await BadSnapshotAsync(s);
        var before = initial;
        foreach (var @case in cases)
        {
            var response = await SendAsync(await s.C.As(@case.By), @case.Method, @case.Path, @case.Body);
            failures.AddRange(await CheckAsync(response, @case.Status, @case.Code, @case.Name));
            var after = await BadSnapshotAsync(s);
            failures.AddRange(Changes(before, after).Select(change => $"{@case.Name}: was refused but {change}"));
            before = after;
        }
        failures.AddRange(Changes(initial, before).Select(change => $"after all bad inputs, {change}"));
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} bad inputs went wrong:\n" + string.Join("\n", failures));

        // The calls were refused for their input, not their callers: the same callers succeed with good input.
        Assert.Equal("claimed", (string?)(await ClaimAsync(s.C, s.Cons, s.Accepted, 100m))["state"]);
        // f2 sees both at fault against f1's provider: a tie of the whole panel, so the council sits.
        var council = await VoteAsync(s.C, s.F2, s.Case, "both", 80m, providerShare: 0.5m);
        Assert.Equal(("voting", 2), ((string?)council["state"], (int)council["level"]!));
        Assert.Equal("escalated", (string?)council["levels"]![0]!["outcome"]);
        Assert.True((bool)council["levels"]![1]!["isCouncil"]!);
        await VoteAsync(s.C, s.F1, s.Case, "both", 60m, providerShare: 0.4m);
        var final = await VoteAsync(s.C, s.C.Founders[2], s.Case, "both", 80m, providerShare: 0.6m);
        Assert.Equal("closed", (string?)final["state"]);
        Assert.Equal(("both", 0.5m, 70m), ((string?)final["verdict"]!["fault"], Dec(final["verdict"]!["providerShare"]), Dec(final["verdict"]!["compensation"])));
        Assert.Equal([(s.P, s.Cons, 35m, 0)], Payments(final["settlement"]!)); // the provider's half of 70
        Assert.Equal("settled", (string?)(await s.C.DealAsync(s.Disputed, s.Cons))["state"]);
    }

    private static async Task<IReadOnlyDictionary<string, string>> BadSnapshotAsync(BadScenario s)
    {
        var parts = new Dictionary<string, string>(await s.C.SnapshotAsync(s.Members, s.Deals))
        {
            [$"case {s.Case}"] = (await OkAsync(await s.C.Operator.GetAsync($"/api/cases/{s.Case}"))).ToJsonString(),
        };
        foreach (var m in s.Members) parts[$"cases of {m}"] = string.Join(",", await MemberCasesAsync(s.C, m));
        return parts;
    }

    // ---- Idempotency ------------------------------------------------------------------------------

    [Fact]
    public async Task A_repeated_claim_answers_the_first_answer_and_files_one_claim()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var ids = await AllAsync(c.ActiveMemberAsync("prov", deposit: 500m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);

        var first = await ClaimAsync(c, consumer, deal, 120m, "Cracked tiles.", "claim-1");
        var again = await ClaimAsync(c, consumer, deal, 120m, "Cracked tiles.", "claim-1");
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        AssertClaim((await c.DealAsync(deal, provider))["claim"], consumer, provider, 120m, "Cracked tiles.", "open");

        // The same operationId with other terms is not a repeat.
        var before = await c.SnapshotAsync([provider, consumer], [(deal, provider)]);
        await ExpectProblem(await (await c.As(consumer)).PostAsJsonAsync($"/api/deals/{deal}/claims",
            new { operationId = "claim-1", damage = 200m, reason = "Cracked tiles." }), Conflict, "operation-id-reused");
        Assert.Empty(Changes(before, await c.SnapshotAsync([provider, consumer], [(deal, provider)])));

        // Admitted twice, paid once; the claim repeated afterwards changes nothing.
        var admitted = await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{deal}/claims/admit", null));
        Assert.Equal("settled", (string?)admitted["state"]);
        before = await c.SnapshotAsync([provider, consumer, c.Founders[0], c.Founders[1]], [(deal, provider)]);
        var admittedAgain = await OkAsync(await (await c.As(provider)).PostAsync($"/api/deals/{deal}/claims/admit", null));
        Assert.Equal(admitted.ToJsonString(), admittedAgain.ToJsonString());
        var later = await ClaimAsync(c, consumer, deal, 120m, "Cracked tiles.", "claim-1");
        Assert.Equal("settled", (string?)later["state"]);
        Assert.Empty(Changes(before, await c.SnapshotAsync([provider, consumer, c.Founders[0], c.Founders[1]], [(deal, provider)])));
        Assert.Equal(500m + 120m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        await AssertLedgerBalancedAsync(c, deposited: 30_000m + 1_000m);
    }

    [Fact]
    public async Task A_repeated_dispute_answers_the_same_case_and_repeated_acceptances_count_once()
    {
        var c = await ApiCommunity.CreateAsync(api);
        var (f1, f2) = (c.Founders[0], c.Founders[1]);
        var ids = await AllAsync(c.ActiveMemberAsync("prov", deposit: 500m), c.ActiveMemberAsync("cons", deposit: 500m));
        var (provider, consumer) = (ids[0], ids[1]);
        var deal = await c.AcceptedDealAsync(provider, consumer, 300m);
        await ClaimAsync(c, consumer, deal, 120m);

        var first = await DisputeAsync(c, provider, deal);
        var members = new[] { provider, consumer, f1, f2 };
        var before = await c.SnapshotAsync(members, [(deal, provider)]);
        var again = await DisputeAsync(c, provider, deal);
        Assert.Equal(first.ToJsonString(), again.ToJsonString());
        Assert.Empty(Changes(before, await c.SnapshotAsync(members, [(deal, provider)])));
        Assert.Equal((string?)first["id"], (string?)(await c.DealAsync(deal, consumer))["caseId"]);
        var caseId = (string)first["id"]!;
        foreach (var m in members) Assert.Equal([caseId], await MemberCasesAsync(c, m));
        Assert.Single((await CaseAsync(c, caseId, provider))["levels"]!.AsArray());

        await VoteAsync(c, f1, caseId, "consumer", 0m);
        await VoteAsync(c, f2, caseId, "consumer", 0m);
        var accepted = await AcceptAsync(c, provider, caseId);
        var acceptedAgain = await AcceptAsync(c, provider, caseId);
        Assert.Equal(accepted.ToJsonString(), acceptedAgain.ToJsonString());
        Assert.Equal([provider], acceptedAgain["levels"]![0]!["acceptedBy"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("awaitingParties", (string?)acceptedAgain["state"]);

        var closed = await AcceptAsync(c, consumer, caseId);
        Assert.Equal("closed", (string?)closed["state"]);
        // The consumer claimed and is found at fault: nothing is paid.
        Assert.Null((string?)closed["settlement"]!["payerId"]);
        Assert.Equal(closed.ToJsonString(), (await DisputeAsync(c, provider, deal)).ToJsonString());
        Assert.Equal(500m, Dec((await c.MemberAsync(consumer))["deposit"]!["balance"]));
        await AssertHoldsReleasedAsync(c, provider, consumer, f1, f2);
    }

    // ---- Helpers ----------------------------------------------------------------------------------

    private static JsonObject ClaimBody(decimal damage, string reason = "A defect.", string? operationId = null) =>
        new() { ["operationId"] = operationId ?? TestCommunity.Unique("claim"), ["damage"] = damage, ["reason"] = reason };

    private static object Vote(string fault, decimal compensation, decimal? providerShare = null) =>
        providerShare is { } share ? new { fault, providerShare = share, compensation } : new { fault, compensation };

    private static async Task<JsonNode> ClaimAsync(ApiCommunity c, string claimant, string deal, decimal damage, string reason = "A defect.", string? operationId = null) =>
        await OkAsync(await (await c.As(claimant)).PostAsJsonAsync($"/api/deals/{deal}/claims", ClaimBody(damage, reason, operationId)));

    private static async Task<JsonNode> DisputeAsync(ApiCommunity c, string respondent, string deal) =>
        await OkAsync(await (await c.As(respondent)).PostAsync($"/api/deals/{deal}/claims/dispute", null));

    private static async Task<JsonNode> VoteAsync(ApiCommunity c, string judge, string caseId, string fault, decimal compensation, decimal? providerShare = null) =>
        await OkAsync(await (await c.As(judge)).PostAsJsonAsync($"/api/cases/{caseId}/votes", Vote(fault, compensation, providerShare)));

    private static async Task<JsonNode> AcceptAsync(ApiCommunity c, string party, string caseId) =>
        await OkAsync(await (await c.As(party)).PostAsync($"/api/cases/{caseId}/accept", null));

    private static async Task<JsonNode> AppealAsync(ApiCommunity c, string party, string caseId) =>
        await OkAsync(await (await c.As(party)).PostAsync($"/api/cases/{caseId}/appeal", null));

    private static async Task<JsonNode> CaseAsync(ApiCommunity c, string caseId, string asMember) =>
        await OkAsync(await (await c.As(asMember)).GetAsync($"/api/cases/{caseId}"));

    private static async Task<IReadOnlyList<string>> MemberCasesAsync(ApiCommunity c, string member) =>
        (await OkAsync(await (await c.As(member)).GetAsync($"/api/members/{member}/cases"))).AsArray().Select(x => (string)x!["id"]!).ToList();

    private static IReadOnlyList<string> Panel(JsonNode @case) => @case["panel"]!.AsArray().Select(n => (string)n!).ToList();

    private static IReadOnlyList<(string Judge, string Fault, decimal Compensation)> Votes(JsonNode level) =>
        level["votes"]!.AsArray().Select(v => ((string)v!["judgeId"]!, (string)v["fault"]!, Dec(v["compensation"]))).ToList();

    private static IReadOnlyList<(string From, string To, decimal Amount, int Level)> Payments(JsonNode settlement) =>
        settlement["payments"]!.AsArray().Select(x => ((string)x!["fromMemberId"]!, (string)x["toMemberId"]!, Dec(x["amount"]), (int)x["level"]!)).ToList();

    private static IReadOnlyList<(string To, decimal Amount)> Debts(JsonNode member) =>
        member["debts"]!.AsArray().Select(d => ((string)d!["toMemberId"]!, Dec(d["amount"]))).OrderBy(d => d.Item1, StringComparer.Ordinal).ToList();

    private static void AssertClaim(JsonNode? claim, string claimant, string respondent, decimal damage, string reason, string outcome)
    {
        Assert.NotNull(claim);
        Assert.Equal(claimant, (string?)claim["claimantId"]);
        Assert.Equal(respondent, (string?)claim["respondentId"]);
        Assert.Equal(damage, Dec(claim["damage"]));
        Assert.Equal(reason, (string?)claim["reason"]);
        Assert.Equal(outcome, (string?)claim["outcome"]);
    }

    private static async Task AssertHoldsReleasedAsync(ApiCommunity c, params string[] members)
    {
        foreach (var m in members)
        {
            var member = await c.MemberAsync(m);
            Assert.True(Dec(member["deposit"]!["held"]) == 0m, $"{m} still has {member["deposit"]!["held"]} held");
            Assert.Empty(member["holds"]!.AsArray());
        }
    }

    private static async Task AssertLedgerBalancedAsync(ApiCommunity c, decimal deposited)
    {
        var ledger = await c.LedgerAsync();
        Assert.Equal(deposited, Dec(ledger["deposited"]));
        Assert.Equal(Dec(ledger["deposited"]) - Dec(ledger["withdrawn"]), Dec(ledger["sumOfBalances"]));
        Assert.Equal(0m, Dec(ledger["sumOfHeld"]));
        Assert.True((bool)ledger["balanced"]!);
    }

    /// <summary>What is wrong with an answer expected to be <paramref name="status"/> (problem+json with <paramref name="code"/> unless null).</summary>
    private static async Task<IEnumerable<string>> CheckAsync(HttpResponseMessage response, HttpStatusCode status, string? code, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != status)
            return [$"{what}: expected {(int)status}, got {(int)response.StatusCode}: {Shorten(text)}"];
        if (code is null) return [];
        JsonNode? body = null;
        try { body = response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? JsonNode.Parse(text) : null; }
        catch (System.Text.Json.JsonException) { }
        return body is not null && (string?)body["code"] == code && !string.IsNullOrWhiteSpace((string?)body["title"])
            ? []
            : [$"{what}: expected problem+json with code {code}, got {response.Content.Headers.ContentType}: {Shorten(text)}"];
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
