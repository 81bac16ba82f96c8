namespace OrleansGuarantee.Domain;

/// <summary>One contact of a member as the index sees it. <paramref name="Strength"/> is the guarantee limit for a
/// guarantee contact and 0 for a plain contact. Contacts are mutual: the index lists the edge on both sides with
/// the same strength.</summary>
public sealed record ContactEdge(string MemberId, decimal Strength);

/// <summary>
/// The contact graph as the navigator reads it (rule 21). The grains implement it over a partitioned index; tests
/// use a dictionary. Calls are batched: the search asks for a whole breadth-first level at once, so a partitioned
/// implementation does one round trip per partition per level.
/// Excluded (expelled) members never appear in any answer: not as anyone's neighbour, not as a skill provider, and
/// their own neighbour list is empty (or missing).
/// </summary>
public interface IContactGraph
{
    /// <summary>The contacts of each of <paramref name="memberIds"/>; a member with none may be left out.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<ContactEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds);

    /// <summary>The (active) members who offer <paramref name="skill"/>.</summary>
    Task<IReadOnlyCollection<string>> MembersOfferingAsync(string skill);
}

/// <summary>A chain of contacts: <see cref="MemberIds"/> from the searching member to the target, and the strength
/// of each hop (<c>Strengths[i]</c> is the edge between <c>MemberIds[i]</c> and <c>MemberIds[i + 1]</c>).</summary>
public sealed record ContactChain(IReadOnlyList<string> MemberIds, IReadOnlyList<decimal> Strengths)
{
    public int Hops => Strengths.Count;

    /// <summary>The chain's strength: its weakest hop (the smallest edge strength).</summary>
    public decimal Weakest => Strengths.Count == 0 ? 0m : Strengths.Min();

    /// <summary>The tie-break after <see cref="Weakest"/>: the sum of the hops' strengths.</summary>
    public decimal Total => Strengths.Sum();
}

/// <summary>
/// Rule 21, six handshakes: the shortest chains of contacts from a member to a named member or to members who offer
/// a skill.
/// <para>Result: the best <c>limit</c> simple chains (no member twice) of at most <c>maxHops</c> hops, ordered by
/// (1) hops, fewer first; (2) <see cref="ContactChain.Weakest"/>, stronger first (the weakest link of the chain);
/// (3) <see cref="ContactChain.Total"/>, larger first; (4) the member ids, ordinal, element by element. When fewer
/// than <c>limit</c> shortest chains exist, chains one hop longer follow, and so on up to <c>maxHops</c>.
/// For a skill the chain ends at the first member on it who offers the skill (a chain never passes through a
/// provider to reach another one); the searching member is never a target.</para>
/// <para>Algorithm: bidirectional breadth-first search, expanding the smaller frontier one level at a time with one
/// batched <see cref="IContactGraph.NeighborsAsync"/> call (at most <c>maxHops</c> calls per query; the backward side
/// starts from the named member or from all providers of the skill). For each length L the forward depth a and
/// backward depth b satisfy a + b ≥ L; every chain of length L then has its node at position s = L − b within both
/// balls, so chains are enumerated from those middle nodes outwards: towards the searching member through nodes whose
/// forward distance fits the remaining position, towards the target through nodes whose backward distance fits —
/// only nodes that lie on some chain of length L are visited, the two halves are joined when they share no member.
/// Cost: O(Σ levels of both balls) graph reads (≤ maxHops round trips), plus O(chains of the lengths returned)
/// to enumerate and sort.</para>
/// </summary>
public static class PathSearch
{
    public const int MaxHops = 6;
    public const int MaxLimit = 100;

