using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>Rules 13-15 as plain domain classes: tallying votes, who pays, the waterfall over the cover, and who sits.</summary>
public static class ArbitrationRulesTests
{
    public sealed class VerdictTallyTests
    {
        private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        private static VoteRecord V(string judge, Fault fault, decimal compensation, decimal share = -1) =>
            new(judge, fault, share >= 0 ? share : fault == Fault.Provider ? 1 : 0, compensation, At);

        private static readonly string[] Four = ["j1", "j2", "j3", "j4"];
        private static readonly string[] Three = ["j1", "j2", "j3"];

        private static TallyResult Tally(IReadOnlyCollection<string> panel, decimal claim, bool deadline, bool council, params VoteRecord[] votes) =>
            VerdictTally.Tally(panel, votes, claim, deadline, council);

        [Fact]
        public void A_verdict_needs_a_majority_of_the_whole_panel_not_of_the_votes_cast()
        {
            // 2 of 4 agree: not a majority of the panel, so still open before the deadline...
            var open = Tally(Four, 500, false, false, V("j1", Fault.Provider, 100), V("j2", Fault.Provider, 100));
            Assert.Equal(TallyStatus.Open, open.Status);
            Assert.Null(open.Verdict);
            // ...and no verdict at the deadline, even though 2 of the 3 votes cast agree.
            var late = Tally(Four, 500, true, false, V("j1", Fault.Provider, 100), V("j2", Fault.Provider, 100), V("j3", Fault.Consumer, 100));
            Assert.Equal(TallyStatus.Deadlocked, late.Status);
            Assert.Null(late.Verdict);
            Assert.Contains("deadline", late.Explanation);

            var decided = Tally(Four, 500, false, false, V("j1", Fault.Provider, 100), V("j2", Fault.Provider, 100), V("j3", Fault.Provider, 100));
            Assert.Equal(TallyStatus.Decided, decided.Status);
            Assert.Equal(new Verdict(Fault.Provider, 1m, 100m), decided.Verdict);
        }

        [Fact]
        public void The_compensation_is_the_median_of_the_majority_never_above_the_claim()
        {
            var odd = Tally(Four, 1000, false, false,
                V("j1", Fault.Consumer, 100), V("j2", Fault.Consumer, 300), V("j3", Fault.Consumer, 200), V("j4", Fault.Provider, 900));
            Assert.Equal(new Verdict(Fault.Consumer, 0m, 200m), odd.Verdict); // the minority's 900 does not count

            var even = Tally(Four, 1000, false, false,
                V("j1", Fault.Provider, 100), V("j2", Fault.Provider, 250), V("j3", Fault.Provider, 400), V("j4", Fault.Provider, 600));
            Assert.Equal(325m, even.Verdict!.Compensation);

            var halfCent = Tally(Three, 1000, false, false, V("j1", Fault.Provider, 100.01m), V("j2", Fault.Provider, 100.02m));
            Assert.Equal(100.02m, halfCent.Verdict!.Compensation); // 100.015 rounds to whole cents, half away from zero

            var capped = Tally(Three, 150, false, false, V("j1", Fault.Provider, 200), V("j2", Fault.Provider, 300));
            Assert.Equal(150m, capped.Verdict!.Compensation);
        }

        [Fact]
        public void Both_at_fault_takes_the_median_share_and_the_median_compensation()
        {
            var result = Tally(Four, 1000, false, false,
                V("j1", Fault.Both, 100, 0.2m), V("j2", Fault.Both, 300, 0.9m), V("j3", Fault.Both, 200, 0.5m));
            Assert.Equal(TallyStatus.Decided, result.Status);
            Assert.Equal(new Verdict(Fault.Both, 0.5m, 200m), result.Verdict);

            var even = Tally(Three, 1000, false, false, V("j1", Fault.Both, 100, 0.3m), V("j2", Fault.Both, 100, 0.4m));
            Assert.Equal(0.35m, even.Verdict!.ProviderShare);
        }

        [Fact]
        public void Neither_at_fault_awards_nothing_whatever_the_judges_wrote()
        {
            var result = Tally(Three, 1000, false, false, V("j1", Fault.Neither, 500), V("j2", Fault.Neither, 700));
            Assert.Equal(new Verdict(Fault.Neither, 0m, 0m), result.Verdict);
        }

