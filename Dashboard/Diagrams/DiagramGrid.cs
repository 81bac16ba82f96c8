using System.Globalization;

namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>
/// The grid the layouts place nodes on, sized from the node's CSS (<c>.dg-node</c>: at most 200px wide, one line
/// per title and line), so boxes never overlap on the canvas. Layouts put nodes in bands (a level of a tree, a
/// row of holders) and long bands wrap into several rows, so a wide level stays readable instead of stretching
/// the canvas to tens of thousands of pixels.
/// </summary>
public static class DiagramGrid
{
    /// <summary>The widest a node is drawn (<c>.dg-node { max-width: 200px }</c>).</summary>
    public const double NodeWidth = 200;

    /// <summary>The tallest a node is drawn: a title and up to three one-line lines, with padding and border.</summary>
    public const double NodeHeight = 96;

    /// <summary>From the left of one node to the left of the next in a row.</summary>
    public const double ColumnStep = 240;

    /// <summary>From the top of one row to the top of the next: room for a link label between them.</summary>
    public const double RowStep = 140;

    /// <summary>Extra space between two bands, so each band reads as a group.</summary>
    public const double BandGap = 40;

    /// <summary>
    /// Places bands top to bottom, each band's rows centred on one vertical axis, wrapping after
    /// <paramref name="maxPerRow"/> nodes. Empty bands take no room. Positions start at (0, 0).
    /// </summary>
    public static IReadOnlyDictionary<string, (double X, double Y)> Bands(IEnumerable<IReadOnlyList<string>> bands, int maxPerRow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerRow, 1);
        var placed = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        var y = 0.0;
        foreach (var band in bands)
        {
            if (band.Count == 0) continue;
            for (var start = 0; start < band.Count; start += maxPerRow)
            {
                var count = Math.Min(maxPerRow, band.Count - start);
                for (var i = 0; i < count; i++)
                    placed[band[start + i]] = ((i - (count - 1) / 2.0) * ColumnStep, y);
                y += RowStep;
            }
            y += BandGap;
        }
        return Normalized(placed);
    }

    /// <summary>
    /// Places columns left to right, each column's nodes top to bottom under its head, wrapping into another
    /// sub-column after <paramref name="maxPerColumn"/> nodes. Positions start at (0, 0).
    /// </summary>
    public static IReadOnlyDictionary<string, (double X, double Y)> Columns(IEnumerable<(string Head, IReadOnlyList<string> Below)> columns, int maxPerColumn)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerColumn, 1);
        var placed = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        var x = 0.0;
        foreach (var (head, below) in columns)
        {
            var subColumns = Math.Max(1, (below.Count + maxPerColumn - 1) / maxPerColumn);
            placed[head] = (x + (subColumns - 1) * ColumnStep / 2, 0);
            for (var i = 0; i < below.Count; i++)
                placed[below[i]] = (x + i / maxPerColumn * ColumnStep, RowStep * (1 + i % maxPerColumn));
            x += subColumns * ColumnStep + BandGap;
        }
        return Normalized(placed);
    }

    private static Dictionary<string, (double X, double Y)> Normalized(Dictionary<string, (double X, double Y)> placed)
    {
        if (placed.Count == 0) return placed;
        var minX = placed.Values.Min(p => p.X);
        var minY = placed.Values.Min(p => p.Y);
        return placed.ToDictionary(p => p.Key, p => (p.Value.X - minX, p.Value.Y - minY), StringComparer.Ordinal);
    }

    /// <summary>An amount as the pages show it: "1,234.50".</summary>
    public static string Money(decimal amount) => amount.ToString("N2", CultureInfo.InvariantCulture);

    /// <summary>The page of a member, where a click on its node leads.</summary>
    public static string MemberHref(string memberId) => "/members/" + Uri.EscapeDataString(memberId);
}
