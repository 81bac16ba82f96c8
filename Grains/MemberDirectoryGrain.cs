using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.MemberDirectoryState")]
public sealed class MemberDirectoryState
{
    /// <summary>The members of this partition as an older version stored them, in this one entity; moved to the
    /// pages (<see cref="IMemberDirectoryPageGrain"/>) when the partition activates, then empty.</summary>
    [Id(0)] public HashSet<string> Members { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The pages that may hold members (bit n: page n), so an activation reads only those. A bit is stored
    /// before its page is first written, and never cleared.</summary>
    [Id(1)] public int Pages { get; set; }
}

/// <summary>
/// One partition of a community's member directory. It stores only which members it has, split over pages
/// (<see cref="IMemberDirectoryPageGrain"/>, so no stored list outgrows one table entity); their status
/// and account totals are kept in memory from the members' reports, and asked of the members again when
/// the partition activates (or on request), so a report costs no storage write.
/// <para>For the navigator (rules 21-22) it also keeps, in step with every report, the indexes a query would
/// otherwise rebuild: who offers each skill, the offers list for cycle proposals, and each member's contact list
/// without expelled members. Expulsions are told to every partition of the community when they are reported (and
/// asked of the other partitions once after activation), so contact lists leave expelled neighbours out at once,
/// exactly as of the member's report, and a search needs one round trip per level instead of two.</para>
/// </summary>
public sealed class MemberDirectoryGrain(
    [PersistentState("directory", StorageNames.Store)] IPersistentState<MemberDirectoryState> state) : Grain, IMemberDirectoryGrain
{
    /// <summary>How many members a refresh asks at once.</summary>
    private const int RefreshConcurrency = 256;

    private readonly Dictionary<string, MemberSummary> _summaries = new(StringComparer.Ordinal);
    /// <summary>The partition's members, read from its pages once per activation (<see cref="EnsureLoadedAsync"/>).</summary>
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private Task? _loading;
    private bool _needsRefresh;
    private Task? _refreshing;

    // Navigator indexes, changed only by Keep/Forget and by what other partitions tell about expulsions.
    private readonly Dictionary<string, HashSet<string>> _offering = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string[]> _offeringSorted = new(StringComparer.OrdinalIgnoreCase);
    private List<DirectoryOffer>? _offers;
    private readonly HashSet<string> _expelledHere = new(StringComparer.Ordinal);
    private readonly HashSet<string> _expelledElsewhere = new(StringComparer.Ordinal);
    private bool _elsewhereLoaded;
    /// <summary>Grows whenever an expelled member is learned; a cached contact list of an older version is redone.</summary>
    private long _expelledVersion;
    private readonly Dictionary<string, (long Version, IReadOnlyList<DirectoryEdge> Edges)> _visible = new(StringComparer.Ordinal);

    private string CommunityId => this.GetPrimaryKeyString()[..this.GetPrimaryKeyString().LastIndexOf('/')];

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _needsRefresh = state.State.Pages != 0 || state.State.Members.Count > 0;
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task Report(MemberSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        await EnsureLoadedAsync();
        Keep(summary);
        if (_ids.Add(summary.MemberId))
        {
            try
            {
                await AddToPagesAsync([summary.MemberId]);
            }
            catch
            {
                _ids.Remove(summary.MemberId);
                Forget(summary.MemberId);
                throw;
            }
        }
        // Told on every report of an expelled member (not only the first): a report retried after a failed telling
        // tells again. Expelled members rarely report, so this costs little.
        if (_summaries.TryGetValue(summary.MemberId, out var kept) && kept.Status == MemberStatus.Expelled)
            await TellExpelledAsync([summary.MemberId]);
    }

    public async Task Remove(string memberId)
    {
        await EnsureLoadedAsync();
        Forget(memberId);
        if (_ids.Remove(memberId)) await Page(MemberDirectory.PageOf(memberId)).Remove([memberId]);
    }

    public async Task<DirectoryTotals> GetTotals(bool refresh)
    {
        if (refresh) _needsRefresh = true;
        await EnsureFreshAsync();
        var counts = new Dictionary<MemberStatus, int>();
        decimal deposited = 0, withdrawn = 0, balances = 0, held = 0, transferredIn = 0, transferredOut = 0;
        foreach (var s in _summaries.Values)
        {
            counts[s.Status] = counts.GetValueOrDefault(s.Status) + 1;
            deposited += s.Account.Deposited;
            withdrawn += s.Account.Withdrawn;
            balances += s.Account.Balance;
            held += s.Account.Held;
            transferredIn += s.Account.TransferredIn;
            transferredOut += s.Account.TransferredOut;
        }
        return new DirectoryTotals(counts, deposited, withdrawn, balances, held, transferredIn, transferredOut);
    }

    public async Task<IReadOnlyList<string>> ListMembers()
    {
        await EnsureLoadedAsync();
        return _ids.Order(StringComparer.Ordinal).ToList();
    }

    public async Task<ContactLists> GetNeighbors(IReadOnlyList<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        await EnsureFreshAsync();
        if (!_elsewhereLoaded) await LoadExpelledElsewhereAsync();
        var result = new Dictionary<string, IReadOnlyList<DirectoryEdge>>(memberIds.Count, StringComparer.Ordinal);
        foreach (var id in memberIds)
            if (_summaries.TryGetValue(id, out var s) && s.Status != MemberStatus.Expelled && s.Contacts is { Count: > 0 }
                && Visible(s) is { Count: > 0 } edges)
                result[id] = edges;
        return new ContactLists(result);
    }

    public async Task<IReadOnlyList<string>> GetOffering(string skill)
    {
        await EnsureFreshAsync();
        if (string.IsNullOrWhiteSpace(skill)) return [];
        var wanted = skill.Trim();
        if (_offeringSorted.TryGetValue(wanted, out var sorted)) return sorted;
        if (!_offering.TryGetValue(wanted, out var members)) return [];
        sorted = members.Order(StringComparer.Ordinal).ToArray();
        _offeringSorted[wanted] = sorted;
        return sorted;
    }

    public async Task<IReadOnlyDictionary<string, MemberStatus>> GetStatuses(IReadOnlyList<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        await EnsureFreshAsync();
        var result = new Dictionary<string, MemberStatus>(StringComparer.Ordinal);
        foreach (var id in memberIds)
            if (_summaries.TryGetValue(id, out var s)) result[id] = s.Status;
        return result;
    }

    public async Task<IReadOnlyList<DirectoryOffer>> GetOffers()
    {
        await EnsureFreshAsync();
        return _offers ??= _summaries.Values
            .Where(s => s.Status != MemberStatus.Expelled && ((s.Offers?.Count ?? 0) > 0 || (s.Needs?.Count ?? 0) > 0))
            .OrderBy(s => s.MemberId, StringComparer.Ordinal)
            .Select(s => new DirectoryOffer(s.MemberId, s.Offers ?? [], s.Needs ?? [], s.Backing))
            .ToList();
    }

    public Task NoteExpelled(IReadOnlyList<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        foreach (var id in memberIds)
            if (_expelledElsewhere.Add(id)) _expelledVersion++;
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<string>> GetExpelled()
    {
        await EnsureFreshAsync();
        return _expelledHere.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>A member's contacts without expelled members, redone only after an expulsion or a new report.</summary>
    private IReadOnlyList<DirectoryEdge> Visible(MemberSummary s)
    {
        if (_visible.TryGetValue(s.MemberId, out var cached) && cached.Version == _expelledVersion) return cached.Edges;
        var edges = s.Contacts!;
        if (_expelledHere.Count + _expelledElsewhere.Count > 0 && edges.Any(e => IsExpelled(e.MemberId)))
            edges = edges.Where(e => !IsExpelled(e.MemberId)).ToList();
        _visible[s.MemberId] = (_expelledVersion, edges);
        return edges;
    }

    private bool IsExpelled(string memberId) => _expelledHere.Contains(memberId) || _expelledElsewhere.Contains(memberId);

    /// <summary>Tells every other partition of the community about these expelled members.</summary>
    private Task TellExpelledAsync(IReadOnlyList<string> memberIds) =>
        Task.WhenAll(OtherPartitions().Select(p => p.NoteExpelled(memberIds)));

    /// <summary>Once per activation, before the first contact list is answered: the other partitions' expelled
    /// members (later expulsions are told as they happen).</summary>
    private async Task LoadExpelledElsewhereAsync()
    {
        var answers = await Task.WhenAll(OtherPartitions().Select(p => p.GetExpelled()));
        foreach (var id in answers.SelectMany(a => a))
            if (_expelledElsewhere.Add(id)) _expelledVersion++;
        _elsewhereLoaded = true;
    }

    private IEnumerable<IMemberDirectoryGrain> OtherPartitions()
    {
        var community = CommunityId;
        var me = this.GetPrimaryKeyString();
        return Enumerable.Range(0, MemberDirectory.Partitions)
            .Select(p => MemberDirectory.KeyOf(community, p))
            .Where(key => key != me)
            .Select(key => GrainFactory.GetGrain<IMemberDirectoryGrain>(key));
    }

    /// <summary>Refreshes when the partition has just activated (or was asked to); interleaved callers share one refresh.</summary>
    private Task EnsureFreshAsync()
    {
        if (!_needsRefresh) return Task.CompletedTask;
        return _refreshing ??= RefreshSharedAsync();

        async Task RefreshSharedAsync()
        {
            try
            {
                await RefreshAsync();
            }
            finally
            {
                _refreshing = null;
            }
        }
    }

    private IMemberDirectoryPageGrain Page(int page) =>
        GrainFactory.GetGrain<IMemberDirectoryPageGrain>(MemberDirectory.PageKeyOf(this.GetPrimaryKeyString(), page));

    /// <summary>Reads the partition's members from its pages, once per activation; interleaved callers share it. A list
    /// stored by an older version in the partition's own entity is moved to the pages first.</summary>
    private Task EnsureLoadedAsync()
    {
        if (_loading is { IsCompletedSuccessfully: true }) return Task.CompletedTask;
        if (_loading is { IsCompleted: true }) _loading = null; // failed: the next caller tries again
        return _loading ??= LoadAsync();

        async Task LoadAsync()
        {
            if (state.State.Members.Count > 0)
            {
                // Each step is idempotent, and the old list stays stored until the pages hold it: a crash repeats it.
                await AddToPagesAsync(state.State.Members.ToList());
                state.State.Members.Clear();
                await state.PersistAsync(this);
            }
            var pages = Enumerable.Range(0, MemberDirectory.PagesPerPartition).Where(p => (state.State.Pages & (1 << p)) != 0);
            var lists = await Task.WhenAll(pages.Select(p => Page(p).List()));
            foreach (var id in lists.SelectMany(l => l)) _ids.Add(id);
        }
    }

    /// <summary>Stores members on their pages; a page's bit is stored in the partition before the page is first written.</summary>
    private async Task AddToPagesAsync(IReadOnlyList<string> memberIds)
    {
        var byPage = memberIds.GroupBy(MemberDirectory.PageOf).ToList();
        var pages = byPage.Aggregate(state.State.Pages, (mask, g) => mask | (1 << g.Key));
        if (pages != state.State.Pages)
        {
            // After a failed write the stored state is read back: a bit not stored is written again on the next use.
            state.State.Pages = pages;
            await state.PersistAsync(this); // on failure it reads the stored state back (and its ETag)
        }
        await Task.WhenAll(byPage.Select(g => Page(g.Key).Add(g.ToList())));
    }

    /// <summary>Asks every member of the partition for its current summary (members answer this interleaved).</summary>
    private async Task RefreshAsync()
    {
        await EnsureLoadedAsync();
        var gone = new List<string>();
        foreach (var chunk in _ids.ToList().Chunk(RefreshConcurrency))
        {
            var answers = await Task.WhenAll(chunk.Select(async id =>
            {
                try { return (id, summary: await GrainFactory.GetGrain<IMemberGrain>(id).GetSummary()); }
                catch (GuaranteeException ex) when (ex.Kind == ErrorKind.NotFound) { return (id, summary: (MemberSummary?)null); }
            }));
            foreach (var (id, summary) in answers)
                if (summary is null) gone.Add(id);
                else Keep(summary);
        }
        if (gone.Count > 0)
        {
            foreach (var id in gone)
            {
                _ids.Remove(id);
                Forget(id);
            }
            await Task.WhenAll(gone.GroupBy(MemberDirectory.PageOf).Select(g => Page(g.Key).Remove(g.ToList())));
        }
        _needsRefresh = false;
    }

    private void Keep(MemberSummary summary)
    {
        if (_summaries.TryGetValue(summary.MemberId, out var known) && known.Revision >= summary.Revision) return;
        if (known is not null) Unindex(known);
        _summaries[summary.MemberId] = summary;
        Index(summary);
        if (known is null || OffersChanged(known, summary)) _offers = null;
    }

    private void Forget(string memberId)
    {
        if (!_summaries.Remove(memberId, out var known)) return;
        Unindex(known);
        _offers = null;
    }

    private void Index(MemberSummary s)
    {
        if (s.Status == MemberStatus.Expelled)
        {
            if (_expelledHere.Add(s.MemberId)) _expelledVersion++;
            return;
        }
        foreach (var skill in s.Offers ?? [])
        {
            if (!_offering.TryGetValue(skill, out var members)) _offering[skill] = members = new(StringComparer.Ordinal);
            if (members.Add(s.MemberId)) _offeringSorted.Remove(skill);
        }
    }

    private void Unindex(MemberSummary s)
    {
        _visible.Remove(s.MemberId);
        if (s.Status == MemberStatus.Expelled) return; // an expulsion stays (rule 5); a removed member reports no more
        foreach (var skill in s.Offers ?? [])
            if (_offering.TryGetValue(skill, out var members) && members.Remove(s.MemberId))
            {
                _offeringSorted.Remove(skill);
                if (members.Count == 0) _offering.Remove(skill);
            }
    }

    private static bool OffersChanged(MemberSummary before, MemberSummary after) =>
        (before.Status == MemberStatus.Expelled) != (after.Status == MemberStatus.Expelled)
        || before.Backing != after.Backing
        || !(before.Offers ?? []).SequenceEqual(after.Offers ?? [], StringComparer.Ordinal)
        || !(before.Needs ?? []).SequenceEqual(after.Needs ?? [], StringComparer.Ordinal);
}