        [Fact]
        public void A_tie_deadlocks_once_everyone_voted()
        {
            var tie = Tally(Four, 500, false, false,
                V("j1", Fault.Provider, 100), V("j2", Fault.Consumer, 100), V("j3", Fault.Provider, 100), V("j4", Fault.Consumer, 100));
            Assert.Equal(TallyStatus.Deadlocked, tie.Status);
            Assert.Contains("tie", tie.Explanation);

            var spread = Tally(Three, 500, false, false, V("j1", Fault.Provider, 100), V("j2", Fault.Consumer, 100), V("j3", Fault.Neither, 0));
            Assert.Equal(TallyStatus.Deadlocked, spread.Status);
        }

        [Fact]
        public void Voting_stays_open_until_everyone_voted_or_the_deadline_passed()
        {
            var votes = new[] { V("j1", Fault.Provider, 100), V("j2", Fault.Consumer, 100) };
            Assert.Equal(TallyStatus.Open, Tally(Three, 500, false, false, votes).Status);
            Assert.Equal(TallyStatus.Deadlocked, Tally(Three, 500, true, false, votes).Status);
            Assert.Equal(TallyStatus.Open, Tally(Three, 500, false, false).Status);
            var silent = Tally(Three, 500, true, false);
            Assert.Equal(TallyStatus.Deadlocked, silent.Status);
            Assert.Contains("no judge voted", silent.Explanation);
        }

        [Fact]
        public void Votes_of_members_not_on_the_panel_do_not_count()
        {
            var result = Tally(Three, 500, false, false,
                V("j1", Fault.Provider, 100), V("x1", Fault.Provider, 100), V("x2", Fault.Provider, 100));
            Assert.Equal(TallyStatus.Open, result.Status);
        }

        [Fact]
        public void The_council_decides_by_its_largest_group_and_a_tie_finds_no_fault()
        {
            // Before the deadline the council waits like any panel.
            Assert.Equal(TallyStatus.Open, Tally(Three, 500, false, true, V("j1", Fault.Consumer, 100)).Status);

            var largest = Tally(["j1", "j2", "j3", "j4", "j5"], 500, true, true,
                V("j1", Fault.Consumer, 100), V("j2", Fault.Consumer, 300), V("j3", Fault.Provider, 50));
            Assert.Equal(TallyStatus.Decided, largest.Status);
            Assert.Equal(new Verdict(Fault.Consumer, 0m, 200m), largest.Verdict);

            var single = Tally(Three, 500, true, true, V("j2", Fault.Provider, 80));
            Assert.Equal(new Verdict(Fault.Provider, 1m, 80m), single.Verdict);

            var tie = Tally(Four, 500, false, true,
                V("j1", Fault.Provider, 100), V("j2", Fault.Consumer, 100), V("j3", Fault.Provider, 100), V("j4", Fault.Consumer, 100));
            Assert.Equal(TallyStatus.Decided, tie.Status);
            Assert.Equal(new Verdict(Fault.Neither, 0m, 0m), tie.Verdict);

            var nobody = Tally(Three, 500, true, true);
            Assert.Equal(TallyStatus.Decided, nobody.Status);
            Assert.Equal(Fault.Neither, nobody.Verdict!.Fault);
        }

        [Fact]
        public void Median_of_nothing_is_zero()
        {
            Assert.Equal(0m, VerdictTally.Median([]));
            Assert.Equal(2m, VerdictTally.Median([3m, 1m, 2m]));
        }
    }

    public sealed class CompensationRuleTests
    {
        private const string P = "prov", C = "cons";

        [Theory]
        [InlineData(Fault.Provider, C, P)]    // the consumer claims and the provider is at fault: the provider pays
        [InlineData(Fault.Consumer, P, C)]    // the provider claims and the consumer is at fault: the consumer pays
        [InlineData(Fault.Consumer, C, null)] // the claimant itself is at fault: nobody pays
        [InlineData(Fault.Provider, P, null)]
        [InlineData(Fault.Neither, C, null)]
        [InlineData(Fault.Neither, P, null)]
        public void Who_pays_follows_from_the_fault_and_the_claimant(Fault fault, string claimant, string? payer)
        {
            var verdict = new Verdict(fault, fault == Fault.Provider ? 1 : 0, 120m);
            var payment = CompensationRule.Payment(verdict, claimant, P, C);
            if (payer is null)
            {
                Assert.Null(payment);
                return;
            }
            Assert.NotNull(payment);
            Assert.Equal(payer, payment.Value.PayerId);
            Assert.Equal(120m, payment.Value.Amount);
        }

