using Blazor.Diagrams;
using Blazor.Diagrams.Core.Models;
using Blazor.Diagrams.Core.Models.Base;

namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>
/// Applies a <see cref="DiagramSpec"/> to a <see cref="BlazorDiagram"/> as one batch of changes: nodes and links
/// that left are removed, new ones added, changed ones updated in place, the rest left alone (so a live diagram
/// does not flicker and a user's pan, zoom and dragged positions survive an update). Call it on the renderer's
/// thread (from a lifecycle method or inside <c>InvokeAsync</c>).
/// </summary>
public static class DiagramSync
{
    /// <summary>Returns true when anything changed.</summary>
    public static bool Apply(BlazorDiagram diagram, DiagramSpec spec)
    {
        ArgumentNullException.ThrowIfNull(diagram);
        ArgumentNullException.ThrowIfNull(spec);
        var changed = false;
        diagram.Batch(() =>
        {
            var wanted = spec.Nodes.ToDictionary(n => n.Id, StringComparer.Ordinal);
            var present = diagram.Nodes.OfType<SpecNode>().ToDictionary(n => n.Id, StringComparer.Ordinal);
            var wantedLinks = spec.Links.Where(l => wanted.ContainsKey(l.FromId) && wanted.ContainsKey(l.ToId))
                .GroupBy(l => l.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

            foreach (var link in diagram.Links.ToList())
            {
                if (wantedLinks.TryGetValue(link.Id, out var want) && SameLink(link, want)) continue;
                diagram.Links.Remove(link);
                changed = true;
            }
            foreach (var (id, node) in present)
            {
                if (wanted.ContainsKey(id)) continue;
                diagram.Nodes.Remove(node);
                changed = true;
            }
            foreach (var spec1 in spec.Nodes)
            {
                if (present.TryGetValue(spec1.Id, out var node))
                {
                    // The layout moved the node (another node came or went): it follows, unless the user dragged it.
                    var moved = node.Spec.X != spec1.X || node.Spec.Y != spec1.Y;
                    var sameContent = node.Spec.SameContentAs(spec1);
                    if (!moved && sameContent) continue;
                    var dragged = node.Position.X != node.Spec.X || node.Position.Y != node.Spec.Y;
                    node.Spec = spec1;
                    if (moved && !dragged) node.SetPosition(spec1.X, spec1.Y);
                    if (!sameContent) node.Refresh();
                    changed = true;
                }
                else
                {
                    diagram.Nodes.Add(new SpecNode(spec1));
                    changed = true;
                }
            }
            var nodes = diagram.Nodes.OfType<SpecNode>().ToDictionary(n => n.Id, StringComparer.Ordinal);
            var existing = diagram.Links.Select(l => l.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var (id, want) in wantedLinks)
            {
                if (existing.Contains(id)) continue;
                diagram.Links.Add(CreateLink(nodes[want.FromId], nodes[want.ToId], want));
                changed = true;
            }
        });
        if (changed) diagram.Refresh();
        return changed;
    }

    private static LinkModel CreateLink(SpecNode from, SpecNode to, DiagramLink spec)
    {
        var link = new LinkModel(spec.Id, from, to)
        {
            TargetMarker = LinkMarker.Arrow,
            Color = ColorOf(spec.Kind),
            Width = spec.Kind == "strong" ? 3 : 2,
            Locked = true,
        };
        if (!string.IsNullOrEmpty(spec.Label)) link.Labels.Add(new LinkLabelModel(link, spec.Label));
        return link;
    }

    private static bool SameLink(BaseLinkModel link, DiagramLink spec) =>
        string.Equals(link.Labels.FirstOrDefault()?.Content, spec.Label, StringComparison.Ordinal)
        && (link is not LinkModel model || model.Color == ColorOf(spec.Kind));

    /// <summary>Link colours by kind; kept here because Blazor.Diagrams draws links with an inline stroke.</summary>
    public static string ColorOf(string kind) => kind switch
    {
        "current" => "#1d6fd8",
        "failed" => "#c0392b",
        "done" => "#2e8b57",
        "weak" => "#9aa5b1",
        _ => "#4a5560",
    };
}
