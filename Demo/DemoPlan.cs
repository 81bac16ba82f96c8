namespace OrleansGuarantee.Demo;

/// <summary>Where a member stands in the guarantee hierarchy: founders vouch for the early members, who vouch for
/// the middle ones, who vouch for the late ones; candidates are still waiting for their guarantors.</summary>
public enum Tier
{
    Founder,
    Early,
    Middle,
    Late,
    Candidate,
}

/// <summary>A member of the demo community with its profile and the money it puts in (and takes out).</summary>
public sealed record DemoMember(
    string Id, string Name, Tier Tier, IReadOnlyList<string> Offers, IReadOnlyList<string> Needs, string Location,
    decimal Deposit, decimal Withdrawal);

/// <summary>A guarantee the ward asks for; <see cref="Accepted"/> false leaves the request waiting for the guarantor.
/// Guarantees are made round by round (<see cref="Round"/>), because a guarantor must be active before it can vouch.</summary>
public sealed record DemoGuarantee(string WardId, string GuarantorId, decimal Limit, bool Accepted, int Round);

/// <summary>A contact <see cref="FromId"/> asks for; <see cref="Mutual"/> false leaves it waiting for the other side.</summary>
public sealed record DemoContact(string FromId, string ToId, bool Mutual);

/// <summary>How far a deal of the demo is taken (rules 9-16).</summary>
public enum DealGoal
{
    Proposed,
    Cancelled,
    Accepted,
    Delivered,
    Completed,
    ClaimOpen,
    ClaimAdmitted,
    Disputed,
}

/// <summary>How the judges of one level of a case vote: nobody yet, one judge, enough of them for a verdict on
/// <see cref="CaseLevelScript.Fault"/>, or half for the provider and half for the consumer (a tie).</summary>
public enum Voting
{
    None,
    OneVote,
    Verdict,
    Tie,
}

/// <summary>What the parties do with a level's verdict.</summary>
public enum PartyAnswer
{
    None,
    ClaimantAccepts,
    BothAccept,
    ClaimantAppeals,
}

/// <summary>One level of an arbitration case: how its panel votes and how the parties answer the verdict.</summary>
public sealed record CaseLevelScript(Voting Voting, string Fault = "provider", PartyAnswer Answer = PartyAnswer.None);

/// <summary>A disputed claim's course, level by level; the last level is left as the script leaves it.</summary>
public sealed record CaseScript(string Story, IReadOnlyList<CaseLevelScript> Levels);

/// <summary>A deal of the demo, proposed by <see cref="ProposerId"/>; claims are filed by the consumer.</summary>
public sealed record DemoDeal(
    string Key, string ProposerId, string ProviderId, string ConsumerId, decimal Value, string Description, int DueInDays,
    DealGoal Goal, decimal Damage = 0m, string? Reason = null, CaseScript? Case = null)
{
    public string OtherPartyId => ProposerId == ProviderId ? ConsumerId : ProviderId;
}

public sealed record DemoStage(string Role, string MemberId, decimal MarketPrice);

/// <summary>How far a synergy cycle of the demo is taken (rules 17-20).</summary>
public enum CycleGoal
{
    /// <summary>Designed; the first <see cref="DemoCycle.JoinedCount"/> stages have joined.</summary>
    Recruiting,
    /// <summary>Running at stage <see cref="DemoCycle.GoalStage"/> (its deal covered, not yet confirmed).</summary>
    Running,
    Completed,
}

/// <summary>A synergy cycle of the demo. When <see cref="FailStage"/> is set, that stage's deal is claimed and the
/// claim admitted (the stage fails), then the organizer gives the stage to <see cref="ReplacementId"/>.</summary>
public sealed record DemoCycle(
    string Key, string OrganizerId, string Product, decimal ProductValue, IReadOnlyList<DemoStage> Stages, CycleGoal Goal,
    int GoalStage = 0, int JoinedCount = 0, int? FailStage = null, decimal FailDamage = 0m, string? ReplacementId = null);

