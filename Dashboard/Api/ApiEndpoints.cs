using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansGuarantee.Dashboard.Security;
using OrleansGuarantee.Dashboard.Services;

namespace OrleansGuarantee.Dashboard.Api;

/// <summary>The JSON API of shared/API.md, version 1. Every handler delegates to <see cref="GuaranteeService"/>.</summary>
public static class ApiEndpoints
{
    public const string ApiPolicy = "api";

    public static void MapGuaranteeApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(ApiPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        MapAuth(api);
        MapCommunities(api);
        MapMembers(api);
        MapGuarantees(api);
        MapDeals(api);
        MapClaimsAndCases(api);
        MapCycles(api);
        MapNavigator(api);
    }

    private static void MapNavigator(RouteGroupBuilder api)
    {
        api.MapGet("/members/{id}/paths", async (string id, string? to, string? skill, int? maxHops, int? limit, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok((await service.FindPathsAsync(Caller(context), id, to, skill, maxHops, limit)).Select(PathResponse.From).ToList()))
        .WithName("FindPaths")
        .WithSummary("The caller's shortest chains of contacts (at most maxHops, default 6) to a member (to) or to members offering a skill; limit defaults to 5.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/communities/{id}/cycle-proposals", async (string id, int? maxLength, int? limit, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok((await service.ProposeCyclesAsync(Caller(context), id, maxLength, limit)).Select(CycleProposalResponse.From).ToList()))
        .WithName("CycleProposals")
        .WithSummary("Closed offer/need loops of 2..maxLength (default 6) members, best first; limit defaults to 20.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/cycles/from-proposal", async (DraftFromProposalRequest body, GuaranteeService service, HttpContext context) =>
        {
            if (body.MarketPrice is not null && body.MarketPrices is not null)
                throw GuaranteeException.Invalid("ambiguous-prices", "Send either marketPrice (one for every stage) or marketPrices (one per hop), not both.");
            var prices = body.MarketPrice is { } one ? [one] : body.MarketPrices;
            var cycle = await service.DraftCycleFromProposalAsync(Caller(context), body.OperationId, body.CommunityId,
                body.Hops?.Select(h => h is null ? null : new CycleHopView(h.MemberId ?? "", h.Offers ?? "", h.ToMemberId ?? "")).ToList(),
                prices, body.Product, body.ProductValue, body.StageDiscount);
            return TypedResults.Created($"/api/cycles/{cycle.Id}", CycleResponse.From(cycle));
        })
        .WithName("DraftCycleFromProposal")
        .WithSummary("A member of a proposed loop turns it into a draft cycle they organise: stages follow the loop from the caller's own hop. Idempotent by the optional operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static Actor Caller(HttpContext context) => Actor.From(context.User);

    private static void MapAuth(RouteGroupBuilder api)
    {
        api.MapPost("/auth/token", async Task<IResult> (TokenRequest body, OperatorKey operatorKey, GuaranteeService service, HttpContext context) =>
        {
            if (body.OperatorKey is not null)
            {
                if (body.MemberId is not null)
                    throw GuaranteeException.Invalid("ambiguous-credentials", "Send either an operatorKey or a memberId and password, not both.");
                return operatorKey.Matches(body.OperatorKey)
                    ? TypedResults.SignIn(Actor.OperatorPrincipal(BearerTokenDefaults.AuthenticationScheme), authenticationScheme: BearerTokenDefaults.AuthenticationScheme)
                    : BadCredentials(context);
            }
            if (body.MemberId is null)
                throw GuaranteeException.Invalid("missing-field", "Send { \"memberId\", \"password\" } or { \"operatorKey\" }.");
            var credential = await service.CheckPasswordAsync(body.MemberId, body.Password);
            if (credential is null) return BadCredentials(context);
            var view = await service.GetMemberAsync(new Actor(credential.MemberId, credential.CommunityId, false), credential.MemberId);
            return TypedResults.SignIn(
                Actor.MemberPrincipal(credential.MemberId, credential.CommunityId, view.View.Profile.Name, BearerTokenDefaults.AuthenticationScheme),
                authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
        })
        .AllowAnonymous()
        .WithName("IssueToken")
        .WithSummary("Issues a bearer token for an operator key or a member's id and password.")
        .Produces<AccessTokenSchema>();
    }

    private static IResult BadCredentials(HttpContext context) => Results.Problem(Problems.Create(401, "invalid-credentials",
        "The member id and password (or the operator key) do not match. Check them and try again.", context.Request.Path));

    private static void MapCommunities(RouteGroupBuilder api)
    {
        api.MapPost("/communities", async (CreateCommunityRequest body, GuaranteeService service, HttpContext context) =>
        {
            var input = new CreateCommunityInput(body.Id, body.Name,
                body.Founders?.Select(f => f is null ? null : new FounderInput(f.Id, f.Name, f.Password)).ToList(),
                body.Settings?.ToSettings());
            var community = await service.CreateCommunityAsync(Caller(context), input);
            return TypedResults.Created($"/api/communities/{community.Id}", CommunityResponse.From(community, null));
        })
        .WithName("CreateCommunity").WithSummary("Creates a community with its founders (operator).")
        .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/communities/{id}", async (string id, GuaranteeService service, HttpContext context) =>
        {
            var (community, totals) = await service.GetCommunityAsync(Caller(context), id);
            return TypedResults.Ok(CommunityResponse.From(community, totals));
        })
        .WithName("GetCommunity").WithSummary("The community, its settings and member counts by status.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/communities/{id}/ledger", async (string id, bool? refresh, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(LedgerResponse.From(id, await service.GetLedgerAsync(Caller(context), id, refresh ?? false))))
        .WithName("GetLedger")
        .WithSummary("Ledger totals; deposited - withdrawn == sumOfBalances. refresh=true asks every member again.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/communities/{id}/journal", async (string id, long? after, int? limit, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok((await service.JournalAsync(Caller(context), id, after, limit)).Select(JournalEntryResponse.From).ToList()))
        .WithName("GetJournal")
        .WithSummary("Journal entries numbered above after (default 0), in order, at most limit (default 100, at most 1000). Each carries the hash of the entry before it in its chain.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/communities/{id}/journal/verify", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(JournalVerifyResponse.From(await service.VerifyJournalAsync(Caller(context), id))))
        .WithName("VerifyJournal")
        .WithSummary("Re-hashes every stored journal entry; names the first bad entry, if any.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/communities/{id}/members", async (string id, SignUpRequest body, GuaranteeService service) =>
        {
            var member = await service.SignUpAsync(id, new SignUpInput(body.Id, body.Name, body.Password, body.Offers, body.Needs, body.Location));
            return TypedResults.Created($"/api/members/{member.Id}", MemberResponse.From(member, full: true));
        })
        .AllowAnonymous()
        .WithName("SignUp").WithSummary("Self sign-up: the new member is a candidate until enough guarantors accept.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static void MapMembers(RouteGroupBuilder api)
    {
        api.MapGet("/members/{id}", async (string id, GuaranteeService service, HttpContext context) =>
        {
            var reading = await service.GetMemberAsync(Caller(context), id);
            return TypedResults.Ok(MemberResponse.From(reading.View, reading.Full));
        })
        .WithName("GetMember").WithSummary("A member: everything for itself, its guarantors and operators; the public part for others.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("/members/{id}/profile", async (string id, ProfileRequest body, GuaranteeService service, HttpContext context) =>
        {
            var member = await service.UpdateProfileAsync(Caller(context), id, new SignUpInput(id, body.Name, null, body.Offers, body.Needs, body.Location));
            return TypedResults.Ok(MemberResponse.From(member, full: true));
        })
        .WithName("UpdateProfile").WithSummary("Changes the member's name, offers, needs and location (as the member).");

        api.MapPost("/members/{id}/deposits", async (string id, MoneyRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(AccountResponse.From(await service.DepositAsync(Caller(context), id, body.OperationId, body.Amount))))
        .WithName("Deposit").WithSummary("Puts money into the member's deposit (as the member). Idempotent by operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/members/{id}/withdrawals", async (string id, MoneyRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(AccountResponse.From(await service.WithdrawAsync(Caller(context), id, body.OperationId, body.Amount))))
        .WithName("Withdraw").WithSummary("Takes free balance out (as the member). Idempotent by operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/members/{id}/contacts", async (string id, ContactRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(ContactResponse.From(await service.AskContactAsync(Caller(context), id, body.MemberId), id)))
        .WithName("AskContact").WithSummary("Asks another member to be a contact; the contact exists once both have asked.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/members/{id}/debts/{toMemberId}/repayments", async (string id, string toMemberId, MoneyRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(await service.RepayDebtAsync(Caller(context), id, toMemberId, body.OperationId, body.Amount)))
        .WithName("RepayDebt").WithSummary("The member repays (part of) its debt to a member that paid for it, from its free balance. Idempotent by operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/members/{id}/deals", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok((await service.MemberDealsAsync(Caller(context), id)).Select(DealResponse.From).ToList()))
        .WithName("MemberDeals").WithSummary("The member's deals, most recent first (as the member).");
    }

    private static void MapGuarantees(RouteGroupBuilder api)
    {
        api.MapPost("/members/{id}/guarantee-requests", async (string id, GuaranteeRequestRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(GuaranteeResponse.From(await service.RequestGuaranteeAsync(Caller(context), id, body.OperationId, body.GuarantorId))))
        .WithName("RequestGuarantee").WithSummary("The ward asks a member to be its guarantor. Idempotent by operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/members/{id}/guarantee-requests", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok((await service.GuaranteeRequestsAsync(Caller(context), id)).Select(WaitingWardResponse.From).ToList()))
        .WithName("GuaranteeRequests").WithSummary("Requests waiting for this member's answer as guarantor.");

        api.MapPost("/members/{guarantorId}/guarantees", async (string guarantorId, AcceptGuaranteeRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(GuaranteeResponse.From(await service.AcceptGuaranteeAsync(Caller(context), guarantorId, body.OperationId, body.WardId, body.Limit))))
        .WithName("AcceptGuarantee").WithSummary("The guarantor accepts a ward's request with a liability limit. Idempotent by operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/members/{guarantorId}/guarantee-requests/{wardId}/decline", async (string guarantorId, string wardId, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(GuaranteeResponse.From(await service.DeclineGuaranteeAsync(Caller(context), guarantorId, wardId))))
        .WithName("DeclineGuarantee").WithSummary("The guarantor declines a ward's request.")
        .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapDelete("/members/{guarantorId}/guarantees/{wardId}", async (string guarantorId, string wardId, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(GuaranteeResponse.From(await service.WithdrawGuaranteeAsync(Caller(context), guarantorId, wardId))))
        .WithName("WithdrawGuarantee").WithSummary("Withdraws a guarantee for future deals; repeating it changes nothing.")
        .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static void MapDeals(RouteGroupBuilder api)
    {
        api.MapPost("/deals", async (ProposeDealRequest body, GuaranteeService service, HttpContext context) =>
        {
            var deal = await service.ProposeDealAsync(Caller(context),
                new ProposeDealInput(body.OperationId, body.ProviderId, body.ConsumerId, body.Value, body.Description, body.DueAt));
            return TypedResults.Created($"/api/deals/{deal.Id}", DealResponse.From(deal));
        })
        .WithName("ProposeDeal").WithSummary("Proposes a deal (as either party). Idempotent by operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/deals/{id}", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(DealResponse.From(await service.GetDealAsync(Caller(context), id))))
        .WithName("GetDeal").WithSummary("The deal: state, parties, value and cover.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/deals/{id}/accept", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(DealResponse.From(await service.AcceptDealAsync(Caller(context), id))))
        .WithName("AcceptDeal").WithSummary("The other party accepts; both parties' cover is held, or insufficient-cover says what is missing.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/deals/{id}/confirm", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(DealResponse.From(await service.ConfirmDealAsync(Caller(context), id))))
        .WithName("ConfirmDeal").WithSummary("A party confirms; when both have, the deal completes and its holds are released.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/deals/{id}/cancel", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(DealResponse.From(await service.CancelDealAsync(Caller(context), id))))
        .WithName("CancelDeal").WithSummary("Either party cancels a deal before acceptance.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static void MapCycles(RouteGroupBuilder api)
    {
        api.MapPost("/cycles", async (DesignCycleRequest body, GuaranteeService service, HttpContext context) =>
        {
            var cycle = await service.DesignCycleAsync(Caller(context), body.OperationId, body.CommunityId, body.Product, body.ProductValue,
                body.StageDiscount, body.Stages?.Select(s => s is null ? null : new StageSpec(s.Role ?? "", s.MemberId ?? "", s.MarketPrice ?? 0)).ToList());
            return TypedResults.Created($"/api/cycles/{cycle.Id}", CycleResponse.From(cycle));
        })
        .WithName("DesignCycle").WithSummary("The organizer designs a synergy cycle (a draft, recruiting its stages). Idempotent by the optional operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/cycles/{id}", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CycleResponse.From(await service.GetCycleAsync(Caller(context), id))))
        .WithName("GetCycle").WithSummary("The cycle: state, current stage and, per stage, market and cycle price, cumulative saving, share, gain, deal.")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/cycles/{id}/events", async (string id, long? after, int? limit, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok((await service.CycleEventsAsync(Caller(context), id, after ?? 0, limit ?? 100)).Select(CycleEventResponse.From).ToList()))
        .WithName("CycleEvents").WithSummary("The cycle's events after sequence number 'after', in order (the same events its stream carries).");

        api.MapPost("/cycles/{id}/stages/{index:int}/join", async (string id, int index, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CycleResponse.From(await service.JoinStageAsync(Caller(context), id, index))))
        .WithName("JoinStage").WithSummary("The stage's member joins (agrees to its deal). Stages are numbered from 0.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/cycles/{id}/start", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CycleResponse.From(await service.StartCycleAsync(Caller(context), id))))
        .WithName("StartCycle").WithSummary("The organizer starts the cycle once every stage has joined; stage 0's deal is opened and covered.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/cycles/{id}/stages/{index:int}/reassign", async (string id, int index, ReassignRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CycleResponse.From(await service.ReassignStageAsync(Caller(context), id, index, body.MemberId))))
        .WithName("ReassignStage").WithSummary("After a failed stage, the organizer gives it to another member, who then joins; the cycle continues.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static void MapClaimsAndCases(RouteGroupBuilder api)
    {
        api.MapPost("/deals/{id}/claims", async (string id, ClaimRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(DealResponse.From(await service.FileClaimAsync(Caller(context), id, body.OperationId, body.Damage, body.Reason))))
        .WithName("FileClaim").WithSummary("The injured party reports a defect with the damage it claims (at most the deal value). Idempotent by operationId.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/deals/{id}/claims/admit", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(DealResponse.From(await service.AdmitClaimAsync(Caller(context), id))))
        .WithName("AdmitClaim").WithSummary("The other party admits the claim: the damage is paid at once from the cover, own deposit first.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/deals/{id}/claims/dispute", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CaseResponse.From(await service.DisputeClaimAsync(Caller(context), id))))
        .WithName("DisputeClaim").WithSummary("The other party disputes the claim: an arbitration case opens with the parties' guarantors as its panel. Repeating it answers the same case.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/cases/{id}", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CaseResponse.From(await service.GetCaseAsync(Caller(context), id))))
        .WithName("GetCase").WithSummary("An arbitration case: level, panel, votes, deadlines, verdict and every level so far (parties, judges, operators).")
        .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/cases/{id}/votes", async (string id, VoteRequest body, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CaseResponse.From(await service.VoteAsync(Caller(context), id, body.Fault, body.ProviderShare, body.Compensation))))
        .WithName("Vote").WithSummary("A judge of the current panel votes once: the fault (provider, consumer, both with providerShare, neither) and the compensation.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/cases/{id}/appeal", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CaseResponse.From(await service.AppealAsync(Caller(context), id))))
        .WithName("Appeal").WithSummary("A party appeals the verdict within the appeal window: the next panel sits.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/cases/{id}/accept", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok(CaseResponse.From(await service.AcceptVerdictAsync(Caller(context), id))))
        .WithName("AcceptVerdict").WithSummary("A party accepts the verdict; when both have, it is final and executed.")
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/members/{id}/cases", async (string id, GuaranteeService service, HttpContext context) =>
            TypedResults.Ok((await service.MemberCasesAsync(Caller(context), id)).Select(CaseResponse.From).ToList()))
        .WithName("MemberCases").WithSummary("The cases the member is a party to or sits in, most recent first (as the member).");
    }

    /// <summary>The shape of a token answer, for the OpenAPI document.</summary>
    public sealed record AccessTokenSchema(string TokenType, string AccessToken, long ExpiresIn, string RefreshToken);
}
