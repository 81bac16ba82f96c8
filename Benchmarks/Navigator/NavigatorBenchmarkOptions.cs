namespace OrleansGuarantee.Benchmarks.Navigator;

/// <summary>The options of the navigator mode; defaults are the figures (100,000 members, degree 20, 50 skills).</summary>
public sealed record NavigatorBenchmarkOptions
{
    public const string Usage = """
          --members N           members to generate (default 100000)
          --degree D            average contacts per member (default 20)
          --skills N            distinct skills (default 50)
          --preferential P      share of contacts made by preferential attachment, 0..1 (default 0.7)
          --seeding MODE        auto | real | bulk: how contacts are made (default auto: the real path for the
                                first --sample-members, then the real path only if the rest fits --seed-budget)
          --sample-members N    members whose contacts always go through the real path (default 5000)
          --seed-budget S       seconds the whole seeding may take with the real path (default 240)
          --seed-concurrency N  calls in flight while seeding (default 64)
          --guaranteed N        members made active by two real guarantees each (default 1000)
          --expelled N          of those, members expelled the real way (default 20)
          --queries N           measured path searches per concurrency level (default 2000)
          --warmup N            path searches before measuring (default 300)
          --concurrency LIST    searches in flight, e.g. 1,8,32 (default 8)
          --max-hops N          path search maxHops (default 6)
          --limit N             path search limit (default 5)
          --cycle-length N      cycle proposals maxLength (default 6)
          --cycle-limit N       cycle proposals limit (default 20)
          --cycle-repeats N     warm cycle-proposal calls measured (default 5)
          --anatomy N           searches run one at a time through a counting graph, to show what a
                                search reads (default 200)
          --cache-seconds S     the silo's Navigator:CacheSeconds (default: the silo's own default; 0 turns
                                the navigator's per-silo cache off)
          --random-seed N       seed of the generated community and the queries (default 7)
          --markdown FILE       also write the results as markdown to FILE

        """;

    public int Members { get; init; } = 100_000;
    public double Degree { get; init; } = 20;
    public int Skills { get; init; } = 50;
    public double Preferential { get; init; } = 0.7;
    public string Seeding { get; init; } = "auto";
    public int SampleMembers { get; init; } = 5_000;
    public int SeedBudgetSeconds { get; init; } = 240;
    public int SeedConcurrency { get; init; } = 64;
    public int Guaranteed { get; init; } = 1_000;
    public int Expelled { get; init; } = 20;
    public int Queries { get; init; } = 2_000;
    public int Warmup { get; init; } = 300;
    public IReadOnlyList<int> Concurrency { get; init; } = [8];
    public int MaxHops { get; init; } = 6;
    public int Limit { get; init; } = 5;
    public int CycleLength { get; init; } = 6;
    public int CycleLimit { get; init; } = 20;
    public int CycleRepeats { get; init; } = 5;
    public int Anatomy { get; init; } = 200;
    public string? CacheSeconds { get; init; }
    public int RandomSeed { get; init; } = 7;
    public string? Markdown { get; init; }

    public static NavigatorBenchmarkOptions Parse(string[] args)
    {
        var a = new Arguments(args);
        var o = new NavigatorBenchmarkOptions
        {
            Members = a.Int("members", 100_000, 10, 10_000_000),
            Degree = a.Double("degree", 20, 1, 1000),
            Skills = a.Int("skills", 50, 2, 10_000),
            Preferential = a.Double("preferential", 0.7, 0, 1),
            Seeding = a.String("seeding")?.ToLowerInvariant() ?? "auto",
            SampleMembers = a.Int("sample-members", 5_000, 0, 10_000_000),
            SeedBudgetSeconds = a.Int("seed-budget", 240, 1, 86_400),
            SeedConcurrency = a.Int("seed-concurrency", 64, 1, 4096),
            Guaranteed = a.Int("guaranteed", 1_000, 0, 10_000_000),
            Expelled = a.Int("expelled", 20, 0, 10_000),
            Queries = a.Int("queries", 2_000, 1, 10_000_000),
            Warmup = a.Int("warmup", 300, 0, 10_000_000),
            Concurrency = a.Ints("concurrency", [8], 1, 4096),
            MaxHops = a.Int("max-hops", 6, 1, 6),
            Limit = a.Int("limit", 5, 1, 100),
            CycleLength = a.Int("cycle-length", 6, 2, 6),
            CycleLimit = a.Int("cycle-limit", 20, 1, 1000),
            CycleRepeats = a.Int("cycle-repeats", 5, 1, 1000),
            Anatomy = a.Int("anatomy", 200, 0, 100_000),
            CacheSeconds = a.String("cache-seconds"),
            RandomSeed = a.Int("random-seed", 7, 0, int.MaxValue),
            Markdown = a.String("markdown"),
        };
        a.EnsureAllRead();
        if (o.Seeding is not ("auto" or "real" or "bulk"))
            throw new UsageException($"--seeding must be auto, real or bulk (got '{o.Seeding}').");
        if (o.CacheSeconds is { } cache && (!double.TryParse(cache, System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds < 0))
            throw new UsageException($"--cache-seconds must be a number of seconds, 0 or more (got '{cache}').");
        if (o.Expelled > o.Guaranteed)
            throw new UsageException("--expelled cannot exceed --guaranteed (only guaranteed members can be expelled).");
        return o;
    }
}
