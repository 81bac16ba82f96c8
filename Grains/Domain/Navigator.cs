using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace OrleansGuarantee.Domain;

/// <summary>
/// The contact graph as the navigator reads it (rule 21). The grains implement it over a partitioned index; tests
/// use a dictionary. Calls are batched: the search asks for a whole breadth-first level at once, so a partitioned
/// implementation does one round trip per partition per level. A contact is a <see cref="DirectoryEdge"/>, as the
/// directory keeps it (strength: the guarantee limit for a guarantee contact, 0 for a plain contact), so the
/// directory's lists are searched as they arrive, without a copy per edge. Contacts are mutual: the index lists the
/// edge on both sides with the same strength.
/// Excluded (expelled) members never appear in any answer: not as anyone's neighbour, not as a skill provider, and
/// their own neighbour list is empty (or missing).
/// </summary>
public interface IContactGraph
{
    /// <summary>The contacts of each of <paramref name="memberIds"/>; a member with none may be left out.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>> NeighborsAsync(IReadOnlyCollection<string> memberIds);

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
/// Cost: O(Σ levels of both balls) graph reads (≤ maxHops round trips; a member reached by both sides is read once),
/// plus O(chains of the lengths returned) to enumerate and sort.</para>
/// <para>Implementation, for speed (at 100,000 members a search reads about 4,500 edges on average and up to tens of
/// thousands): members are numbered when first seen and all per-member state lives in flat lists indexed by number,
/// so an edge read costs one dictionary lookup and a few appends; the skill's provider set is used as the graph gives
/// it (no copy, no sort: it may be a large set shared by concurrent searches), and providers are numbered only if the
/// backward side is ever expanded; chains are ranked as number arrays and only the ones returned become
/// <see cref="ContactChain"/>s. Contacts are mutual, so both members' lists name the edge with the same strength; while
/// a change has reached one member's list and not yet the other's, a hop takes its strength from one of the two.</para>
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

        IReadOnlySet<string> targets;
        if (hasMember)
            targets = new HashSet<string>(StringComparer.Ordinal) { toMember! };
        else
        {
            // A provider set from the graph is used as it is (it may be large and shared); the searching member is
            // left out by the search itself, not by copying the set.
            var providers = await graph.MembersOfferingAsync(skill!);
            targets = providers is HashSet<string> set && set.Comparer.Equals(StringComparer.Ordinal)
                ? set
                : new HashSet<string>(providers, StringComparer.Ordinal);
        }
        var targetCount = targets.Count - (targets.Contains(from) ? 1 : 0);
        if (targetCount == 0) return [];

        var search = Search.Rent(graph, from, targets, targetCount);
        try
        {
            var results = new List<ContactChain>();
            for (var length = 1; length <= maxHops && results.Count < limit; length++)
            {
                await search.EnsureAsync(length);
                if (search.NothingReachable) break;
                results.AddRange(search.Best(length, limit - results.Count));
            }
            return results;
        }
        finally
        {
            search.Return();
        }
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

    /// <summary>An edge as the search keeps it: the other member's number and the edge's strength.</summary>
    private readonly record struct Edge(int Node, decimal Strength);

    /// <summary>A chain of one length in member numbers, ranked before it is turned into a <see cref="ContactChain"/>.</summary>
    private sealed record Candidate(int[] Nodes, decimal[] Strengths, decimal Weakest, decimal Total);

    /// <summary>
    /// One search. Members are numbered when first seen and everything lives in flat lists indexed by member number
    /// or edge number, so reading an edge costs one dictionary lookup and a few appends, with no collection per member:
    /// every edge read (u → w, kept once per member even when both sides reach it) and, per member, where its own list
    /// starts and the chain of edges others listed to it. A member's known contacts (its own list and those edges,
    /// each other member once) are put together only for the few members chains are enumerated through.
    /// <para>Searches are pooled (<see cref="Rent"/>, <see cref="Return"/>): the lists keep their capacity from one
    /// search to the next, so a search allocates little more than its results — at 100,000 members a search reads
    /// thousands of edges, and allocating its structures afresh each time was most of the garbage collector's work.</para>
    /// </summary>
    private sealed class Search
    {
        private const int Unknown = -1;
        private const int PoolSize = 32;
        /// <summary>A search that read more edges than this is not pooled, so one huge search does not pin its memory.</summary>
        private const int MaxPooledEdges = 250_000;

        private static readonly ConcurrentBag<Search> Pool = [];

