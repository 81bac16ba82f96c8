namespace OrleansGuarantee.Benchmarks.Navigator;

/// <summary>
/// A generated community: members, their contacts and their offers and needs, before anything is sent to the grains.
/// <para>Contacts grow by preferential attachment, so degrees are skewed as in real social graphs: member i joins and
/// asks k_i earlier members (k_i is 1 + a geometric draw, mean <c>averageDegree / 2</c>, so most members ask only a
/// few); each is picked in proportion to its contacts so far with probability <c>preferential</c>, else uniformly.
/// Early members become hubs with hundreds or thousands of contacts; the median member has a handful.
/// Skills follow Zipf's law (weight 1/rank): a few are offered or needed by many, most by few. Offers and needs use
/// different rankings, so the most offered skill is not also the most needed.</para>
/// Everything is drawn from one seeded generator, so the same options make the same community.
/// </summary>
public sealed class CommunityModel
{
    private CommunityModel(string[] ids, int[][] contacts, string[] skills, string[][] offers, string[][] needs)
    {
        Ids = ids;
        Contacts = contacts;
        Skills = skills;
        Offers = offers;
        Needs = needs;
    }

    public string[] Ids { get; }

    /// <summary>Contacts[i]: the indexes of member i's contacts (mutual: j is in i's list iff i is in j's).</summary>
    public int[][] Contacts { get; }

    public string[] Skills { get; }
    public string[][] Offers { get; }
    public string[][] Needs { get; }

    public int Members => Ids.Length;

    public long Edges => Contacts.Sum(c => (long)c.Length) / 2;

    /// <summary>Every contact once, as (later member, earlier member) in the order they were made.</summary>
    public IEnumerable<(int A, int B)> EdgeList()
    {
        for (var i = 0; i < Contacts.Length; i++)
            foreach (var j in Contacts[i])
                if (j < i) yield return (i, j);
    }

    public static CommunityModel Generate(int members, double averageDegree, int skillCount, double preferential, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, members).Select(i => $"m{i:D7}").ToArray();
        var lists = new List<int>[members];
        for (var i = 0; i < members; i++) lists[i] = [];
        // Each contact adds both ends here, so a uniform pick from it is a pick in proportion to degree.
        var ends = new List<int>((int)Math.Min(int.MaxValue, (long)(members * averageDegree)));
        var meanAsks = Math.Max(1.0, averageDegree / 2);
        var chosen = new HashSet<int>();
        for (var i = 1; i < members; i++)
        {
            var asks = Math.Min(i, 1 + Geometric(random, 1.0 / meanAsks));
            chosen.Clear();
            for (var attempt = 0; chosen.Count < asks && attempt < asks * 20; attempt++)
            {
                var j = ends.Count > 0 && random.NextDouble() < preferential ? ends[random.Next(ends.Count)] : random.Next(i);
                chosen.Add(j);
            }
            foreach (var j in chosen)
            {
                lists[i].Add(j);
                lists[j].Add(i);
                ends.Add(i);
                ends.Add(j);
            }
        }

        var skills = Enumerable.Range(0, skillCount).Select(s => $"skill-{s:D2}").ToArray();
        var offerRank = Shuffled(random, skillCount);
        var needRank = Shuffled(random, skillCount);
        var offers = new string[members][];
        var needs = new string[members][];
        for (var i = 0; i < members; i++)
        {
            var offered = Draw(random, offerRank, 1 + random.Next(2), exclude: null);
            offers[i] = offered.Select(s => skills[s]).ToArray();
            needs[i] = Draw(random, needRank, 1 + random.Next(2), exclude: offered).Select(s => skills[s]).ToArray();
        }
        return new CommunityModel(ids, lists.Select(l => l.ToArray()).ToArray(), skills, offers, needs);
    }

    /// <summary>The number of failures before the first success: mean (1 − p) / p.</summary>
    private static int Geometric(Random random, double p)
    {
        var u = 1.0 - random.NextDouble();
        return (int)Math.Floor(Math.Log(u) / Math.Log(1 - Math.Min(p, 0.999999)));
    }

    private static int[] Shuffled(Random random, int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        random.Shuffle(order);
        return order;
    }

    /// <summary><paramref name="count"/> distinct skills drawn with weight 1 / (rank + 1) along <paramref name="rank"/>.</summary>
    private static List<int> Draw(Random random, int[] rank, int count, List<int>? exclude)
    {
        var picked = new List<int>(count);
        var total = 0.0;
        for (var r = 0; r < rank.Length; r++) total += 1.0 / (r + 1);
        for (var attempt = 0; picked.Count < count && attempt < 100; attempt++)
        {
            var x = random.NextDouble() * total;
            var r = 0;
            for (; r < rank.Length - 1; r++)
            {
                x -= 1.0 / (r + 1);
                if (x <= 0) break;
            }
            var skill = rank[r];
            if (!picked.Contains(skill) && (exclude is null || !exclude.Contains(skill))) picked.Add(skill);
        }
        return picked;
    }

    /// <summary>Degree figures printed with the results: they say how skewed the graph is.</summary>
    public (int Min, int Median, int P99, int Max, int Hubs100) DegreeStats()
    {
        var degrees = Contacts.Select(c => c.Length).Order().ToArray();
        if (degrees.Length == 0) return (0, 0, 0, 0, 0);
        return (degrees[0], degrees[degrees.Length / 2], degrees[Math.Min(degrees.Length - 1, (int)(degrees.Length * 0.99))],
            degrees[^1], degrees.Count(d => d >= 100));
    }
}
