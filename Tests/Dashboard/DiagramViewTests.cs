using System.Diagnostics;
using Blazor.Diagrams.Core.Geometry;
using Blazor.Diagrams.Core.Models;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using OrleansGuarantee.Dashboard.Components.Diagrams;
using OrleansGuarantee.Dashboard.Diagrams;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>
/// The diagram component rendered with bUnit: the Blazor.Diagrams model follows the spec (and later specs, changing
/// only what differs), a large spec renders, and before the page is interactive the diagram is a text list.
/// The canvas calls JavaScript (sizes, resize observers), which bUnit's loose JS interop answers with defaults.
/// </summary>
public sealed class DiagramViewTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();

    public Task InitializeAsync()
    {
        // Loose: the resize observers and the like answer nothing; the canvas's size is the one call that must answer.
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _context.JSInterop.Setup<Rectangle>("ZBlazorDiagrams.getBoundingClientRect", _ => true).SetResult(new Rectangle(0, 0, 1200, 600));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _context.DisposeAsync();

    private static DiagramSpec First() => new(
        [
            new DiagramNode("a", "Aigul", ["a", "founder"], "Founder", 0, 0, "/members/a"),
            new DiagramNode("b", "Bolat", ["b", "active"], "Active", 240, 0, "/members/b"),
            new DiagramNode("c", "Dana", ["c", "active"], "self", 120, 140),
        ],
        [
            new DiagramLink("a", "c", "limit 100.00"),
            new DiagramLink("b", "c", "limit 200.00", "weak"),
        ]);

    private IRenderedComponent<DiagramView> Render(DiagramSpec spec, bool interactive = true)
    {
        _context.SetRendererInfo(new RendererInfo(interactive ? "Server" : "Static", interactive));
        return _context.Render<DiagramView>(p => p.Add(x => x.Spec, spec).Add(x => x.Label, "Guarantee tree"));
    }

    private static void AssertModelMatches(DiagramView view, DiagramSpec spec)
    {
        var nodes = view.Diagram.Nodes.OfType<SpecNode>().ToDictionary(n => n.Id);
        Assert.Equal(spec.Nodes.Select(n => n.Id).Order(StringComparer.Ordinal), nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(view.Diagram.Nodes.Count, nodes.Count);
        foreach (var want in spec.Nodes)
        {
            Assert.Equal(want.Title, nodes[want.Id].Spec.Title);
            Assert.Equal(want.Lines, nodes[want.Id].Spec.Lines);
            Assert.Equal(want.Kind, nodes[want.Id].Spec.Kind);
        }
        var links = view.Diagram.Links.ToDictionary(l => l.Id);
        Assert.Equal(spec.Links.Select(l => l.Id).Order(StringComparer.Ordinal), links.Keys.Order(StringComparer.Ordinal));
        foreach (var want in spec.Links)
        {
            var link = links[want.Id];
            Assert.Equal(want.Label, link.Labels.SingleOrDefault()?.Content);
            Assert.Same(nodes[want.FromId], link.Source.Model);
            Assert.Same(nodes[want.ToId], link.Target.Model);
            Assert.Equal(DiagramSync.ColorOf(want.Kind), ((LinkModel)link).Color);
        }
    }

    [Fact]
    public void The_model_has_the_specs_nodes_and_links_with_their_titles_lines_kinds_and_labels_and_the_canvas_draws_them()
    {
        var spec = First();
        var cut = Render(spec);

        AssertModelMatches(cut.Instance, spec);
        Assert.Single(cut.FindAll(".diagram-frame"));
        // Each node is drawn by its widget, with its kind as a CSS class and its page as a link.
        var widgets = cut.FindAll(".dg-node").ToDictionary(e => e.GetAttribute("data-node-id")!);
        Assert.Equal(["a", "b", "c"], widgets.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("dg-Founder", widgets["a"].ClassList);
        Assert.Equal("/members/b", widgets["b"].QuerySelector("a.dg-title")!.GetAttribute("href"));
        Assert.Null(widgets["c"].QuerySelector("a"));
        Assert.Equal("Dana", widgets["c"].QuerySelector(".dg-title")!.TextContent);
    }

    [Fact]
    public void A_second_spec_adds_removes_and_changes_only_what_differs_and_keeps_the_unchanged_nodes()
    {
        var cut = Render(First());
        var before = cut.Instance.Diagram.Nodes.OfType<SpecNode>().ToDictionary(n => n.Id);
        var keptLink = cut.Instance.Diagram.Links.Single(l => l.Id == "a->c");

        var second = new DiagramSpec(
            [
                new DiagramNode("a", "Aigul", ["a", "founder"], "Founder", 0, 0, "/members/a"),   // unchanged
                new DiagramNode("c", "Dana K.", ["c", "suspended"], "Suspended", 120, 140),        // changed
                new DiagramNode("d", "Erlan", ["d", "candidate"], "Candidate", 120, 280, "/members/d"), // added; b removed
            ],
            [
                new DiagramLink("a", "c", "limit 150.00"),  // label changed
                new DiagramLink("c", "d", "limit 10.00"),   // added; b->c went with b
            ]);
        cut.Render(p => p.Add(x => x.Spec, second));

        AssertModelMatches(cut.Instance, second);
        var after = cut.Instance.Diagram.Nodes.OfType<SpecNode>().ToDictionary(n => n.Id);
        Assert.Same(before["a"], after["a"]);
        Assert.Same(before["c"], after["c"]); // changed in place, not recreated
        Assert.Equal("Dana K.", after["c"].Spec.Title);
        Assert.DoesNotContain("b", after.Keys);
        Assert.Equal("limit 150.00", cut.Instance.Diagram.Links.Single(l => l.Id == "a->c").Labels.Single().Content);
        Assert.NotSame(keptLink, cut.Instance.Diagram.Links.Single(l => l.Id == "a->c"));
        // The canvas shows the change.
        cut.WaitForAssertion(() =>
        {
            var widgets = cut.FindAll(".dg-node").ToDictionary(e => e.GetAttribute("data-node-id")!);
            Assert.Equal(["a", "c", "d"], widgets.Keys.Order(StringComparer.Ordinal));
            Assert.Contains("dg-Suspended", widgets["c"].ClassList);
            Assert.Equal("Dana K.", widgets["c"].QuerySelector(".dg-title")!.TextContent);
        });

        // The same spec again changes nothing.
        var nodes = cut.Instance.Diagram.Nodes.ToList();
        var links = cut.Instance.Diagram.Links.ToList();
        Assert.False(DiagramSync.Apply(cut.Instance.Diagram, second));
        Assert.Equal(nodes, cut.Instance.Diagram.Nodes.ToList());
        Assert.Equal(links, cut.Instance.Diagram.Links.ToList());
    }

    [Fact]
    public void A_node_the_layout_moves_follows_unless_the_user_dragged_it()
    {
        var cut = Render(First());
        var a = cut.Instance.Diagram.Nodes.OfType<SpecNode>().Single(n => n.Id == "a");
        var b = cut.Instance.Diagram.Nodes.OfType<SpecNode>().Single(n => n.Id == "b");
        b.SetPosition(900, 900); // the user dragged b

        var moved = new DiagramSpec(First().Nodes.Select(n => n with { X = n.X + 500 }).ToList(), First().Links);
        cut.Render(p => p.Add(x => x.Spec, moved));

        Assert.Equal((500.0, 0.0), (a.Position.X, a.Position.Y));
        Assert.Equal((900.0, 900.0), (b.Position.X, b.Position.Y));
    }

    [Fact]
    public void A_500_node_spec_renders()
    {
        // Rows of 25, as the guarantee tree lays out 500 members.
        var nodes = Enumerable.Range(0, 500).Select(i => new DiagramNode($"n{i}", $"Member {i}", [$"n{i}", "active"], "Active",
            i % 25 * DiagramGrid.ColumnStep, i / 25 * DiagramGrid.RowStep, $"/members/n{i}")).ToList();
        var links = Enumerable.Range(1, 499).Select(i => new DiagramLink($"n{(i - 1) / 25}", $"n{i}", $"limit {i}.00")).ToList();
        var spec = new DiagramSpec(nodes, links);

        var clock = Stopwatch.StartNew();
        var cut = Render(spec);
        clock.Stop();

        AssertModelMatches(cut.Instance, spec);
        Assert.Equal(500, cut.FindAll("li[data-node-id]").Count); // the text alternative, for screen readers
        Assert.Single(cut.FindAll(".diagram-minimap")); // a large diagram gets a minimap
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"rendering 500 nodes took {clock.Elapsed}");
        Assert.Equal(500, cut.FindAll(".dg-node").Count);
        // Fitted once the canvas knew its size: zoomed out so every node lies inside the 1200×600 canvas.
        var diagram = cut.Instance.Diagram;
        Assert.InRange(diagram.Zoom, 0.1, 1);
        Assert.All(diagram.Nodes, n =>
        {
            Assert.InRange(n.Position.X * diagram.Zoom + diagram.Pan.X, 0, 1200 - DiagramGrid.NodeWidth * diagram.Zoom);
            Assert.InRange(n.Position.Y * diagram.Zoom + diagram.Pan.Y, 0, 600 - DiagramGrid.NodeHeight * diagram.Zoom);
        });
    }

    [Fact]
    public void Before_the_page_is_interactive_the_diagram_is_a_text_list_of_its_nodes_and_links()
    {
        var cut = Render(First(), interactive: false);

        Assert.Empty(cut.FindAll(".diagram-frame"));
        Assert.Empty(cut.FindAll(".dg-node"));
        var details = cut.Find("details.diagram-text");
        Assert.True(details.HasAttribute("open"));
        Assert.Equal("Guarantee tree as text", details.QuerySelector("summary")!.TextContent);
        var items = cut.FindAll("li[data-node-id]").ToDictionary(e => e.GetAttribute("data-node-id")!);
        Assert.Equal(["a", "b", "c"], items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("/members/a", items["a"].QuerySelector("a")!.GetAttribute("href"));
        Assert.Contains("Aigul", items["a"].TextContent, StringComparison.Ordinal);
        Assert.Contains("a, founder", items["a"].TextContent, StringComparison.Ordinal);
        Assert.Null(items["c"].QuerySelector("a"));
        var linkItems = cut.FindAll("li[data-link-id]").ToDictionary(e => e.GetAttribute("data-link-id")!, e => e.TextContent.Trim());
        Assert.Equal("Aigul → Dana: limit 100.00", linkItems["a->c"]);
        Assert.Equal("Bolat → Dana: limit 200.00", linkItems["b->c"]);
    }

    [Fact]
    public void A_click_on_a_node_opens_its_page()
    {
        var cut = Render(First());
        var navigation = _context.Services.GetRequiredService<NavigationManager>();
        var b = cut.Instance.Diagram.Nodes.Single(n => n.Id == "b");
        var c = cut.Instance.Diagram.Nodes.Single(n => n.Id == "c");

        cut.InvokeAsync(() => cut.Instance.Diagram.TriggerPointerClick(c, Click()));
        Assert.Equal("http://localhost/", navigation.Uri); // c has no page of its own
        cut.InvokeAsync(() => cut.Instance.Diagram.TriggerPointerClick(b, Click()));
        Assert.Equal("http://localhost/members/b", navigation.Uri);
    }

    private static Blazor.Diagrams.Core.Events.PointerEventArgs Click() =>
        new(0, 0, 0, 0, false, false, false, 0, 0, 0, 0, 0, 0, "mouse", true);
}
