using System.Globalization;

namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>
/// Diagrams of the navigator (rules 21-22): a chain of contacts drawn left to right with each hop's relation, and a
/// proposed loop drawn as a ring with the skill each member passes on.
/// </summary>
public static class NavigatorLayouts
{
    public const double ChainStep = 220;
    public const double LoopRadius = 150;

    /// <summary>A chain from the searcher (<c>self</c>) to the target (<c>current</c>); a hop's label is "contact" or
    /// "guarantee N" (a guarantee is the stronger relation, drawn thicker).</summary>
    public static DiagramSpec Chain(PathView path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var nodes = new List<DiagramNode>(path.MemberIds.Count);
        for (var i = 0; i < path.MemberIds.Count; i++)
        {
            var id = path.MemberIds[i];
            var kind = i == 0 ? "self" : i == path.MemberIds.Count - 1 ? "current" : "";
            var line = i == 0 ? "you" : i == path.MemberIds.Count - 1 ? "target" : $"hop {i}";
            nodes.Add(new DiagramNode(id, id, [line], kind, i * ChainStep, 40, MemberHref(id)));
        }
        var links = new List<DiagramLink>(path.Strengths.Count);
        for (var i = 0; i < path.Strengths.Count; i++)
            links.Add(new DiagramLink(path.MemberIds[i], path.MemberIds[i + 1], Relation(path.Strengths[i]),
                path.Strengths[i] > 0 ? "strong" : ""));
        return new DiagramSpec(nodes, links);
    }

    /// <summary>A loop as a ring, first member at the top, clockwise in the order the work flows; the members who
    /// are the loop's weakest (by backing) and the viewer are marked.</summary>
    public static DiagramSpec Loop(CycleProposalView proposal, string? viewerId = null)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        var n = proposal.Hops.Count;
        var nodes = new List<DiagramNode>(n);
        for (var i = 0; i < n; i++)
        {
            var hop = proposal.Hops[i];
            var angle = -Math.PI / 2 + 2 * Math.PI * i / n;
            var lines = new List<string> { $"offers {hop.Offers}" };
            if (hop.MemberId == proposal.WeakestMemberId)
                lines.Add($"weakest backing {proposal.WeakestBacking.ToString("N2", CultureInfo.InvariantCulture)}");
            nodes.Add(new DiagramNode(hop.MemberId, hop.MemberId, lines, hop.MemberId == viewerId ? "self" : "",
                Math.Round(LoopRadius + LoopRadius * Math.Cos(angle)), Math.Round(LoopRadius + LoopRadius * Math.Sin(angle)),
                MemberHref(hop.MemberId)));
        }
        var links = proposal.Hops.Select(h => new DiagramLink(h.MemberId, h.ToMemberId, h.Offers)).ToList();
        return new DiagramSpec(nodes, links);
    }

    public static string Relation(decimal strength) =>
        strength > 0 ? $"guarantee {strength.ToString("N2", CultureInfo.InvariantCulture)}" : "contact";

    private static string MemberHref(string memberId) => $"/members/{Uri.EscapeDataString(memberId)}";
}
