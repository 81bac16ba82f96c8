namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>
/// Draws a <see cref="GuaranteeTree"/>: guarantors in bands above the member (the furthest on top), wards in bands
/// below, arrows from guarantor to ward labelled with the guarantee's limit. Within a band, members are ordered by
/// where the members they are linked to in the band nearer the middle stand, so arrows cross as little as a
/// simple rule allows.
/// </summary>
public static class GuaranteeTreeLayout
{
    /// <summary>A band wider than this wraps into several rows (more in a large tree, see <see cref="RowWidth"/>).</summary>
    public const int MaxPerRow = 8;

    /// <summary>
    /// How many members a row holds: <see cref="MaxPerRow"/>, or in a large tree about the square root of its size
    /// (a little wider than tall, like the canvas), so that 500 members still fit the canvas at its smallest zoom.
    /// </summary>
    public static int RowWidth(int members) => Math.Max(MaxPerRow, (int)Math.Ceiling(Math.Sqrt(members * 1.2)));

    /// <param name="meId">The signed-in member, marked "you" wherever it appears.</param>
    public static DiagramSpec Build(GuaranteeTree tree, string? meId = null)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var byId = tree.Members.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var links = tree.Links.Where(l => byId.ContainsKey(l.GuarantorId) && byId.ContainsKey(l.WardId)).ToList();
        var neighbours = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var l in links)
        {
            Neighbours(l.GuarantorId).Add(l.WardId);
            Neighbours(l.WardId).Add(l.GuarantorId);
        }

        var levels = tree.Members.GroupBy(m => m.Level).ToDictionary(g => g.Key, g => g.ToList());
        var order = new Dictionary<int, List<string>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        // Outwards from the middle: each band is ordered by the band next to it towards the member.
        foreach (var level in levels.Keys.OrderBy(Math.Abs).ThenBy(l => l))
        {
            var inner = level == 0 ? 0 : level - Math.Sign(level);
            var ordered = levels[level]
                .Select(m => (Member: m, Centre: Barycentre(m.Id, inner)))
                .OrderBy(x => x.Centre).ThenBy(x => x.Member.Name, StringComparer.Ordinal).ThenBy(x => x.Member.Id, StringComparer.Ordinal)
                .Select(x => x.Member.Id).ToList();
            order[level] = ordered;
            for (var i = 0; i < ordered.Count; i++) index[ordered[i]] = i;
        }

        var positions = DiagramGrid.Bands(order.OrderBy(o => o.Key).Select(o => (IReadOnlyList<string>)o.Value), RowWidth(tree.Members.Count));
        var nodes = order.OrderBy(o => o.Key).SelectMany(o => o.Value).Select(id =>
        {
            var m = byId[id];
            var (x, y) = positions[id];
            var root = id == tree.RootId;
            var lines = new List<string> { m.Id, m.Status.ToString().ToLowerInvariant(), Relation(m.Level) };
            if (id == meId) lines[2] += " · you";
            return new DiagramNode(m.Id, m.Name, lines, root ? "self" : m.Status.ToString(), x, y,
                root ? null : DiagramGrid.MemberHref(m.Id));
        }).ToList();
        var arrows = links.Select(l => new DiagramLink(l.GuarantorId, l.WardId,
            $"limit {DiagramGrid.Money(l.Limit)}" + (l.Withdrawn ? ", withdrawn" : ""), l.Withdrawn ? "weak" : "")).ToList();
        return new DiagramSpec(nodes, arrows);

        List<string> Neighbours(string id)
        {
            if (!neighbours.TryGetValue(id, out var list)) neighbours[id] = list = [];
            return list;
        }

        double Barycentre(string id, int innerLevel)
        {
            if (!neighbours.TryGetValue(id, out var list)) return double.MaxValue;
            var places = list.Where(n => byId[n].Level == innerLevel && index.ContainsKey(n)).Select(n => (double)index[n]).ToList();
            return places.Count == 0 ? double.MaxValue : places.Average();
        }
    }

    /// <summary>How a member stands to the one in the middle, in words.</summary>
    public static string Relation(int level) => level switch
    {
        0 => "this member",
        -1 => "guarantor",
        -2 => "guarantor's guarantor",
        1 => "ward",
        2 => "ward's ward",
        < 0 => $"guarantor, {-level} levels up",
        _ => $"ward, {level} levels down",
    };
}