        [Fact]
        public void Both_at_fault_makes_the_respondent_pay_its_part_only()
        {
            var verdict = new Verdict(Fault.Both, 0.3m, 200m);
            Assert.Equal((P, 60m), CompensationRule.Payment(verdict, C, P, C)!.Value);  // the provider's 30 %
            Assert.Equal((C, 140m), CompensationRule.Payment(verdict, P, P, C)!.Value); // the consumer's 70 %
            // Parts are whole cents, half away from zero.
            Assert.Equal((P, 50.01m), CompensationRule.Payment(new Verdict(Fault.Both, 0.5m, 100.01m), C, P, C)!.Value);
        }

        [Fact]
        public void Nothing_is_owed_for_a_zero_compensation()
        {
            Assert.Null(CompensationRule.Payment(new Verdict(Fault.Provider, 1m, 0m), C, P, C));
        }
    }

    public sealed class CompensationWaterfallTests
    {
        private static WaterfallHold H(string id, string member, decimal amount, int level) => new(id, member, amount, level);

        private static decimal PaidAt(IReadOnlyList<WaterfallPart> parts, int level) => parts.Where(p => p.Level == level).Sum(p => p.Amount);

        [Fact]
        public void The_own_hold_pays_first_and_alone_when_it_suffices()
        {
            var (parts, unpaid) = CompensationWaterfall.Plan([H("g1", "g1", 300, 1), H("own", "p", 100, 0), H("g2", "g2", 100, 1)], 80m);
            var part = Assert.Single(parts);
            Assert.Equal(new WaterfallPart("own", "p", 80m, 0), part);
            Assert.Equal(0m, unpaid);
        }

        [Fact]
        public void Guarantors_pay_pro_rata_to_their_holds_once_the_own_hold_is_exhausted()
        {
            var holds = new[] { H("own", "p", 100, 0), H("a", "ga", 300, 1), H("b", "gb", 100, 1), H("top", "t", 500, 2) };
            var (parts, unpaid) = CompensationWaterfall.Plan(holds, 200m);
            Assert.Equal(0m, unpaid);
            Assert.Equal(100m, parts.Single(p => p.HoldId == "own").Amount);
            Assert.Equal(75m, parts.Single(p => p.HoldId == "a").Amount);
            Assert.Equal(25m, parts.Single(p => p.HoldId == "b").Amount);
            Assert.DoesNotContain(parts, p => p.Level == 2); // level 1 is not exhausted
            Assert.Equal([0, 1, 1], parts.Select(p => p.Level).ToArray());
        }

        [Fact]
        public void The_next_level_pays_only_what_the_levels_below_could_not()
        {
            var holds = new[] { H("own", "p", 100, 0), H("a", "ga", 300, 1), H("b", "gb", 100, 1), H("t1", "t1", 300, 2), H("t2", "t2", 100, 2) };
            var (parts, unpaid) = CompensationWaterfall.Plan(holds, 520m);
            Assert.Equal(0m, unpaid);
            Assert.Equal(100m, PaidAt(parts, 0));
            Assert.Equal(400m, PaidAt(parts, 1)); // exhausted: every level-1 hold paid in full
            Assert.Equal(300m, parts.Single(p => p.HoldId == "a").Amount);
            Assert.Equal(15m, parts.Single(p => p.HoldId == "t1").Amount);
            Assert.Equal(5m, parts.Single(p => p.HoldId == "t2").Amount);
        }

        [Fact]
        public void Parts_within_a_level_sum_exactly_to_the_cent()
        {
            var holds = new[] { H("a", "a", 100, 1), H("b", "b", 100, 1), H("c", "c", 100, 1) };
            var (parts, unpaid) = CompensationWaterfall.Plan(holds, 100m);
            Assert.Equal(0m, unpaid);
            Assert.Equal(100m, parts.Sum(p => p.Amount));
            Assert.Equal([33.34m, 33.33m, 33.33m], parts.Select(p => p.Amount).ToArray());
        }

        [Fact]
        public void What_the_cover_cannot_pay_is_left_unpaid()
        {
            var (parts, unpaid) = CompensationWaterfall.Plan([H("own", "p", 40, 0), H("a", "a", 60, 1)], 250m);
            Assert.Equal(100m, parts.Sum(p => p.Amount));
            Assert.Equal(150m, unpaid);
            Assert.Equal([40m, 60m], parts.Select(p => p.Amount).ToArray());

            var (none, all) = CompensationWaterfall.Plan([], 10m);
            Assert.Empty(none);
            Assert.Equal(10m, all);
        }

