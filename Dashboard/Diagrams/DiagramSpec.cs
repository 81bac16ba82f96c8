namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>
/// What a diagram shows, as plain data: the layouts (guarantee tree, cycle, case escalation, navigator chain) build
/// one from the grains' views and are tested without a browser; <c>DiagramView</c> turns it into a Blazor.Diagrams
/// model and applies later specs as changes (only the nodes and links that differ are touched).
/// </summary>
public sealed record DiagramSpec(IReadOnlyList<DiagramNode> Nodes, IReadOnlyList<DiagramLink> Links)
{
    public static DiagramSpec Empty { get; } = new([], []);
}

/// <summary>One box of a diagram. <see cref="Kind"/> becomes a CSS class (a status, "current", "failed"...);
/// <see cref="Href"/>, when set, makes the title a link a keyboard can reach; <see cref="Seq"/>, when set, is the number
/// of the last change the node shows (rendered as <c>data-seq</c>, for a live diagram's browser tests).</summary>
public sealed record DiagramNode(string Id, string Title, IReadOnlyList<string> Lines, string Kind, double X, double Y,
    string? Href = null, long? Seq = null)
{
    public bool SameContentAs(DiagramNode other) =>
        Title == other.Title && Kind == other.Kind && Href == other.Href && Seq == other.Seq && Lines.SequenceEqual(other.Lines);
}

/// <summary>An arrow from one node to another, with an optional label (a relation, an amount, a skill).</summary>
public sealed record DiagramLink(string FromId, string ToId, string? Label = null, string Kind = "")
{
    public string Id => $"{FromId}->{ToId}";
}
