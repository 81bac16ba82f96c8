using System.Text.Json;
using OrleansGuarantee.Demo;
using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Demo;

/// <summary>
/// The demo plan (what <c>run.sh --demo</c> seeds) follows the rules the grains enforce, so seeding it cannot be
/// refused halfway: the guarantee graph is a hierarchy rooted at the founders that can be built round by round,
/// every deal's parties are active and can be covered, the case scripts can reach their levels, and the cycles can
/// run. It is also the same every time, which is what makes a second seeding find everything.
/// </summary>
public sealed class DemoPlanTests
{
    private static readonly DemoPlan Plan = DemoPlan.Build();

    [Fact]
    public void The_plan_is_the_same_every_time()
    {
        var again = DemoPlan.Build();
        Assert.Equal(JsonSerializer.Serialize(Plan), JsonSerializer.Serialize(again));
    }

    [Fact]
    public void It_has_founders_and_at_least_200_members_with_valid_unique_ids_and_profiles()
    {
        Assert.Equal(5, Plan.Founders.Count());
        Assert.True(Plan.Members.Count(m => m.Tier != Tier.Founder) >= 200);
        Assert.Equal(Plan.Members.Count, Plan.Members.Select(m => m.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.True(Plan.Password.Length >= 8);
        foreach (var m in Plan.Members)
        {
            Ids.Validate(m.Id, "member");
            new MemberProfile(m.Name, m.Offers, m.Needs, m.Location).Validate();
            Assert.NotEmpty(m.Offers);
            Assert.NotEmpty(m.Needs);
            Assert.Empty(m.Offers.Intersect(m.Needs));
            Assert.All(m.Offers.Concat(m.Needs), s => Assert.Contains(s, DemoPlan.Skills));
        }
        Assert.Equal(20, DemoPlan.Skills.Count);
        Assert.Equal(DemoPlan.Skills.Count, Plan.Members.SelectMany(m => m.Offers).Distinct().Count()); // every skill is offered
    }

    [Fact]
    public void Guarantees_form_a_hierarchy_rooted_at_the_founders_that_can_be_built_round_by_round()
    {
        var active = Plan.Founders.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var round in Plan.Guarantees.GroupBy(g => g.Round).OrderBy(g => g.Key))
        {
            // A guarantor must be active (or a founder) before the round in which it vouches.
            foreach (var g in round)
            {
                Assert.True(active.Contains(g.GuarantorId), $"{g.GuarantorId} guarantees {g.WardId} in round {round.Key} before it is active");
                Assert.NotEqual(g.WardId, g.GuarantorId);
                Assert.DoesNotContain(g.WardId, Plan.Founders.Select(f => f.Id));
            }
            foreach (var ward in round.Where(g => g.Accepted).GroupBy(g => g.WardId))
                if (Plan.Guarantees.Count(g => g.WardId == ward.Key && g.Accepted) >= 2) active.Add(ward.Key);
        }
        Assert.Equal(Plan.Guarantees.Count, Plan.Guarantees.Select(g => (g.WardId, g.GuarantorId)).Distinct().Count());
        foreach (var m in Plan.Members.Where(m => m.Tier is Tier.Early or Tier.Middle or Tier.Late))
            Assert.Equal(2, Plan.Guarantees.Count(g => g.WardId == m.Id && g.Accepted));
        foreach (var c in Plan.Members.Where(m => m.Tier == Tier.Candidate))
        {
            Assert.True(Plan.Guarantees.Count(g => g.WardId == c.Id && g.Accepted) < 2, $"{c.Id} would be active");
            Assert.Contains(Plan.Guarantees, g => g.WardId == c.Id && !g.Accepted); // a request waits for an answer
        }
        // Early members are guaranteed by founders, later ones by the tier before (with a few from further up).
        Assert.All(Plan.Guarantees.Where(g => Plan.Member(g.WardId).Tier == Tier.Early), g => Assert.Equal(Tier.Founder, Plan.Member(g.GuarantorId).Tier));
        Assert.All(Plan.Guarantees.Where(g => Plan.Member(g.WardId).Tier == Tier.Late),
            g => Assert.Contains(Plan.Member(g.GuarantorId).Tier, new[] { Tier.Early, Tier.Middle }));
        var withdrawn = Assert.Single(Plan.WithdrawnGuarantees);
        Assert.Contains(Plan.Guarantees, g => g.WardId == withdrawn.WardId && g.GuarantorId == withdrawn.GuarantorId && g.Accepted);
    }

    [Fact]
    public void Deals_reach_every_state_between_active_members_who_can_be_covered()
    {
        Assert.Equal(Enum.GetValues<DealGoal>().Order(), Plan.Deals.Select(d => d.Goal).Distinct().Order());
        Assert.Equal(Plan.Deals.Count, Plan.Deals.Select(d => d.Key).Distinct().Count());
        Assert.Equal(Plan.Deals.Count, Plan.Deals.Select(d => d.Description).Distinct().Count()); // how a second run recognises them
        var suspended = Plan.WithdrawnGuarantees.Select(w => w.WardId).ToHashSet();
        foreach (var d in Plan.Deals)
        {
            Assert.NotEqual(d.ProviderId, d.ConsumerId);
            Assert.Contains(d.ProposerId, new[] { d.ProviderId, d.ConsumerId });
            foreach (var party in new[] { d.ProviderId, d.ConsumerId })
            {
                Assert.Contains(Plan.Member(party).Tier, new[] { Tier.Early, Tier.Middle, Tier.Late });
                Assert.DoesNotContain(party, suspended);
            }
            Money.Validate(d.Value, "value");
            Assert.True(d.Damage <= d.Value, $"{d.Key}: the damage is above the value");
            Assert.InRange(d.DueInDays, 1, 60);
        }
        // A member is in at most one deal that stays open (holds its cover), and each party of it can be covered:
        // its own deposit plus what its guarantors can give (the smaller of their limit and their deposit).
        var open = Plan.Deals.Where(d => d.Goal is not (DealGoal.Completed or DealGoal.Proposed or DealGoal.Cancelled)).ToList();
        var parties = open.SelectMany(d => new[] { d.ProviderId, d.ConsumerId }).ToList();
        Assert.Equal(parties.Count, parties.Distinct().Count());
        foreach (var d in Plan.Deals)
            foreach (var party in new[] { d.ProviderId, d.ConsumerId })
                Assert.True(Capacity(party) >= d.Value, $"{d.Key}: {party} can cover {Capacity(party)} of {d.Value}");
    }

    [Fact]
    public void Case_scripts_reach_the_second_level_by_a_tie_and_by_an_appeal_and_one_case_is_paid_with_debts()
    {
        var cases = Plan.Deals.Where(d => d.Goal == DealGoal.Disputed).ToList();
        Assert.All(cases, d => Assert.NotNull(d.Case));
        Assert.Contains(cases, d => d.Case!.Levels[0].Voting == Voting.Tie && d.Case.Levels.Count == 2);
        Assert.Contains(cases, d => d.Case!.Levels[0].Answer == PartyAnswer.ClaimantAppeals && d.Case.Levels.Count == 2);
        Assert.Contains(cases, d => d.Case!.Levels[^1].Answer == PartyAnswer.BothAccept);
        foreach (var d in cases)
        {
            // The first panel is the parties' guarantors: four different judges, so a tie and a majority are possible.
            var judges = Guarantors(d.ProviderId).Concat(Guarantors(d.ConsumerId)).ToList();
            Assert.Equal(4, judges.Distinct().Count());
            Assert.DoesNotContain(d.ProviderId, judges);
            Assert.DoesNotContain(d.ConsumerId, judges);
            Assert.True(d.Damage > 0 && d.Reason is { Length: > 0 });
        }
        // A provider whose own deposit is below the compensation: its guarantors pay the rest and become its creditors.
        var final = cases.Single(d => d.Case!.Levels[^1].Answer == PartyAnswer.BothAccept);
        Assert.True(Plan.Member(final.ProviderId).Deposit < final.Damage * 0.6m);
        var admitted = Plan.Deals.Where(d => d.Goal == DealGoal.ClaimAdmitted).ToList();
        Assert.Contains(admitted, d => Plan.Member(d.ProviderId).Deposit < d.Damage);
    }

    [Fact]
    public void Cycles_are_completed_running_recovered_and_recruiting_with_members_who_offer_their_stage()
    {
        Assert.Contains(Plan.Cycles, c => c.Goal == CycleGoal.Completed);
        Assert.Contains(Plan.Cycles, c => c.Goal == CycleGoal.Recruiting && c.JoinedCount > 0 && c.JoinedCount < c.Stages.Count);
        Assert.Contains(Plan.Cycles, c => c.Goal == CycleGoal.Running && c.FailStage is null);
        var recovered = Assert.Single(Plan.Cycles, c => c.FailStage is not null);
        Assert.Equal(CycleGoal.Running, recovered.Goal);
        Assert.True(recovered.GoalStage > recovered.FailStage, "the recovered cycle runs past its failed stage");
        var failed = recovered.FailStage!.Value;
        var neighbours = new[] { recovered.Stages[failed - 1].MemberId, recovered.Stages[failed + 1].MemberId, recovered.Stages[failed].MemberId };
        Assert.DoesNotContain(recovered.ReplacementId, neighbours);
        Assert.NotEmpty(Plan.Member(recovered.Stages[failed].MemberId).Offers.Intersect(Plan.Member(recovered.ReplacementId!).Offers)); // can do the work
        Assert.True(recovered.FailDamage > 0 && recovered.FailDamage <= recovered.Stages[failed].MarketPrice * 0.8m);
        foreach (var c in Plan.Cycles)
        {
            Assert.NotEqual(c.OrganizerId, c.Stages[^1].MemberId);
            Assert.Equal(c.Stages.Count, c.Stages.Select(s => s.MemberId).Distinct().Count());
            foreach (var s in c.Stages)
            {
                var member = Plan.Member(s.MemberId);
                Assert.Equal(Tier.Early, member.Tier);
                // Each stage's deal (at 80% of the market price) is covered by the members' own deposits.
                Assert.True(member.Deposit >= s.MarketPrice, $"{s.MemberId} cannot cover stage {s.Role}");
            }
        }
    }

    [Fact]
    public void The_navigator_finds_offer_and_need_loops_among_the_active_members()
    {
        var members = Plan.Members.Where(m => m.Tier != Tier.Candidate)
            .Select(m => new MemberOffer(m.Id, m.Offers, m.Needs, Plan.Guarantees.Where(g => g.WardId == m.Id && g.Accepted).Sum(g => g.Limit)))
            .ToList();
        Assert.Equal(20, CycleProposals.Find(members, maxLength: 4, limit: 20).Count);
        Assert.Contains(CycleProposals.Find(members, maxLength: 3, limit: 1000), l => l.Length == 3);
        // Contacts: mutual ones between different members, and a few waiting for an answer.
        Assert.True(Plan.Contacts.Count(c => c.Mutual) >= 150);
        Assert.Contains(Plan.Contacts, c => !c.Mutual);
        Assert.All(Plan.Contacts, c => Assert.NotEqual(c.FromId, c.ToId));
    }

    [Fact]
    public void The_progress_bar_counts_each_action_of_a_deal_and_a_cycle()
    {
        // Propose, accept, and a confirmation by each party.
        Assert.Equal(4, Seeder.StepsOf(Plan.Deals.First(d => d.Goal == DealGoal.Completed)));
        // Propose, accept, claim, dispute; a tie of four votes, then one vote at level 2.
        Assert.Equal(9, Seeder.StepsOf(Plan.Deals.Single(d => d.Case?.Levels[0].Voting == Voting.Tie)));
        // Design, 4 joins, start, 2 confirmations for each of 4 stages.
        Assert.Equal(14, Seeder.StepsOf(Plan.Cycles.Single(c => c.Goal == CycleGoal.Completed)));
        // Design, 4 joins, start, 2 stages confirmed, and claim, admit, reassign, join for the failed stage.
        Assert.Equal(14, Seeder.StepsOf(Plan.Cycles.Single(c => c.FailStage is not null)));
        // Design and the stages that have joined.
        Assert.Equal(3, Seeder.StepsOf(Plan.Cycles.Single(c => c.Goal == CycleGoal.Recruiting)));
    }

    private static IEnumerable<string> Guarantors(string wardId) =>
        Plan.Guarantees.Where(g => g.WardId == wardId && g.Accepted).Select(g => g.GuarantorId);

    private static decimal Capacity(string memberId) =>
        Plan.Member(memberId).Deposit + Plan.Guarantees.Where(g => g.WardId == memberId && g.Accepted)
            .Sum(g => Math.Min(g.Limit, Plan.Member(g.GuarantorId).Deposit));
}