        [Fact]
        public void Random_covers_are_paid_level_by_level_pro_rata_and_to_the_cent()
        {
            var random = new Random(1234);
            for (var run = 0; run < 2000; run++)
            {
                var holds = new List<WaterfallHold>();
                var levels = random.Next(1, 5);
                for (var level = 0; level < levels; level++)
                    for (var i = 0; i < (level == 0 ? 1 : random.Next(1, 6)); i++)
                        holds.Add(H($"h{level}-{i}", $"m{level}-{i}", random.Next(0, 50_000) / 100m, level));
                var cover = holds.Sum(h => h.Amount);
                var amount = random.Next(1, (int)(cover * 100) + 2000) / 100m;

                var (parts, unpaid) = CompensationWaterfall.Plan(holds, amount);

                Assert.Equal(amount, parts.Sum(p => p.Amount) + unpaid);
                Assert.Equal(Math.Max(0, amount - cover), unpaid);
                foreach (var part in parts)
                {
                    var hold = holds.Single(h => h.HoldId == part.HoldId);
                    Assert.Equal((hold.MemberId, hold.Level), (part.MemberId, part.Level));
                    Assert.InRange(part.Amount, 0.01m, hold.Amount);
                    Assert.Equal(part.Amount, decimal.Round(part.Amount, 2));
                }
                for (var level = 1; level < levels; level++)
                {
                    if (PaidAt(parts, level) == 0) continue;
                    // A level pays only once every level below is exhausted.
                    for (var below = 0; below < level; below++)
                        Assert.Equal(holds.Where(h => h.Level == below).Sum(h => h.Amount), PaidAt(parts, below));
                }
                foreach (var level in holds.GroupBy(h => h.Level))
                {
                    var paid = PaidAt(parts, level.Key);
                    var available = level.Sum(h => h.Amount);
                    if (paid == 0 || available == 0) continue;
                    foreach (var hold in level) // pro rata within a cent
                    {
                        var exact = paid * hold.Amount / available;
                        var got = parts.Where(p => p.HoldId == hold.HoldId).Sum(p => p.Amount);
                        Assert.True(Math.Abs(got - exact) < 0.01m, $"run {run}: hold {hold.HoldId} paid {got}, pro rata {exact}");
                    }
                }
            }
        }
    }

    public sealed class PanelSelectorTests
    {
        private static readonly HashSet<string> Parties = ["p", "c"];
        private static readonly HashSet<string> Founders = ["f1", "f2", "f3"];
        private static readonly HashSet<string> Nobody = [];

        [Fact]
        public void The_panel_never_holds_a_party_or_an_earlier_judge_and_lists_each_judge_once()
        {
            var (panel, council) = PanelSelector.Select(2, 6, ["g2", "c", "g1", "g2", "j-old", "g3"], Parties, new HashSet<string> { "j-old" }, Founders);
            Assert.False(council);
            Assert.Equal(["g1", "g2", "g3"], panel);
        }

        [Fact]
        public void A_first_panel_of_founders_is_an_ordinary_panel()
        {
            var (panel, council) = PanelSelector.Select(1, 6, ["f2", "f1"], Parties, Nobody, Founders);
            Assert.False(council);
            Assert.Equal(["f1", "f2"], panel);
        }

        [Fact]
        public void From_level_2_a_panel_of_founders_only_gives_way_to_the_council()
        {
            var (panel, council) = PanelSelector.Select(2, 6, ["f2", "f1"], Parties, Nobody, Founders);
            Assert.True(council);
            Assert.Equal(["f1", "f2", "f3"], panel);

            var (mixed, notCouncil) = PanelSelector.Select(2, 6, ["f2", "g1"], Parties, Nobody, Founders);
            Assert.False(notCouncil);
            Assert.Equal(["f2", "g1"], mixed);
        }

        [Fact]
        public void An_empty_panel_gives_way_to_the_council_at_any_level()
        {
            foreach (var level in new[] { 1, 3 })
            {
                var (panel, council) = PanelSelector.Select(level, 6, ["p", "j1"], Parties, new HashSet<string> { "j1" }, Founders);
                Assert.True(council);
                Assert.Equal(["f1", "f2", "f3"], panel);
            }
        }

        [Fact]
        public void The_last_level_is_always_the_council_of_every_founder_who_is_not_a_party()
        {
            var parties = new HashSet<string> { "p", "f2" };
            var (panel, council) = PanelSelector.Select(6, 6, ["g1", "g2", "g3"], parties, new HashSet<string> { "f1" }, Founders);
            Assert.True(council);
            Assert.Equal(["f1", "f3"], panel); // an earlier judge who is a founder sits on the council; a founder party does not

            Assert.False(PanelSelector.Select(5, 6, ["g1"], Parties, Nobody, Founders).IsCouncil);
        }
    }
}