    public static async Task<IReadOnlyList<ContactChain>> FindAsync(
        IContactGraph graph, string from, string? toMember, string? skill, int maxHops, int limit)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (string.IsNullOrWhiteSpace(from))
            throw GuaranteeException.Invalid("invalid-member", "The searching member is required.");
        if (maxHops is < 1 or > MaxHops)
            throw GuaranteeException.Invalid("invalid-max-hops", $"maxHops must be between 1 and {MaxHops} (got {maxHops}).");
        if (limit is < 1 or > MaxLimit)
            throw GuaranteeException.Invalid("invalid-limit", $"limit must be between 1 and {MaxLimit} (got {limit}).");
        var hasMember = !string.IsNullOrWhiteSpace(toMember);
        var hasSkill = !string.IsNullOrWhiteSpace(skill);
        if (hasMember == hasSkill)
            throw GuaranteeException.Invalid("invalid-target", "Give exactly one target: a member (to) or a skill.");
        if (hasMember && string.Equals(toMember, from, StringComparison.Ordinal))
            throw GuaranteeException.Invalid("path-to-self", "A member is not searched for from itself.");

        HashSet<string> targets;
        if (hasMember)
            targets = new HashSet<string>(StringComparer.Ordinal) { toMember! };
        else
        {
            targets = new HashSet<string>(await graph.MembersOfferingAsync(skill!), StringComparer.Ordinal);
            targets.Remove(from);
        }
        if (targets.Count == 0) return [];