        private readonly Dictionary<string, int> _number = new(StringComparer.Ordinal);
        // Per member number.
        private readonly List<string> _ids = [];
        private readonly List<int> _df = [], _db = [];
        private readonly List<bool> _isTarget = [];
        private readonly List<int> _ownStart = [], _ownCount = []; // _ownStart is Unknown until the member's list is read
        private readonly List<int> _inHead = [];
        // Per edge number: u → w as read from u's list, and the edge read before it into the same w.
        private readonly List<int> _edgeFrom = [], _edgeTo = [], _nextIn = [];
        private readonly List<decimal> _strength = [];
        private readonly Dictionary<int, Edge[]> _known = [];
        private readonly List<List<int>> _forwardLevels = [];
        private readonly List<string> _ask = [];
        private int[] _mark = [];
        private int _stamp;

        private IContactGraph _graph = null!;
        private string _fromId = "";
        private IReadOnlySet<string> _targets = null!;
        private int _targetCount, _from;
        private List<int> _forwardFrontier = [];
        // Null while it is still every target (numbered only if the backward side is ever expanded).
        private List<int>? _backwardFrontier;
        private int _a, _b, _targetsReachedForward;
        // A side is exhausted when its frontier is empty: every node it can reach is known and has been read.
        private bool _forwardDone, _backwardDone;

        public static Search Rent(IContactGraph graph, string from, IReadOnlySet<string> targets, int targetCount)
        {
            if (!Pool.TryTake(out var search)) search = new Search();
            search._graph = graph;
            search._fromId = from;
            search._targets = targets;
            search._targetCount = targetCount;
            search._from = search.Number(from);
            search._df[search._from] = 0;
            search._forwardLevels.Add([search._from]);
            search._forwardFrontier = [search._from];
            return search;
        }

        /// <summary>Clears the search and keeps it for the next one (the chains it returned are its own copies).</summary>
        public void Return()
        {
            if (_edgeTo.Count > MaxPooledEdges || _number.Count > MaxPooledEdges) return;
            _number.Clear();
            _ids.Clear();
            _df.Clear();
            _db.Clear();
            _isTarget.Clear();
            _ownStart.Clear();
            _ownCount.Clear();
            _inHead.Clear();
            _edgeFrom.Clear();
            _edgeTo.Clear();
            _nextIn.Clear();
            _strength.Clear();
            _known.Clear();
            _forwardLevels.Clear();
            _ask.Clear();
            _graph = null!;
            _targets = null!;
            _backwardFrontier = null;
            _a = _b = _targetsReachedForward = 0;
            _forwardDone = _backwardDone = false;
            if (Pool.Count < PoolSize) Pool.Add(this);
        }

        public bool NothingReachable =>
            (_forwardDone && _targetsReachedForward == 0) || (_backwardDone && _db[_from] == Unknown);

        public async Task EnsureAsync(int length)
        {
            while (!_forwardDone && !_backwardDone && _a + _b < length)
            {
                if (_forwardFrontier.Count <= (_backwardFrontier?.Count ?? _targetCount)) await ExpandForwardAsync();
                else await ExpandBackwardAsync();
            }
        }

