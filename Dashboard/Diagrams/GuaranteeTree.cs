namespace OrleansGuarantee.Dashboard.Diagrams;

/// <summary>A member of a guarantee tree, with only what every member of the community may see of it.</summary>
/// <param name="Level">Negative: guarantors above the member in the middle (-1 its guarantors, -2 theirs...);
/// positive: wards below it; 0: the member itself. A member reached two ways keeps the shorter.</param>
public sealed record TreeMember(string Id, string Name, MemberStatus Status, int Level);

/// <summary>A guarantee between two members of the tree: the guarantor stands behind the ward up to the limit.</summary>
public sealed record TreeLink(string GuarantorId, string WardId, decimal Limit, bool Withdrawn);

/// <summary>
/// The guarantors and wards around one member, as read from the member grains. <see cref="LeftOut"/> counts the
/// members found at the edge of the walk but not read because the tree reached <see cref="MaxNodes"/>; whoever
/// stands beyond them is not counted (it was never read).
/// </summary>
public sealed record GuaranteeTree(string RootId, IReadOnlyList<TreeMember> Members, IReadOnlyList<TreeLink> Links, int LeftOut, int MaxNodes)
{
    public bool Capped => LeftOut > 0;
}

/// <summary>
/// Walks the guarantee graph around a member through the members' own views: one level at a time, every member
/// of a level read in parallel, guarantors up to <see cref="LevelsUp"/> levels and wards down to
/// <see cref="LevelsDown"/>, nearer levels first, until <c>maxNodes</c> members are in the tree. No grain holds
/// the graph, so this is the only way to see it, and the cap bounds what one page view costs the cluster.
/// </summary>
public static class GuaranteeTreeWalker
{
    public const int DefaultMaxNodes = 500;
    public const int LevelsUp = 3;
    public const int LevelsDown = 2;

    /// <param name="root">The member in the middle, already read (the caller checked it may be seen).</param>
    /// <param name="read">Reads a member's view; null when there is no such member (it is left out).</param>
    public static async Task<GuaranteeTree> WalkAsync(MemberView root, Func<string, Task<MemberView?>> read,
        int maxNodes = DefaultMaxNodes, int levelsUp = LevelsUp, int levelsDown = LevelsDown)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNodes, 1);
        var members = new List<TreeMember> { Of(root, 0) };
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.Id };
        var links = new Dictionary<(string, string), TreeLink>();
        NoteLinks(root, links);
        IReadOnlyList<MemberView> up = [root], down = [root];
        var leftOut = 0;

        for (var distance = 1; distance <= Math.Max(levelsUp, levelsDown); distance++)
        {
            var upIds = distance <= levelsUp ? Next(up, v => v.Guarantors, seen) : [];
            var downIds = distance <= levelsDown ? Next(down, v => v.Wards, seen).Except(upIds, StringComparer.Ordinal).ToList() : [];
            if (upIds.Count == 0 && downIds.Count == 0) break;
            var room = maxNodes - members.Count;
            var takeUp = upIds.Take(room).ToList();
            var takeDown = downIds.Take(room - takeUp.Count).ToList();
            leftOut += upIds.Count - takeUp.Count + downIds.Count - takeDown.Count;

            var readUp = Task.WhenAll(takeUp.Select(read));
            var readDown = Task.WhenAll(takeDown.Select(read));
            await Task.WhenAll(readUp, readDown);
            up = Add(await readUp, -distance);
            down = Add(await readDown, distance);
        }

        var kept = links.Values.Where(l => seen.Contains(l.GuarantorId) && seen.Contains(l.WardId))
            .OrderBy(l => l.GuarantorId, StringComparer.Ordinal).ThenBy(l => l.WardId, StringComparer.Ordinal).ToList();
        return new GuaranteeTree(root.Id, members, kept, leftOut, maxNodes);

        IReadOnlyList<MemberView> Add(MemberView?[] views, int level)
        {
            var added = new List<MemberView>();
            foreach (var view in views)
            {
                if (view is null || !seen.Add(view.Id)) continue;
                members.Add(Of(view, level));
                NoteLinks(view, links);
                added.Add(view);
            }
            return added;
        }
    }

    /// <summary>The members one step further, each once, in the order they were met, leaving out those already in the tree.</summary>
    private static List<string> Next(IEnumerable<MemberView> from, Func<MemberView, IReadOnlyList<GuaranteeView>> step, HashSet<string> seen)
    {
        var next = new List<string>();
        var met = new HashSet<string>(StringComparer.Ordinal);
        foreach (var view in from)
            foreach (var g in step(view))
                if (!seen.Contains(g.MemberId) && met.Add(g.MemberId)) next.Add(g.MemberId);
        return next;
    }

    /// <summary>Every guarantee a member's view knows of, both ways; those whose other end is not drawn are dropped at the end.</summary>
    private static void NoteLinks(MemberView view, Dictionary<(string, string), TreeLink> links)
    {
        foreach (var g in view.Guarantors) links.TryAdd((g.MemberId, view.Id), new TreeLink(g.MemberId, view.Id, g.Limit, g.Withdrawn));
        foreach (var w in view.Wards) links.TryAdd((view.Id, w.MemberId), new TreeLink(view.Id, w.MemberId, w.Limit, w.Withdrawn));
    }

    private static TreeMember Of(MemberView view, int level) => new(view.Id, view.Profile.Name, view.Status, level);
}