        var search = new Search(graph, from, targets);
        var results = new List<ContactChain>();
        for (var length = 1; length <= maxHops && results.Count < limit; length++)
        {
            await search.EnsureAsync(length);
            if (search.NothingReachable) break;
            var chains = search.Enumerate(length);
            chains.Sort(Compare);
            results.AddRange(chains.Take(limit - results.Count));
        }
        return results;
    }

    /// <summary>The documented order of chains (see the class summary).</summary>
    public static int Compare(ContactChain x, ContactChain y)
    {
        var c = x.Hops.CompareTo(y.Hops);
        if (c != 0) return c;
        c = y.Weakest.CompareTo(x.Weakest);
        if (c != 0) return c;
        c = y.Total.CompareTo(x.Total);
        if (c != 0) return c;
        for (var i = 0; i < Math.Min(x.MemberIds.Count, y.MemberIds.Count); i++)
        {
            c = string.CompareOrdinal(x.MemberIds[i], y.MemberIds[i]);
            if (c != 0) return c;
        }
        return x.MemberIds.Count.CompareTo(y.MemberIds.Count);
    }

    private sealed class Search(IContactGraph graph, string from, HashSet<string> targets)
    {
        private readonly Dictionary<string, int> _df = new(StringComparer.Ordinal) { [from] = 0 };
        private readonly Dictionary<string, int> _db = targets.ToDictionary(t => t, _ => 0, StringComparer.Ordinal);
        private readonly List<List<string>> _forwardLevels = [[from]];
        // Every edge read so far, from both sides (contacts are mutual).
        private readonly Dictionary<string, Dictionary<string, decimal>> _adjacency = new(StringComparer.Ordinal);
        private List<string> _forwardFrontier = [from];
        private List<string> _backwardFrontier = targets.Order(StringComparer.Ordinal).ToList();
        private int _a, _b;
        // A side is exhausted when its frontier is empty: every node it can reach is known and has been read.
        private bool _forwardDone, _backwardDone;

        public bool NothingReachable =>
            (_forwardDone && !targets.Any(_df.ContainsKey)) || (_backwardDone && !_db.ContainsKey(from));

        public async Task EnsureAsync(int length)
        {
            while (!_forwardDone && !_backwardDone && _a + _b < length)
            {
                if (_forwardFrontier.Count <= _backwardFrontier.Count) await ExpandForwardAsync();
                else await ExpandBackwardAsync();
            }
        }

        private async Task ExpandForwardAsync()
        {
            var (next, discovered) = await ExpandAsync(_forwardFrontier, _df, _a + 1, stopAt: targets.Contains);
            _a++;
            _forwardLevels.Add(discovered);
            _forwardFrontier = next;
            _forwardDone = next.Count == 0;
        }

        private async Task ExpandBackwardAsync()
        {
            var (next, _) = await ExpandAsync(_backwardFrontier, _db, _b + 1, stopAt: id => id == from);
            _b++;
            _backwardFrontier = next;
            _backwardDone = next.Count == 0;
        }

        /// <summary>One level: reads the frontier's contacts in one call; nodes in <paramref name="stopAt"/> get a
        /// distance but are not expanded (a chain ends at a target and starts at the searching member).</summary>
        private async Task<(List<string> Next, List<string> Discovered)> ExpandAsync(
            List<string> frontier, Dictionary<string, int> distance, int level, Func<string, bool> stopAt)
        {
            var lists = await graph.NeighborsAsync(frontier);
            var next = new List<string>();
            var discovered = new List<string>();
            foreach (var u in frontier)
            {
                if (!lists.TryGetValue(u, out var edges) || edges is null) continue;
                foreach (var edge in edges)
                {
                    var w = edge.MemberId;
                    if (string.IsNullOrEmpty(w) || w == u) continue;
                    AddEdge(u, w, edge.Strength);
                    if (!distance.TryAdd(w, level)) continue;
                    discovered.Add(w);
                    if (!stopAt(w)) next.Add(w);
                }
            }
            return (next, discovered);
        }

        private void AddEdge(string u, string w, decimal strength)
        {
            Neighbors(u)[w] = strength;
            Neighbors(w)[u] = strength;
        }

        private Dictionary<string, decimal> Neighbors(string u)
        {
            if (!_adjacency.TryGetValue(u, out var n)) _adjacency[u] = n = new(StringComparer.Ordinal);
            return n;
        }

        private IEnumerable<KeyValuePair<string, decimal>> Known(string u) =>
            _adjacency.TryGetValue(u, out var n) ? n : [];

        /// <summary>All simple chains of exactly <paramref name="length"/> hops (requires <see cref="EnsureAsync"/>).</summary>
        public List<ContactChain> Enumerate(int length)
        {
            // The split position: the prefix [0..s] is checked by forward distances, the suffix [s..L] by backward ones.
            var s = _forwardDone ? length : _backwardDone ? 0 : Math.Max(0, length - _b);
            var chains = new List<ContactChain>();
            var path = new string[length + 1];
            var prefixes = new List<string[]>();
            var suffixes = new List<string[]>();
            for (var level = 0; level <= Math.Min(s, _forwardLevels.Count - 1); level++)
            {
                foreach (var m in _forwardLevels[level])
                {
                    if (!_db.TryGetValue(m, out var back) || back > length - s) continue;
                    if (s > 0 && m == from) continue;
                    if (s < length && targets.Contains(m)) continue;
                    prefixes.Clear();
                    suffixes.Clear();
                    path[s] = m;
                    Prefixes(path, s, s, prefixes);
                    if (prefixes.Count == 0) continue;
                    Suffixes(path, s, s, length, suffixes);
                    foreach (var p in prefixes)
                    foreach (var q in suffixes)
                    {
                        if (!Disjoint(p, q, s, length)) continue;
                        var ids = new string[length + 1];
                        Array.Copy(p, 0, ids, 0, s + 1);
                        Array.Copy(q, s + 1, ids, s + 1, length - s);
                        var strengths = new decimal[length];
                        for (var i = 0; i < length; i++) strengths[i] = _adjacency[ids[i]][ids[i + 1]];
                        chains.Add(new ContactChain(ids, strengths));
                    }
                }
            }
            return chains;
        }

        /// <summary>Fills path[0..position-1] backwards from path[position]; path[position..split] is placed.</summary>
        private void Prefixes(string[] path, int position, int split, List<string[]> into)
        {
            var v = path[position];
            if (position == 0)
            {
                if (v == from) into.Add((string[])path.Clone());
                return;
            }
            foreach (var (u, _) in Known(v))
            {
                if (!_df.TryGetValue(u, out var d) || d > position - 1) continue;
                if (position - 1 > 0 && (u == from || targets.Contains(u))) continue;
                if (Contains(path, u, position, split)) continue;
                path[position - 1] = u;
                Prefixes(path, position - 1, split, into);
            }
        }

        /// <summary>Fills path[position+1..length] forwards from path[position]; path[split..position] is placed.</summary>
        private void Suffixes(string[] path, int split, int position, int length, List<string[]> into)
        {
            var v = path[position];
            if (position == length)
            {
                if (targets.Contains(v)) into.Add((string[])path.Clone());
                return;
            }
            foreach (var (w, _) in Known(v))
            {
                if (!_db.TryGetValue(w, out var d) || d > length - position - 1) continue;
                if (w == from || (position + 1 < length && targets.Contains(w))) continue;
                if (Contains(path, w, split, position)) continue;
                path[position + 1] = w;
                Suffixes(path, split, position + 1, length, into);
            }
        }

        private static bool Contains(string[] path, string id, int lo, int hi)
        {
            for (var i = lo; i <= hi; i++)
                if (path[i] == id) return true;
            return false;
        }

        private static bool Disjoint(string[] prefix, string[] suffix, int s, int length)
        {
            for (var i = 0; i < s; i++)
            for (var j = s + 1; j <= length; j++)
                if (prefix[i] == suffix[j]) return false;
            return true;
        }
    }
}