        /// <summary>The member's number, numbering it when first seen; a target starts at backward distance 0.</summary>
        private int Number(string id)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_number, id, out var exists);
            if (exists) return slot;
            var n = _ids.Count;
            slot = n;
            var target = id != _fromId && _targets.Contains(id);
            _ids.Add(id);
            _df.Add(Unknown);
            _db.Add(target ? 0 : Unknown);
            _isTarget.Add(target);
            _ownStart.Add(Unknown);
            _ownCount.Add(0);
            _inHead.Add(Unknown);
            return n;
        }

        /// <summary>One forward level: targets get a distance but are not expanded (a chain ends at its target).</summary>
        private async Task ExpandForwardAsync()
        {
            await ReadAsync(_forwardFrontier);
            var level = _a + 1;
            var next = new List<int>();
            var discovered = new List<int>();
            foreach (var u in _forwardFrontier)
            {
                var end = _ownStart[u] + _ownCount[u];
                for (var e = _ownStart[u]; e < end; e++)
                {
                    var w = _edgeTo[e];
                    if (_df[w] != Unknown) continue;
                    _df[w] = level;
                    discovered.Add(w);
                    if (_isTarget[w]) _targetsReachedForward++;
                    else next.Add(w);
                }
            }
            _a++;
            _forwardLevels.Add(discovered);
            _forwardFrontier = next;
            _forwardDone = next.Count == 0;
        }

        /// <summary>One backward level: the searching member gets a distance but is not expanded (chains start there).</summary>
        private async Task ExpandBackwardAsync()
        {
            if (_backwardFrontier is null)
            {
                _backwardFrontier = new List<int>(_targetCount);
                foreach (var t in _targets)
                    if (t != _fromId) _backwardFrontier.Add(Number(t));
            }
            await ReadAsync(_backwardFrontier);
            var level = _b + 1;
            var next = new List<int>();
            foreach (var u in _backwardFrontier)
            {
                var end = _ownStart[u] + _ownCount[u];
                for (var e = _ownStart[u]; e < end; e++)
                {
                    var w = _edgeTo[e];
                    if (_db[w] != Unknown) continue;
                    _db[w] = level;
                    if (w != _from) next.Add(w);
                }
            }
            _b++;
            _backwardFrontier = next;
            _backwardDone = next.Count == 0;
        }

        /// <summary>Reads, in one batched call, the contact lists of those of <paramref name="members"/> not read yet.</summary>
        private async Task ReadAsync(List<int> members)
        {
            _ask.Clear();
            foreach (var u in members)
                if (_ownStart[u] == Unknown) _ask.Add(_ids[u]);
            if (_ask.Count == 0) return;
            var lists = await _graph.NeighborsAsync(_ask);
            _known.Clear();
            var read = 0;
            foreach (var edges in lists.Values) read += edges?.Count ?? 0;
            _edgeFrom.EnsureCapacity(_edgeFrom.Count + read);
            _edgeTo.EnsureCapacity(_edgeTo.Count + read);
            _nextIn.EnsureCapacity(_nextIn.Count + read);
            _strength.EnsureCapacity(_strength.Count + read);
            foreach (var id in _ask)
            {
                var u = _number[id];
                _ownStart[u] = _edgeTo.Count;
                if (!lists.TryGetValue(id, out var edges) || edges is null) continue;
                for (var i = 0; i < edges.Count; i++)
                {
                    var edge = edges[i];
                    if (string.IsNullOrEmpty(edge.MemberId)) continue;
                    var w = Number(edge.MemberId);
                    if (w == u) continue;
                    _nextIn.Add(_inHead[w]);
                    _inHead[w] = _edgeTo.Count;
                    _edgeFrom.Add(u);
                    _edgeTo.Add(w);
                    _strength.Add(edge.Strength);
                }
                _ownCount[u] = _edgeTo.Count - _ownStart[u];
            }
        }

        /// <summary>Every member an edge read so far joins to <paramref name="v"/>, each once: v's own list first, then
        /// the edges others listed to v (contacts are mutual, so for a member whose list was read these add nothing
        /// unless the two lists disagree for a moment).</summary>
        private Edge[] Known(int v)
        {
            if (_known.TryGetValue(v, out var known)) return known;
            if (_mark.Length < _ids.Count) _mark = new int[Math.Max(_ids.Count, 2 * _mark.Length)];
            if (_stamp == int.MaxValue)
            {
                Array.Clear(_mark);
                _stamp = 0;
            }
            var stamp = ++_stamp;
            var start = _ownStart[v] == Unknown ? 0 : _ownStart[v];
            var end = start + _ownCount[v];
            var incoming = 0;
            for (var e = _inHead[v]; e != Unknown; e = _nextIn[e]) incoming++;
            known = new Edge[end - start + incoming];
            var n = 0;
            for (var e = start; e < end; e++)
            {
                var w = _edgeTo[e];
                if (_mark[w] == stamp) continue;
                _mark[w] = stamp;
                known[n++] = new Edge(w, _strength[e]);
            }
            for (var e = _inHead[v]; e != Unknown; e = _nextIn[e])
            {
                var u = _edgeFrom[e];
                if (_mark[u] == stamp) continue;
                _mark[u] = stamp;
                known[n++] = new Edge(u, _strength[e]);
            }
            if (n < known.Length) known = known[..n];
            _known[v] = known;
            return known;
        }

        /// <summary>The best <paramref name="take"/> chains of exactly <paramref name="length"/> hops, in order.</summary>
        public IEnumerable<ContactChain> Best(int length, int take)
        {
            var candidates = Enumerate(length);
            candidates.Sort(CompareCandidates);
            return candidates.Take(take).Select(c => new ContactChain(c.Nodes.Select(n => _ids[n]).ToArray(), c.Strengths));
        }

        /// <summary>Hops are equal within one length: weakest link, then total strength, then the member ids.</summary>
        private int CompareCandidates(Candidate x, Candidate y)
        {
            var c = y.Weakest.CompareTo(x.Weakest);
            if (c != 0) return c;
            c = y.Total.CompareTo(x.Total);
            if (c != 0) return c;
            for (var i = 0; i < x.Nodes.Length; i++)
            {
                c = string.CompareOrdinal(_ids[x.Nodes[i]], _ids[y.Nodes[i]]);
                if (c != 0) return c;
            }
            return 0;
        }

        /// <summary>All simple chains of exactly <paramref name="length"/> hops (requires <see cref="EnsureAsync"/>).</summary>
        private List<Candidate> Enumerate(int length)
        {
            // The split position: the prefix [0..s] is checked by forward distances, the suffix [s..L] by backward ones.
            var s = _forwardDone ? length : _backwardDone ? 0 : Math.Max(0, length - _b);
            var chains = new List<Candidate>();
            var path = new int[length + 1];
            var strengths = new decimal[length];
            var prefixes = new List<(int[] Nodes, decimal[] Strengths)>();
            var suffixes = new List<(int[] Nodes, decimal[] Strengths)>();
            for (var level = 0; level <= Math.Min(s, _forwardLevels.Count - 1); level++)
            {
                foreach (var m in _forwardLevels[level])
                {
                    var back = _db[m];
                    if (back == Unknown || back > length - s) continue;
                    if (s > 0 && m == _from) continue;
                    if (s < length && _isTarget[m]) continue;
                    prefixes.Clear();
                    suffixes.Clear();
                    path[s] = m;
                    Prefixes(path, strengths, s, s, prefixes);
                    if (prefixes.Count == 0) continue;
                    Suffixes(path, strengths, s, s, length, suffixes);
                    foreach (var p in prefixes)
                    foreach (var q in suffixes)
                    {
                        if (!Disjoint(p.Nodes, q.Nodes, s, length)) continue;
                        var nodes = new int[length + 1];
                        Array.Copy(p.Nodes, 0, nodes, 0, s + 1);
                        Array.Copy(q.Nodes, s + 1, nodes, s + 1, length - s);
                        var hops = new decimal[length];
                        Array.Copy(p.Strengths, 0, hops, 0, s);
                        Array.Copy(q.Strengths, s, hops, s, length - s);
                        var weakest = hops[0];
                        var total = 0m;
                        foreach (var h in hops)
                        {
                            if (h < weakest) weakest = h;
                            total += h;
                        }
                        chains.Add(new Candidate(nodes, hops, weakest, total));
                    }
                }
            }
            return chains;
        }

        /// <summary>Fills path[0..position-1] backwards from path[position]; path[position..split] is placed.</summary>
        private void Prefixes(int[] path, decimal[] strengths, int position, int split, List<(int[], decimal[])> into)
        {
            var v = path[position];
            if (position == 0)
            {
                if (v == _from) into.Add(((int[])path.Clone(), (decimal[])strengths.Clone()));
                return;
            }
            foreach (var edge in Known(v))
            {
                var u = edge.Node;
                var d = _df[u];
                if (d == Unknown || d > position - 1) continue;
                if (position - 1 > 0 && (u == _from || _isTarget[u])) continue;
                if (Contains(path, u, position, split)) continue;
                path[position - 1] = u;
                strengths[position - 1] = edge.Strength;
                Prefixes(path, strengths, position - 1, split, into);
            }
        }

        /// <summary>Fills path[position+1..length] forwards from path[position]; path[split..position] is placed.</summary>
        private void Suffixes(int[] path, decimal[] strengths, int split, int position, int length, List<(int[], decimal[])> into)
        {
            var v = path[position];
            if (position == length)
            {
                if (_isTarget[v]) into.Add(((int[])path.Clone(), (decimal[])strengths.Clone()));
                return;
            }
            foreach (var edge in Known(v))
            {
                var w = edge.Node;
                var d = _db[w];
                if (d == Unknown || d > length - position - 1) continue;
                if (w == _from || (position + 1 < length && _isTarget[w])) continue;
                if (Contains(path, w, split, position)) continue;
                path[position + 1] = w;
                strengths[position] = edge.Strength;
                Suffixes(path, strengths, split, position + 1, length, into);
            }
        }

        private static bool Contains(int[] path, int node, int lo, int hi)
        {
            for (var i = lo; i <= hi; i++)
                if (path[i] == node) return true;
            return false;
        }

        private static bool Disjoint(int[] prefix, int[] suffix, int s, int length)
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
