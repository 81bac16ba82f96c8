namespace OrleansGuarantee;

/// <summary>Per-community settings; every number of DOMAIN.md is a default here.</summary>
[GenerateSerializer, Immutable, Alias("og.CommunitySettings")]
public sealed record CommunitySettings
{
    [Id(0)] public int RequiredGuarantors { get; init; } = 2;
    [Id(1)] public decimal CoverageRatio { get; init; } = 1.0m;
    [Id(2)] public decimal StageDiscount { get; init; } = 0.20m;
    [Id(3)] public int VerdictWindowSeconds { get; init; } = 259_200;
    [Id(4)] public int AppealWindowSeconds { get; init; } = 259_200;
    [Id(5)] public int MaxArbitrationLevels { get; init; } = 6;
    /// <summary>How many levels of guarantors above a party may be asked to cover its deals.</summary>
    [Id(6)] public int MaxCoverLevels { get; init; } = 6;

    public static CommunitySettings Default { get; } = new();

    /// <summary>Throws <see cref="GuaranteeException"/> (invalid-settings) naming the first bad setting.</summary>
    public void Validate()
    {
        static void Fail(string message) => throw GuaranteeException.Invalid("invalid-settings", message);
        if (RequiredGuarantors is < 1 or > 20) Fail($"requiredGuarantors must be between 1 and 20 (got {RequiredGuarantors}).");
        if (CoverageRatio <= 0 || CoverageRatio > 10) Fail($"coverageRatio must be above 0 and at most 10 (got {CoverageRatio}).");
        if (StageDiscount < 0 || StageDiscount >= 1) Fail($"stageDiscount must be at least 0 and below 1 (got {StageDiscount}).");
        if (VerdictWindowSeconds < 1) Fail($"verdictWindowSeconds must be at least 1 (got {VerdictWindowSeconds}).");
        if (AppealWindowSeconds < 1) Fail($"appealWindowSeconds must be at least 1 (got {AppealWindowSeconds}).");
        if (MaxArbitrationLevels is < 2 or > 20) Fail($"maxArbitrationLevels must be between 2 and 20 (got {MaxArbitrationLevels}).");
        if (MaxCoverLevels is < 1 or > 20) Fail($"maxCoverLevels must be between 1 and 20 (got {MaxCoverLevels}).");
    }
}

[GenerateSerializer, Immutable, Alias("og.FounderSpec")]
public sealed record FounderSpec([property: Id(0)] string Id, [property: Id(1)] string Name);

[GenerateSerializer, Immutable, Alias("og.CreateCommunity")]
public sealed record CreateCommunity(
    [property: Id(0)] string Name,
    [property: Id(1)] IReadOnlyList<FounderSpec> Founders,
    [property: Id(2)] CommunitySettings? Settings,
    /// <summary>Founders' password hashes by founder id (hashed by the front door); kept only until the founders exist.</summary>
    [property: Id(3)] IReadOnlyDictionary<string, string>? FounderPasswordHashes = null);

[GenerateSerializer, Immutable, Alias("og.CommunityView")]
public sealed record CommunityView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<FounderSpec> Founders,
    [property: Id(3)] CommunitySettings Settings,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>A community: its founders (the roots of the guarantee hierarchy) and its settings.</summary>
[Alias("og.ICommunityGrain")]
public interface ICommunityGrain : IGrainWithStringKey
{
    /// <summary>Creates the community and its founder members. Repeating the same creation returns it again.</summary>
    [Alias("Create")]
    Task<CommunityView> Create(CreateCommunity command);

    [Alias("Get"), AlwaysInterleave]
    Task<CommunityView> Get();

    /// <summary>Member counts by status and ledger sums over every directory partition of the community.</summary>
    [Alias("GetTotals"), AlwaysInterleave]
    Task<DirectoryTotals> GetTotals(bool refresh);
}

/// <summary>A community as the operators' list shows it.</summary>
[GenerateSerializer, Immutable, Alias("og.CommunityListing")]
public sealed record CommunityListing(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>
/// The list of communities, for the operators' overview. A community registers itself once, when it is
/// created (not on every message), so one grain is enough; keyed by <see cref="CommunityRegistry.Key"/>.
/// </summary>
[Alias("og.ICommunityRegistryGrain")]
public interface ICommunityRegistryGrain : IGrainWithStringKey
{
    /// <summary>Adds the community (idempotent: a repeat changes nothing).</summary>
    [Alias("Register")]
    Task Register(CommunityListing community);

    /// <summary>Every registered community, oldest first.</summary>
    [Alias("List"), AlwaysInterleave]
    Task<IReadOnlyList<CommunityListing>> List();
}

public static class CommunityRegistry
{
    /// <summary>The key of the one registry grain.</summary>
    public const string Key = "all";
}