/// <summary>A member's offers and needs as the organizer sees them. <paramref name="Backing"/> is how strongly the
/// member is guaranteed (the total limit its guarantors give it); it ranks loops of the same length.</summary>
public sealed record MemberOffer(string MemberId, IReadOnlyList<string> Offers, IReadOnlyList<string> Needs, decimal Backing = 0m);

/// <summary>One hop of a loop: <paramref name="MemberId"/> passes the skill <paramref name="Offers"/> to
/// <paramref name="ToMemberId"/>, who needs it.</summary>
public sealed record CycleHop(string MemberId, string Offers, string ToMemberId);

/// <summary>A closed loop A→B→…→A, starting at its ordinal-smallest member id (the canonical rotation).</summary>
public sealed record CycleProposal(IReadOnlyList<CycleHop> Hops, decimal WeakestBacking, string WeakestMemberId)
{
    public int Length => Hops.Count;
    public IReadOnlyList<string> MemberIds => Hops.Select(h => h.MemberId).ToArray();
}

/// <summary>
/// Rule 22, navigator-organizer: closed loops where each member offers something the next one needs.
/// <para>A loop has 2..maxLength members, none twice; a loop and its rotations are one proposal (written from its
/// ordinal-smallest member id); the reverse loop is a different proposal (the skills flow the other way). Each hop
/// names the ordinal-smallest skill the giver offers and the receiver needs.</para>
/// <para>Order: (1) length, shorter first; (2) the loop's weakest member — members are ranked by backing, larger
/// first, then by id (ordinal) — a loop whose weakest member comes earlier in that ranking first (that is: a larger
/// smallest backing first, ties by that member's id); (3) the canonical member ids, ordinal, element by element.</para>
/// <para>Algorithm (threshold search, no blind enumeration): members are indexed by (need, offer) skill pairs and
/// added one at a time in rank order. When member v is added, only the loops through v whose other members are
/// already added are searched — each loop is found exactly once, at its weakest member, so loops come out already in
/// order (2) and no rotation is ever produced twice. The search from v is a depth-first walk through the pair index,
/// pruned at the skill level: a skill is only passed on if the skill graph of the added members can still lead back
/// to one of v's needs within the hops left (a breadth-first search over the ≤ S skills per v). Lengths are searched
/// shortest first and the search stops as soon as <c>limit</c> loops are ranked. Cost: O(k · (S² + loops and dead
/// ends explored from v)) for the k members added before the limit fills — on dense data k is small; on sparse data
/// the skill-level pruning keeps the walks short. Memory: O(members · offers · needs).</para>
/// <para>Proposals follow offers and needs only, not contacts: the organizer proposes loops across the whole
/// community (members may not know each other yet); the contact chain to each member is what path search is for.</para>
/// </summary>
public static class CycleProposals
{
    public const int MaxLength = 6;
    public const int MaxLimit = 1000;

