namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.MemberDirectoryState")]
public sealed class MemberDirectoryState
{
    /// <summary>The members of this partition. Written only when a member joins or is removed.</summary>
    [Id(0)] public HashSet<string> Members { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One partition of a community's member directory. It stores only which members it has; their status
/// and account totals are kept in memory from the members' reports, and asked of the members again when
/// the partition activates (or on request), so a report costs no storage write.
/// </summary>
public sealed class MemberDirectoryGrain(
    [PersistentState("directory", StorageNames.Store)] IPersistentState<MemberDirectoryState> state) : Grain, IMemberDirectoryGrain
{
    /// <summary>How many members a refresh asks at once.</summary>
    private const int RefreshConcurrency = 256;

    private readonly Dictionary<string, MemberSummary> _summaries = new(StringComparer.Ordinal);
    private bool _needsRefresh;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _needsRefresh = state.State.Members.Count > 0;
        return base.OnActivateAsync(cancellationToken);
    }

    public async Task Report(MemberSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Keep(summary);
        if (state.State.Members.Add(summary.MemberId))
        {
            try
            {
                await state.WriteStateAsync();
            }
            catch
            {
                state.State.Members.Remove(summary.MemberId);
                _summaries.Remove(summary.MemberId);
                throw;
            }
        }
    }

    public async Task Remove(string memberId)
    {
        _summaries.Remove(memberId);
        if (state.State.Members.Remove(memberId)) await state.WriteStateAsync();
    }

    public async Task<DirectoryTotals> GetTotals(bool refresh)
    {
        if (refresh || _needsRefresh) await RefreshAsync();
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

    public Task<IReadOnlyList<string>> ListMembers() =>
        Task.FromResult<IReadOnlyList<string>>(state.State.Members.Order(StringComparer.Ordinal).ToList());

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<DirectoryEdge>>> GetNeighbors(IReadOnlyList<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        if (_needsRefresh) await RefreshAsync();
        var result = new Dictionary<string, IReadOnlyList<DirectoryEdge>>(StringComparer.Ordinal);
        foreach (var id in memberIds)
            if (_summaries.TryGetValue(id, out var s) && s.Status != MemberStatus.Expelled && s.Contacts is { Count: > 0 } edges)
                result[id] = edges;
        return result;
    }

    public async Task<IReadOnlyList<string>> GetOffering(string skill)
    {
        if (_needsRefresh) await RefreshAsync();
        if (string.IsNullOrWhiteSpace(skill)) return [];
        var wanted = skill.Trim();
        return _summaries.Values
            .Where(s => s.Status != MemberStatus.Expelled && s.Offers is not null
                && s.Offers.Any(o => string.Equals(o, wanted, StringComparison.OrdinalIgnoreCase)))
            .Select(s => s.MemberId).Order(StringComparer.Ordinal).ToList();
    }

    public async Task<IReadOnlyDictionary<string, MemberStatus>> GetStatuses(IReadOnlyList<string> memberIds)
    {
        ArgumentNullException.ThrowIfNull(memberIds);
        if (_needsRefresh) await RefreshAsync();
        var result = new Dictionary<string, MemberStatus>(StringComparer.Ordinal);
        foreach (var id in memberIds)
            if (_summaries.TryGetValue(id, out var s)) result[id] = s.Status;
        return result;
    }

    public async Task<IReadOnlyList<DirectoryOffer>> GetOffers()
    {
        if (_needsRefresh) await RefreshAsync();
        return _summaries.Values
            .Where(s => s.Status != MemberStatus.Expelled && ((s.Offers?.Count ?? 0) > 0 || (s.Needs?.Count ?? 0) > 0))
            .OrderBy(s => s.MemberId, StringComparer.Ordinal)
            .Select(s => new DirectoryOffer(s.MemberId, s.Offers ?? [], s.Needs ?? [], s.Backing))
            .ToList();
    }

    /// <summary>Asks every member of the partition for its current summary (members answer this interleaved).</summary>
    private async Task RefreshAsync()
    {
        var gone = new List<string>();
        foreach (var chunk in state.State.Members.ToList().Chunk(RefreshConcurrency))
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
                state.State.Members.Remove(id);
                _summaries.Remove(id);
            }
            await state.WriteStateAsync();
        }
        _needsRefresh = false;
    }

    private void Keep(MemberSummary summary)
    {
        if (!_summaries.TryGetValue(summary.MemberId, out var known) || known.Revision < summary.Revision)
            _summaries[summary.MemberId] = summary;
    }
}
