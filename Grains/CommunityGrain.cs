using Microsoft.Extensions.Logging;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee;

[GenerateSerializer, Alias("og.CommunityState")]
public sealed class CommunityState
{
    [Id(0)] public string? Name { get; set; }
    [Id(1)] public List<FounderSpec> Founders { get; set; } = [];
    [Id(2)] public CommunitySettings Settings { get; set; } = CommunitySettings.Default;
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>True while the founders are being made members; the creation resumes on recovery.</summary>
    [Id(4)] public bool Creating { get; set; }
    /// <summary>Founders' password hashes, kept only until the founders are members.</summary>
    [Id(5)] public Dictionary<string, string>? FounderPasswordHashes { get; set; }
}

public sealed class CommunityGrain(
    [PersistentState("community", StorageNames.Store)] IPersistentState<CommunityState> state,
    TimeProvider clock,
    IFaultInjector faults,
    ILogger<CommunityGrain> logger) : RecoverableGrain(logger), ICommunityGrain
{
    public const int MinimumFounders = 3;
    public const int MaximumFounders = 100;

    private CommunityState S => state.State;
    private string Id => this.GetPrimaryKeyString();

    protected override bool HasPendingSteps => S.Creating;

    public async Task<CommunityView> Create(CreateCommunity command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Ids.Validate(Id, "community");
        Ids.ValidateText(command.Name, "name", MemberProfile.MaxNameLength, required: true);
        var founders = command.Founders ?? [];
        if (founders.Count < MinimumFounders)
            throw GuaranteeException.Invalid("too-few-founders", $"A community starts with at least {MinimumFounders} founders (got {founders.Count}).");
        if (founders.Count > MaximumFounders)
            throw GuaranteeException.Invalid("too-many-founders", $"A community starts with at most {MaximumFounders} founders (got {founders.Count}).");
        foreach (var f in founders)
        {
            Ids.Validate(f?.Id, "founder");
            Ids.ValidateText(f!.Name, "founder name", MemberProfile.MaxNameLength, required: true);
        }
        var duplicate = founders.GroupBy(f => f.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw GuaranteeException.Invalid("duplicate-founder", $"Founder '{duplicate.Key}' is listed twice.");
        var settings = command.Settings ?? CommunitySettings.Default;
        settings.Validate();

        if (S.Name is not null)
        {
            var same = S.Name == command.Name.Trim() && S.Founders.Select(f => f.Id).SequenceEqual(founders.Select(f => f.Id)) && S.Settings == settings;
            if (!same) throw GuaranteeException.Conflict("community-exists", $"The community id '{Id}' is already taken.");
            if (S.Creating) await CreateFoundersAsync();
            return View();
        }

        S.Name = command.Name.Trim();
        S.Founders = founders.Select(f => new FounderSpec(f.Id, f.Name.Trim())).ToList();
        S.Settings = settings;
        S.CreatedAt = clock.GetUtcNow();
        S.Creating = true;
        S.FounderPasswordHashes = command.FounderPasswordHashes is { } hashes ? new(hashes, StringComparer.Ordinal) : null;
        await ArmRecoveryAsync();
        await state.PersistAsync(this);
        faults.At(FaultPoints.CommunityStored, Id);
        await CreateFoundersAsync();
        return View();
    }

    public Task<CommunityView> Get()
    {
        if (S.Name is null || S.Creating)
            throw GuaranteeException.NotFound("community-not-found", $"There is no community '{Id}'.");
        return Task.FromResult(View());
    }

    public async Task<DirectoryTotals> GetTotals(bool refresh)
    {
        await Get();
        var parts = await Task.WhenAll(Enumerable.Range(0, MemberDirectory.Partitions)
            .Select(p => GrainFactory.GetGrain<IMemberDirectoryGrain>(MemberDirectory.KeyOf(Id, p)).GetTotals(refresh)));
        return parts.Aggregate(DirectoryTotals.Empty, (sum, part) => sum.Add(part));
    }

    protected override Task ResumePendingStepsAsync() => CreateFoundersAsync();

    /// <summary>Makes every founder a member; if a founder id is taken, undoes the others and forgets the community.</summary>
    private async Task CreateFoundersAsync()
    {
        var results = await Task.WhenAll(S.Founders.Select(async f =>
        {
            try
            {
                await GrainFactory.GetGrain<IMemberGrain>(f.Id).JoinAsFounder(Id, f.Name, S.FounderPasswordHashes?.GetValueOrDefault(f.Id));
                return null;
            }
            catch (GuaranteeException ex) when (ex.Code == "member-exists")
            {
                return ex;
            }
        }));
        var refused = results.FirstOrDefault(r => r is not null);
        if (refused is not null)
        {
            await Task.WhenAll(S.Founders.Select(f => GrainFactory.GetGrain<IMemberGrain>(f.Id).LeaveAsFounder(Id)));
            await state.ClearStateAsync();
            state.State = new CommunityState();
            await DisarmRecoveryAsync();
            throw refused;
        }
        // Listed for the operators before the creation counts as done, so the recovery retries a failed listing.
        await GrainFactory.GetGrain<ICommunityRegistryGrain>(CommunityRegistry.Key).Register(new CommunityListing(Id, S.Name!, S.CreatedAt));
        S.Creating = false;
        S.FounderPasswordHashes = null;
        await state.PersistAsync(this);
        await DisarmRecoveryAsync();
    }

    private CommunityView View() => new(Id, S.Name!, S.Founders, S.Settings, S.CreatedAt);
}
