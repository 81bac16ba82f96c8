using Blazor.Diagrams.Core.Geometry;
using Blazor.Diagrams.Core.Models;

namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>The Blazor.Diagrams node of a <see cref="DiagramNode"/>; drawn by <c>SpecNodeWidget</c>.</summary>
public sealed class SpecNode(DiagramNode spec) : NodeModel(spec.Id, new Point(spec.X, spec.Y))
{
    public DiagramNode Spec { get; set; } = spec;
}