    public static IReadOnlyList<CycleProposal> Find(IReadOnlyList<MemberOffer> members, int maxLength, int limit)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (maxLength is < 2 or > MaxLength)
            throw GuaranteeException.Invalid("invalid-max-length", $"maxLength must be between 2 and {MaxLength} (got {maxLength}).");
        if (limit is < 1 or > MaxLimit)
            throw GuaranteeException.Invalid("invalid-limit", $"limit must be between 1 and {MaxLimit} (got {limit}).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in members)
        {
            if (m is null || string.IsNullOrWhiteSpace(m.MemberId))
                throw GuaranteeException.Invalid("invalid-member", "Every member needs an id.");
            if (!seen.Add(m.MemberId))
                throw GuaranteeException.Invalid("duplicate-member", $"Member '{m.MemberId}' is listed twice.");
        }

        var index = new Index(members);
        var results = new List<CycleProposal>();
        for (var length = 2; length <= maxLength && results.Count < limit; length++)
            foreach (var loop in index.Search(length, limit - results.Count))
                results.Add(index.ToProposal(loop));
        return results;
    }

    /// <summary>The rank order of members: backing descending, then id ordinal.</summary>
    public static int CompareRank(MemberOffer x, MemberOffer y)
    {
        var c = y.Backing.CompareTo(x.Backing);
        return c != 0 ? c : string.CompareOrdinal(x.MemberId, y.MemberId);
    }

    private sealed class Index
    {
        private readonly string[] _ids;
        private readonly decimal[] _backing;
        private readonly int[][] _offers; // skill ids, ascending (= ordinal skill order)
        private readonly int[][] _needs;
        private readonly int _skills;

        public Index(IReadOnlyList<MemberOffer> members)
        {
            var ranked = members.Where(m => m.Offers is { Count: > 0 } && m.Needs is { Count: > 0 }).ToList();
            ranked.Sort(CompareRank);
            var names = ranked.SelectMany(m => m.Offers.Concat(m.Needs)).Where(s => !string.IsNullOrEmpty(s))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var skillId = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < names.Length; i++) skillId[names[i]] = i;
            SkillNames = names;
            _skills = names.Length;
            _ids = ranked.Select(m => m.MemberId).ToArray();
            _backing = ranked.Select(m => m.Backing).ToArray();
            _offers = ranked.Select(m => Ids(m.Offers)).ToArray();
            _needs = ranked.Select(m => Ids(m.Needs)).ToArray();

            int[] Ids(IReadOnlyList<string> skills) => skills.Where(s => !string.IsNullOrEmpty(s))
                .Select(s => skillId[s]).Distinct().Order().ToArray();
        }

        public string[] SkillNames { get; }

