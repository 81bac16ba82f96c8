using OrleansGuarantee.Dashboard.Diagrams;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>What every layout must give: unique node ids, links between drawn nodes, and boxes that do not overlap.</summary>
public static class LayoutAssert
{
    public static void WellFormed(DiagramSpec spec)
    {
        var ids = spec.Nodes.Select(n => n.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        var set = ids.ToHashSet(StringComparer.Ordinal);
        Assert.All(spec.Links, l => Assert.True(set.Contains(l.FromId) && set.Contains(l.ToId), $"link {l.Id} has an end that is not drawn"));
        Assert.Equal(spec.Links.Count, spec.Links.Select(l => l.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(spec.Nodes, n => Assert.True(n.X >= 0 && n.Y >= 0, $"{n.Id} at ({n.X}, {n.Y}) is off the canvas"));
        NoOverlap(spec);
    }

    /// <summary>Two boxes overlap when they are closer than a node's width across and its height down.</summary>
    public static void NoOverlap(DiagramSpec spec)
    {
        // Sorted by x, only neighbours closer than a node's width need comparing (keeps a 500-node check fast).
        var nodes = spec.Nodes.OrderBy(n => n.X).ToList();
        for (var i = 0; i < nodes.Count; i++)
            for (var j = i + 1; j < nodes.Count && nodes[j].X - nodes[i].X < DiagramGrid.NodeWidth; j++)
                Assert.True(Math.Abs(nodes[j].Y - nodes[i].Y) >= DiagramGrid.NodeHeight,
                    $"{nodes[i].Id} at ({nodes[i].X}, {nodes[i].Y}) overlaps {nodes[j].Id} at ({nodes[j].X}, {nodes[j].Y})");
    }
}