/// <summary>A guarantee the guarantor withdraws at the end (rule 4), which suspends the ward (rule 5).</summary>
public sealed record DemoWithdrawnGuarantee(string GuarantorId, string WardId);

/// <summary>
/// The demo community, computed the same way every time (a fixed seed), so that a second seeding finds exactly what
/// the first one made: founders, a three-level guarantee hierarchy of 200 members with candidates still waiting,
/// contacts, offers and needs from 20 skills (so the navigator finds loops), deposits, deals in every state, claims
/// and arbitration cases up to the second level, and synergy cycles running, completed and recovered. The plan is
/// plain data; <see cref="Seeder"/> brings the community to it through the HTTP API.
/// </summary>
public sealed record DemoPlan(
    string CommunityId,
    string CommunityName,
    string Password,
    IReadOnlyList<DemoMember> Members,
    IReadOnlyList<DemoGuarantee> Guarantees,
    IReadOnlyList<DemoContact> Contacts,
    IReadOnlyList<DemoDeal> Deals,
    IReadOnlyList<DemoCycle> Cycles,
    IReadOnlyList<DemoWithdrawnGuarantee> WithdrawnGuarantees)
{
    /// <summary>The community the seeder builds. Member ids are global, so the demo has exactly one community.</summary>
    public const string DefaultCommunityId = "demo";

    /// <summary>The password of every demo member (founders included), printed at the end of seeding.</summary>
    public const string DefaultPassword = "demo-password";

    public IEnumerable<DemoMember> Founders => Members.Where(m => m.Tier == Tier.Founder);

    public DemoMember Member(string id) => Members.First(m => m.Id == id);

    public static readonly IReadOnlyList<string> Skills =
    [
        "bricks", "masonry", "cement", "timber", "carpentry", "roofing", "plumbing", "electrical", "heating", "glazing",
        "tiling", "painting", "metalwork", "design", "transport", "landscaping", "accounting", "catering", "sewing", "furniture",
    ];

    private static readonly string[] Locations = ["Medeu", "Bostandyk", "Almaly", "Auezov", "Alatau", "Zhetysu", "Nauryzbay", "Turksib"];

    private static readonly string[] FemaleNames =
    [
        "Aruzhan", "Aigerim", "Dinara", "Gulnara", "Kamila", "Saule", "Aliya", "Zhanar", "Elena", "Olga", "Irina", "Svetlana", "Anna",
        "Maria", "Laura", "Togzhan", "Ainur", "Meruert", "Yana", "Sofia", "Alina", "Diana", "Karina", "Nazerke", "Assem",
    ];

    private static readonly string[] MaleNames =
    [
        "Arman", "Daniyar", "Yerlan", "Askar", "Bauyrzhan", "Marat", "Ruslan", "Sanzhar", "Alibek", "Dmitry", "Sergey", "Andrey",
        "Pavel", "Viktor", "Oleg", "Kairat", "Samat", "Azamat", "Ilyas", "Rustam", "Yerbol", "Dauren", "Maxim", "Nurbol", "Talgat",
    ];

    /// <summary>Surnames in their male form; the female form adds an "a" (Akhmetov, Akhmetova).</summary>
    private static readonly string[] GenderedSurnames =
    [
        "Akhmetov", "Bekov", "Zhakupov", "Iskakov", "Sadykov", "Ospanov", "Karimov", "Mukanov", "Serikov", "Baimukhanov",
        "Ivanov", "Petrov", "Smirnov", "Kuznetsov", "Volkov", "Orlov", "Morozov", "Sokolov", "Lebedev", "Kozlov",
    ];

    private static readonly string[] PlainSurnames = ["Kim", "Li", "Tsoi", "Pak", "Ni", "Han", "Schmidt", "Weber"];

    /// <summary>What a deal of each skill is about (the deal descriptions).</summary>
    private static readonly Dictionary<string, string[]> Work = new(StringComparer.Ordinal)
    {
        ["bricks"] = ["two pallets of red bricks", "facing bricks for a porch", "fire bricks for a stove"],
        ["masonry"] = ["a garden wall", "a brick fence", "chimney repair"],
        ["cement"] = ["40 bags of cement", "ready-mix for a foundation slab", "mortar for a garage"],
        ["timber"] = ["pine beams for a roof", "oak boards for a floor", "fence posts"],
        ["carpentry"] = ["kitchen cabinets", "a wooden staircase", "window frames"],
        ["roofing"] = ["a new roof on a shed", "gutter replacement", "roof leak repair"],
        ["plumbing"] = ["a bathroom refit", "new water pipes", "a boiler connection"],
        ["electrical"] = ["wiring of a flat", "a new fuse board", "garden lighting"],
        ["heating"] = ["underfloor heating", "radiator replacement", "a heat pump service"],
        ["glazing"] = ["double glazing of a balcony", "a glass partition", "greenhouse panes"],
        ["tiling"] = ["bathroom tiles", "a tiled kitchen floor", "terrace tiles"],
        ["painting"] = ["painting a flat", "facade paint", "varnishing a floor"],
        ["metalwork"] = ["a steel gate", "balcony railings", "a greenhouse frame"],
        ["design"] = ["a kitchen design", "plans for an extension", "a shop interior"],
        ["transport"] = ["moving furniture", "delivery of building materials", "a van for a weekend"],
        ["landscaping"] = ["planting a garden", "a lawn", "a stone path"],
        ["accounting"] = ["quarterly bookkeeping", "a tax return", "payroll for a workshop"],
        ["catering"] = ["lunch for a building crew", "a family celebration", "a week of bakery supplies"],
        ["sewing"] = ["curtains for a flat", "work clothes for a crew", "upholstery of chairs"],
        ["furniture"] = ["a dining table", "a wardrobe", "shelves for a shop"],
    };

    /// <summary>The demo community; the same every time.</summary>
    public static DemoPlan Build() => new Builder().Build();

    private sealed class Builder
    {
        private const int EarlyCount = 20;
        private const int MiddleCount = 60;
        private const int LateCount = 112;
        private const int CandidateCount = 8;

        private readonly DemoRandom _random = new(20_251_127);
        private readonly List<MemberDraft> _members = [];
        private readonly List<DemoGuarantee> _guarantees = [];
        private readonly List<DemoContact> _contacts = [];
        private readonly List<DemoDeal> _deals = [];
        private readonly List<DemoCycle> _cycles = [];
        private readonly HashSet<string> _special = new(StringComparer.Ordinal); // kept out of ordinary deals
        private readonly HashSet<string> _busy = new(StringComparer.Ordinal);    // in an open deal already
        private int _order;

        private sealed class MemberDraft(string id, string name, Tier tier, List<string> offers, List<string> needs, string location, decimal deposit)
        {
            public string Id { get; } = id;
            public string Name { get; } = name;
            public Tier Tier { get; } = tier;
            public List<string> Offers { get; } = offers;
            public List<string> Needs { get; } = needs;
            public string Location { get; } = location;
            public decimal Deposit { get; set; } = deposit;
            public decimal Withdrawal { get; set; }
        }

        public DemoPlan Build()
        {
            AddMembers();
            AddGuarantees();
            AddCycles();        // first: cycle members get the skills of their stages
            AddSpecialDeals();  // claims and cases, with members chosen for them
            AddOrdinaryDeals();
            AddContacts();
            var suspended = Tiered(Tier.Late).First(m => !_special.Contains(m.Id) && !_deals.Any(d => d.ProviderId == m.Id || d.ConsumerId == m.Id));
            var withdrawn = new DemoWithdrawnGuarantee(_guarantees.First(g => g.WardId == suspended.Id).GuarantorId, suspended.Id);
            foreach (var m in Tiered(Tier.Middle).Where(m => !_busy.Contains(m.Id)).Take(10))
                m.Withdrawal = 100m + 50m * _random.Next(5);

            return new DemoPlan(DefaultCommunityId, "Demo: a cooperative of builders and makers", DefaultPassword,
                _members.Select(m => new DemoMember(m.Id, m.Name, m.Tier, m.Offers, m.Needs, m.Location, m.Deposit, m.Withdrawal)).ToList(),
                _guarantees, _contacts, _deals, _cycles, [withdrawn]);
        }

        private IEnumerable<MemberDraft> Tiered(Tier tier) => _members.Where(m => m.Tier == tier);

        private MemberDraft At(Tier tier, int index) => Tiered(tier).ElementAt(index);

        // ---- Members ----------------------------------------------------------------------------

        private void AddMembers()
        {
            string[][] founders =
            [
                ["asel", "Asel Nurlanova"], ["nurlan", "Nurlan Abenov"], ["zarina", "Zarina Tulegenova"],
                ["timur", "Timur Kassymov"], ["madina", "Madina Omarova"],
            ];
            foreach (var f in founders) _members.Add(NewMember(f[0], f[1], Tier.Founder, 40_000m));

            var names = new List<(string First, string Last)>();
            foreach (var first in FemaleNames)
                names.AddRange(GenderedSurnames.Select(s => (first, s + "a")).Concat(PlainSurnames.Select(s => (first, s))));
            foreach (var first in MaleNames)
                names.AddRange(GenderedSurnames.Concat(PlainSurnames).Select(s => (first, s)));
            _random.Shuffle(names);
            var taken = new HashSet<string>(founders.Select(f => f[0]), StringComparer.Ordinal);
            var queue = new Queue<(string First, string Last)>(names);

            void Add(Tier tier, int count, Func<decimal> deposit)
            {
                for (var i = 0; i < count; i++)
                {
                    var (first, last) = queue.Dequeue();
                    var id = $"{first}.{last}".ToLowerInvariant();
                    if (!taken.Add(id)) { i--; continue; }
                    _members.Add(NewMember(id, $"{first} {last}", tier, deposit()));
                }
            }
            Add(Tier.Early, EarlyCount, () => 12_000m + 500m * _random.Next(17));
            Add(Tier.Middle, MiddleCount, () => 3_000m + 250m * _random.Next(21));
            Add(Tier.Late, LateCount, () => 400m + 50m * _random.Next(43));
            var candidates = 0;
            Add(Tier.Candidate, CandidateCount, () => candidates++ % 2 == 0 ? 200m : 0m);
        }

        private MemberDraft NewMember(string id, string name, Tier tier, decimal deposit)
        {
            var offers = _random.Sample(Skills, 1 + _random.Next(2));
            var needs = _random.Sample(Skills.Except(offers).ToList(), 1 + _random.Next(2));
            return new MemberDraft(id, name, tier, offers, needs, _random.Pick(Locations), deposit);
        }

        // ---- Guarantees: founders → early → middle → late; candidates still waiting ---------------

        private void AddGuarantees()
        {
            var founders = Tiered(Tier.Founder).ToList();
            var early = Tiered(Tier.Early).ToList();
            var middle = Tiered(Tier.Middle).ToList();

            var i = 0;
            foreach (var m in early)
            {
                var f1 = i % founders.Count;
                var f2 = (f1 + 1 + i / founders.Count % (founders.Count - 1)) % founders.Count;
                Guarantee(m, founders[f1], founders[f2], 5_000m, 1);
                i++;
            }
            i = 0;
            foreach (var m in middle)
            {
                var e1 = i % early.Count;
                var second = i % 6 == 5 ? founders[i % founders.Count] : early[(e1 + 1 + i / early.Count * 7) % early.Count];
                Guarantee(m, early[e1], second, 2_000m, 2);
                i++;
            }
            i = 0;
            foreach (var m in Tiered(Tier.Late))
            {
                var m1 = i % middle.Count;
                var second = i % 8 == 7 ? early[i % early.Count] : middle[(m1 + 1 + i / middle.Count * 11) % middle.Count];
                Guarantee(m, middle[m1], second, 1_000m, 3);
                i++;
            }
            i = 0;
            foreach (var c in Tiered(Tier.Candidate))
            {
                if (i < 4)
                {
                    // One guarantor so far, the second request waits: "needs 1 more guarantor".
                    _guarantees.Add(new DemoGuarantee(c.Id, middle[i * 7 % middle.Count].Id, 800m, true, 4));
                    _guarantees.Add(new DemoGuarantee(c.Id, early[i * 3 % early.Count].Id, 800m, false, 4));
                }
                else
                {
                    _guarantees.Add(new DemoGuarantee(c.Id, founders[i % founders.Count].Id, 800m, false, 4));
                    if (i >= 6) _guarantees.Add(new DemoGuarantee(c.Id, early[i % early.Count].Id, 800m, false, 4));
                }
                i++;
            }
        }

        private void Guarantee(MemberDraft ward, MemberDraft g1, MemberDraft g2, decimal limit, int round)
        {
            _guarantees.Add(new DemoGuarantee(ward.Id, g1.Id, limit, true, round));
            _guarantees.Add(new DemoGuarantee(ward.Id, g2.Id, limit, true, round));
        }

        private IEnumerable<string> GuarantorsOf(string wardId) => _guarantees.Where(g => g.WardId == wardId && g.Accepted).Select(g => g.GuarantorId);

        // ---- Synergy cycles (members of the early tier; organizers founders or early members) ------

        private void AddCycles()
        {
            var early = Tiered(Tier.Early).ToList();
            DemoStage Stage(string role, string skill, int member, decimal price)
            {
                var m = early[member];
                if (!m.Offers.Contains(skill)) m.Offers.Insert(0, skill);
                if (m.Needs.Remove(skill) && m.Needs.Count == 0) m.Needs.Add(Skills.First(s => !m.Offers.Contains(s)));
                return new DemoStage(role, m.Id, price);
            }

            _cycles.Add(new DemoCycle("family-house", "asel", "Family house in Medeu", 12_500m,
                [Stage("brick supplier", "bricks", 0, 1_500m), Stage("mason", "masonry", 1, 3_000m),
                 Stage("carpenter", "carpentry", 2, 4_000m), Stage("electrician", "electrical", 3, 1_500m)],
                CycleGoal.Completed));
            var replacement = Stage("plumber", "plumbing", 6, 1_200m).MemberId; // offers plumbing too
            _cycles.Add(new DemoCycle("bakery-fit-out", "nurlan", "Bakery fit-out on Abay avenue", 5_500m,
                [Stage("designer", "design", 4, 800m), Stage("plumber", "plumbing", 5, 1_200m),
                 Stage("tiler", "tiling", 7, 1_600m), Stage("electrician", "electrical", 8, 1_000m)],
                CycleGoal.Running, GoalStage: 2, FailStage: 1, FailDamage: 300m, ReplacementId: replacement));
            _cycles.Add(new DemoCycle("greenhouse", early[9].Id, "Community greenhouse", 7_000m,
                [Stage("metalworker", "metalwork", 10, 1_200m), Stage("glazier", "glazing", 11, 2_000m),
                 Stage("heating engineer", "heating", 12, 1_400m), Stage("landscaper", "landscaping", 13, 900m)],
                CycleGoal.Running, GoalStage: 1));
            _cycles.Add(new DemoCycle("workshop-roof", "zarina", "Workshop roof", 4_000m,
                [Stage("timber supplier", "timber", 14, 900m), Stage("roofer", "roofing", 15, 1_800m), Stage("painter", "painting", 16, 600m)],
                CycleGoal.Recruiting, JoinedCount: 2));
            foreach (var c in _cycles)
                foreach (var s in c.Stages) _special.Add(s.MemberId);
            _special.Add(replacement);
        }

        // ---- Deals --------------------------------------------------------------------------------

        private void AddSpecialDeals()
        {
            // Late members with four different guarantors between the two parties, so a first panel has four judges.
            var late = Tiered(Tier.Late).ToList();
            var used = new HashSet<string>(StringComparer.Ordinal);
            (MemberDraft Provider, MemberDraft Consumer) Pair(bool lowDeposit = false)
            {
                foreach (var p in late)
                {
                    if (used.Contains(p.Id)) continue;
                    foreach (var c in late)
                    {
                        if (c == p || used.Contains(c.Id)) continue;
                        var judges = GuarantorsOf(p.Id).Concat(GuarantorsOf(c.Id)).ToList();
                        if (judges.Distinct().Count() != 4 || judges.Contains(p.Id) || judges.Contains(c.Id)) continue;
                        used.Add(p.Id);
                        used.Add(c.Id);
                        _special.Add(p.Id);
                        _special.Add(c.Id);
                        _busy.Add(p.Id);
                        _busy.Add(c.Id);
                        if (lowDeposit) p.Deposit = 450m; // the cover then reaches the guarantors, who become creditors
                        return (p, c);
                    }
                }
                throw new InvalidOperationException("No pair of late members with four distinct guarantors is left.");
            }

            void Claimed(string key, DealGoal goal, decimal value, decimal damage, string reason, CaseScript? script = null, bool lowDeposit = false)
            {
                var (p, c) = Pair(lowDeposit);
                _deals.Add(new DemoDeal(key, p.Id, p.Id, c.Id, value, Describe(p), 14, goal, damage, reason, script));
            }

            Claimed("claim-open", DealGoal.ClaimOpen, 800m, 250m, "Half of the tiles arrived cracked.");
            Claimed("claim-admitted", DealGoal.ClaimAdmitted, 600m, 150m, "Delivered two days late; the crew waited.");
            Claimed("claim-admitted-debt", DealGoal.ClaimAdmitted, 1_200m, 900m, "The work had to be redone by someone else.", lowDeposit: true);
            Claimed("case-fresh", DealGoal.Disputed, 700m, 300m, "The gate does not close.",
                new CaseScript("disputed; the first panel has not voted yet", [new CaseLevelScript(Voting.None)]));
            Claimed("case-voting", DealGoal.Disputed, 900m, 400m, "The paint is peeling after a week.",
                new CaseScript("first panel voting, one vote in", [new CaseLevelScript(Voting.OneVote)]));
            Claimed("case-verdict", DealGoal.Disputed, 1_000m, 500m, "The pipes leak at every joint.",
                new CaseScript("verdict of the first panel; the claimant accepted, the provider may still appeal",
                    [new CaseLevelScript(Voting.Verdict, "provider", PartyAnswer.ClaimantAccepts)]));
            Claimed("case-tie", DealGoal.Disputed, 1_100m, 600m, "The cabinets are not the size ordered.",
                new CaseScript("a tie of the first panel sent it to level 2, where one judge has voted",
                    [new CaseLevelScript(Voting.Tie), new CaseLevelScript(Voting.OneVote)]));
            Claimed("case-appeal", DealGoal.Disputed, 1_000m, 450m, "Wrong timber was delivered.",
                new CaseScript("the claimant appealed the first verdict; the second panel is voting",
                    [new CaseLevelScript(Voting.Verdict, "neither", PartyAnswer.ClaimantAppeals), new CaseLevelScript(Voting.None)]));
            Claimed("case-final", DealGoal.Disputed, 1_300m, 1_000m, "The roof leaks in the first rain.",
                new CaseScript("decided, accepted by both and paid from the cover: the provider owes its guarantors",
                    [new CaseLevelScript(Voting.Verdict, "provider", PartyAnswer.BothAccept)]), lowDeposit: true);
        }

        private void AddOrdinaryDeals()
        {
            var pool = _members.Where(m => m.Tier is Tier.Early or Tier.Middle or Tier.Late && !_special.Contains(m.Id)).ToList();
            void Add(DealGoal goal, int count, bool open, int proposedByConsumerEvery = 0)
            {
                for (var i = 0; i < count; i++)
                {
                    var candidates = open ? pool.Where(m => !_busy.Contains(m.Id)).ToList() : pool;
                    var provider = _random.Pick(candidates);
                    var skill = _random.Pick(provider.Offers);
                    var consumers = candidates.Where(m => m != provider && m.Needs.Contains(skill)).ToList();
                    var consumer = consumers.Count > 0 ? _random.Pick(consumers) : _random.Pick(candidates.Where(m => m != provider).ToList());
                    if (open)
                    {
                        _busy.Add(provider.Id);
                        _busy.Add(consumer.Id);
                    }
                    var value = 100m + 10m * _random.Next(open ? 80 : 140);
                    var proposer = proposedByConsumerEvery > 0 && i % proposedByConsumerEvery == 1 ? consumer : provider;
                    var key = $"{goal.ToString().ToLowerInvariant()}-{i + 1}";
                    _deals.Add(new DemoDeal(key, proposer.Id, provider.Id, consumer.Id, value, Describe(provider, skill), 7 + _random.Next(40), goal));
                }
            }
            Add(DealGoal.Completed, 18, open: false);
            Add(DealGoal.Accepted, 4, open: true, proposedByConsumerEvery: 2);
            Add(DealGoal.Delivered, 2, open: true);
            Add(DealGoal.Proposed, 4, open: true, proposedByConsumerEvery: 3);
            Add(DealGoal.Cancelled, 2, open: true);
        }

        private string Describe(MemberDraft provider, string? skill = null)
        {
            skill ??= provider.Offers[0];
            var work = _random.Pick(Work[skill]);
            return $"{char.ToUpperInvariant(skill[0])}{skill[1..]}: {work} (order {++_order:000})";
        }

        // ---- Contacts -----------------------------------------------------------------------------

        private void AddContacts()
        {
            var active = _members.Where(m => m.Tier is not Tier.Candidate).ToList();
            var pairs = new HashSet<(string, string)>();
            bool New(string a, string b) => a != b && pairs.Add(string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a));
            // Everyone knows someone who offers what they need (a trading contact), and a neighbour from their district.
            foreach (var m in active.Where(m => m.Tier != Tier.Founder))
            {
                var sellers = active.Where(o => o != m && o.Offers.Intersect(m.Needs).Any()).ToList();
                if (sellers.Count > 0 && _random.Next(4) != 0)
                {
                    var s = _random.Pick(sellers);
                    if (New(m.Id, s.Id)) _contacts.Add(new DemoContact(m.Id, s.Id, true));
                }
                if (_random.Next(3) == 0)
                {
                    var n = _random.Pick(active.Where(o => o.Location == m.Location).ToList());
                    if (New(m.Id, n.Id)) _contacts.Add(new DemoContact(m.Id, n.Id, true));
                }
            }
            // Candidates have asked a few members to be contacts; those have not answered yet.
            foreach (var c in Tiered(Tier.Candidate))
            {
                var other = _random.Pick(active);
                if (New(c.Id, other.Id)) _contacts.Add(new DemoContact(c.Id, other.Id, false));
            }
        }
    }
}

/// <summary>A small deterministic generator (SplitMix64), so the plan is the same on every machine and .NET version.</summary>
public sealed class DemoRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>0 ≤ result &lt; <paramref name="maxExclusive"/>.</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)(NextUInt64() % (ulong)maxExclusive);
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary><paramref name="count"/> different items in a random order.</summary>
    public List<T> Sample<T>(IReadOnlyList<T> items, int count)
    {
        var copy = items.ToList();
        Shuffle(copy);
        return copy.Take(count).ToList();
    }
}