        /// <summary>The best <paramref name="want"/> loops of exactly <paramref name="length"/> members, in order,
        /// as member indexes (index = rank) in canonical rotation.</summary>
        public List<int[]> Search(int length, int want)
        {
            var n = _ids.Length;
            var found = new List<int[]>();
            if (n < length) return found;
            // The (need, offer) index of the members added so far, and the skill graph it induces.
            var pairs = new Dictionary<long, List<int>>();
            var outSkills = new List<int>[_skills];
            var inSkills = new List<int>[_skills];
            for (var s = 0; s < _skills; s++) { outSkills[s] = []; inSkills[s] = []; }
            var h = new int[_skills];
            var marks = new int[length][];
            for (var d = 0; d < length; d++) marks[d] = new int[n];
            var stamps = new int[length];
            var onPath = new bool[n];
            var path = new int[length];
            var group = new List<int[]>();

            for (var v = 0; v < n; v++)
            {
                group.Clear();
                if (v > 0)
                {
                    HopsBack(v, length, inSkills, h);
                    path[0] = v;
                    onPath[v] = true;
                    Walk(1);
                    onPath[v] = false;
                }
                if (group.Count > 0)
                {
                    var canonical = group.Select(Canonical).ToList();
                    canonical.Sort(CompareIds);
                    found.AddRange(canonical);
                    if (found.Count >= want) break;
                }
                foreach (var need in _needs[v])
                foreach (var offer in _offers[v])
                {
                    var key = (long)need * _skills + offer;
                    if (!pairs.TryGetValue(key, out var list))
                    {
                        pairs[key] = list = [];
                        outSkills[need].Add(offer);
                        inSkills[offer].Add(need);
                    }
                    list.Add(v);
                }
            }
            return found.Count > want ? found.GetRange(0, want) : found;

            // path[0..k-1] is placed; choose path[k] among the added members who need what path[k-1] offers.
            void Walk(int k)
            {
                var left = length - k - 1; // members still to place after path[k]
                var stamp = ++stamps[k];
                var mark = marks[k];
                foreach (var given in _offers[path[k - 1]])
                foreach (var passed in outSkills[given])
                {
                    if (h[passed] > left) continue;
                    foreach (var u in pairs[(long)given * _skills + passed])
                    {
                        if (mark[u] == stamp) continue;
                        mark[u] = stamp;
                        if (onPath[u]) continue;
                        path[k] = u;
                        if (left == 0) { group.Add((int[])path.Clone()); continue; }
                        onPath[u] = true;
                        Walk(k + 1);
                        onPath[u] = false;
                    }
                }
            }
        }

        /// <summary>h[s] = the fewest added members that, starting by taking skill s, pass on a skill v needs
        /// (0 when v needs s itself); beyond length − 2 it does not matter.</summary>
        private void HopsBack(int v, int length, List<int>[] inSkills, int[] h)
        {
            Array.Fill(h, int.MaxValue);
            var queue = new Queue<int>();
            foreach (var s in _needs[v]) { h[s] = 0; queue.Enqueue(s); }
            if (length == 2) return;
            while (queue.Count > 0)
            {
                var o = queue.Dequeue();
                if (h[o] >= length - 2) continue;
                foreach (var need in inSkills[o])
                {
                    if (h[need] != int.MaxValue) continue;
                    h[need] = h[o] + 1;
                    queue.Enqueue(need);
                }
            }
        }

        private int[] Canonical(int[] loop)
        {
            var start = 0;
            for (var i = 1; i < loop.Length; i++)
                if (string.CompareOrdinal(_ids[loop[i]], _ids[loop[start]]) < 0) start = i;
            var rotated = new int[loop.Length];
            for (var i = 0; i < loop.Length; i++) rotated[i] = loop[(start + i) % loop.Length];
            return rotated;
        }

        private int CompareIds(int[] x, int[] y)
        {
            for (var i = 0; i < x.Length; i++)
            {
                var c = string.CompareOrdinal(_ids[x[i]], _ids[y[i]]);
                if (c != 0) return c;
            }
            return 0;
        }

        public CycleProposal ToProposal(int[] loop)
        {
            var hops = new CycleHop[loop.Length];
            for (var i = 0; i < loop.Length; i++)
            {
                var giver = loop[i];
                var taker = loop[(i + 1) % loop.Length];
                hops[i] = new CycleHop(_ids[giver], SkillNames[_offers[giver].Intersect(_needs[taker]).Min()], _ids[taker]);
            }
            var weakest = loop.Max();
            return new CycleProposal(hops, _backing[weakest], _ids[weakest]);
        }
    }
}
