using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// The integration tests start real processes (Azurite, silos) and need the machine to themselves:
/// this collection runs after the others, not alongside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IntegrationCollection
{
    public const string Name = "integration";
}

/// <summary>
/// The real silo process on real Azure Table storage (Azurite): a community with an accepted, covered
/// deal survives a graceful silo restart, a silo crash (kill -9) and an Azurite restart, and the deal
/// can be completed afterwards. Each test has its own Azurite (fresh data folder, free port) and cluster.
/// </summary>
[Collection(IntegrationCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AzuriteIntegrationTests(ITestOutputHelper output)
{
    private const string CommunityId = "riverside";
    private static readonly string[] Founders = ["f-ada", "f-ben", "f-cleo"];
    /// <summary>Proposes the deal; guaranteed by f-ada and f-ben.</summary>
    private const string Provider = "m-dora";
    /// <summary>Accepts the deal; guaranteed by f-ben and f-cleo.</summary>
    private const string Consumer = "m-emil";
    private static readonly (string Ward, string Guarantor)[] Guarantees =
        [(Provider, "f-ada"), (Provider, "f-ben"), (Consumer, "f-ben"), (Consumer, "f-cleo")];
    private const decimal GuaranteeLimit = 60m;
    private static readonly Dictionary<string, decimal> Deposits = new()
    {
        ["f-ada"] = 100m, ["f-ben"] = 100m, ["f-cleo"] = 100m, [Provider] = 50m, [Consumer] = 30m,
    };
    /// <summary>Each party needs 80 of cover: its own deposit is not enough, so guarantors hold the rest.</summary>
    private const decimal DealValue = 80m;
    private const string DealOperationId = "deal-1";
    private static readonly string DealId = DealIds.For(Provider, DealOperationId);

    private static IEnumerable<string> AllMembers => Founders.Append(Provider).Append(Consumer);

    private static readonly JsonSerializerOptions SnapshotJson = new() { WriteIndented = true };

    [Fact]
    public async Task Accepted_deal_survives_a_graceful_silo_restart()
    {
        await using var deployment = await Deployment.StartAsync(output);
        var client = await deployment.StartSiloAndConnectAsync();
        await SetUpAcceptedDealAsync(client);
        var before = await SnapshotAsync(client);

        await deployment.StopSiloAsync();
        client = await deployment.StartSiloAndConnectAsync();

        Assert.Equal(before, await SnapshotAsync(client));
        await AssertDealAcceptedAndCoveredAsync(client);
        await CompleteDealAsync(client);
        deployment.Log("deal completed after the restart");
    }

    [Fact]
    public async Task Accepted_deal_survives_a_silo_killed_with_sigkill()
    {
        await using var deployment = await Deployment.StartAsync(output);
        var client = await deployment.StartSiloAndConnectAsync();
        await SetUpAcceptedDealAsync(client);
        var before = await SnapshotAsync(client);

        // A crash: no shutdown, the membership table still lists the silo as active. The new silo on the
        // same address is a newer generation and declares the old one dead when it joins.
        await deployment.KillSiloAsync();
        client = await deployment.StartSiloAndConnectAsync();

        Assert.Equal(before, await SnapshotAsync(client));
        await AssertDealAcceptedAndCoveredAsync(client);
        await CompleteDealAsync(client);
        deployment.Log("deal completed after the crash");

        // The journal (rule 23) lost nothing in the crash: every member's balance follows from its entries, and
        // every chain verifies.
        await AssertJournalAccountsForEveryMemberAsync(client);
    }

    [Fact]
    public async Task A_journal_entry_changed_directly_in_the_table_is_named_by_verification()
    {
        await using var deployment = await Deployment.StartAsync(output);
        var client = await deployment.StartSiloAndConnectAsync();
        await SetUpAcceptedDealAsync(client);
        await AssertJournalAccountsForEveryMemberAsync(client);

        // Someone with access to the storage account raises a deposit in the journal table.
        var source = $"member:{Provider}";
        var chain = JournalPartitions.KeyOf(CommunityId, JournalPartitions.PartitionOf(source));
        var table = new Azure.Data.Tables.TableClient(deployment.Azurite.ConnectionString, Journal.AzureTableJournalStore.DefaultTable);
        var rows = table.QueryAsync<Azure.Data.Tables.TableEntity>(
            $"PartitionKey eq '{Journal.AzureTableJournalStore.PartitionKeyOf(chain)}' and SourceId eq '{source}' and Kind eq 'deposit'");
        Azure.Data.Tables.TableEntity? row = null;
        await foreach (var r in rows) row = r;
        Assert.NotNull(row);
        var data = row!.GetString("Data");
        row["Data"] = data.Replace("\"amount\":50", "\"amount\":5000", StringComparison.Ordinal);
        Assert.NotEqual(data, row.GetString("Data"));
        await table.UpdateEntityAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace);

        var verification = await client.GetGrain<IJournalGrain>(chain).Verify();
        Assert.False(verification.Ok);
        Assert.Equal(row.GetInt64("Seq"), verification.FirstBadSeq);
        deployment.Log($"verify: {verification.Problem}");
    }

    /// <summary>Reads every chain of the community: each verifies, and each member's money entries add up to its balance.</summary>
    private static async Task AssertJournalAccountsForEveryMemberAsync(IGrainFactory grains)
    {
        var entries = new List<JournalEntry>();
        for (var p = 0; p < JournalPartitions.Count; p++)
        {
            var chain = grains.GetGrain<IJournalGrain>(JournalPartitions.KeyOf(CommunityId, p));
            var verification = await chain.Verify();
            Assert.True(verification.Ok, verification.Problem);
            entries.AddRange(await chain.Read(0, 1000));
        }
        foreach (var member in AllMembers)
        {
            var mine = entries.Where(e => e.SourceId == $"member:{member}").OrderBy(e => e.SourceSeq).ToList();
            Assert.Equal(Enumerable.Range(1, mine.Count).Select(i => (long)i), mine.Select(e => e.SourceSeq));
            var balance = mine.Where(e => e.Kind is "deposit" or "withdraw" or "transfer-in" or "transfer-out")
                .Sum(e => (e.Kind is "deposit" or "transfer-in" ? 1 : -1) * JsonDocument.Parse(e.Data).RootElement.GetProperty("amount").GetDecimal());
            Assert.Equal((await Member(grains, member).Get()).Deposit.Balance, balance);
        }
    }

    [Fact]
    public async Task Data_survives_an_azurite_restart_between_silo_runs()
    {
        await using var deployment = await Deployment.StartAsync(output);
        var client = await deployment.StartSiloAndConnectAsync();
        await SetUpAcceptedDealAsync(client);
        var before = await SnapshotAsync(client);

        await deployment.StopSiloAsync();
        await deployment.RestartAzuriteAsync();
        client = await deployment.StartSiloAndConnectAsync();

        Assert.Equal(before, await SnapshotAsync(client));
        await AssertDealAcceptedAndCoveredAsync(client);
        await CompleteDealAsync(client);
        deployment.Log("deal completed after the Azurite restart");
    }

    /// <summary>
    /// A community of three founders; two members signed up, each guaranteed by two founders; deposits;
    /// a deal proposed by the provider and accepted by the consumer, so its cover is held.
    /// </summary>
    private async Task SetUpAcceptedDealAsync(IGrainFactory grains)
    {
        var watch = Stopwatch.StartNew();
        var community = await grains.GetGrain<ICommunityGrain>(CommunityId).Create(new CreateCommunity(
            "Riverside", Founders.Select(f => new FounderSpec(f, NameOf(f))).ToList(), null));
        Assert.Equal(Founders, community.Founders.Select(f => f.Id));

        foreach (var id in new[] { Provider, Consumer })
        {
            var member = await Member(grains, id).SignUp(CommunityId, new MemberProfile(NameOf(id), ["bread"], ["tools"]), null);
            Assert.Equal(MemberStatus.Candidate, member.Status);
        }

        foreach (var (ward, guarantor) in Guarantees)
        {
            var guarantee = grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(ward, guarantor));
            var requested = await guarantee.Request($"ask-{guarantor}", ward, guarantor);
            Assert.Equal(GuaranteeState.Requested, requested.State);
            var accepted = await guarantee.Accept($"vouch-{ward}", guarantor, ward, GuaranteeLimit);
            Assert.Equal(GuaranteeState.Accepted, accepted.State);
        }
        foreach (var id in new[] { Provider, Consumer })
            Assert.Equal(MemberStatus.Active, (await Member(grains, id).Get()).Status);

        foreach (var (id, amount) in Deposits)
            Assert.Equal(amount, (await Member(grains, id).Deposit($"deposit-{id}", amount)).Balance);

        var deal = await Deal(grains).Propose(new ProposeDeal(
            DealOperationId, Provider, Provider, Consumer, DealValue, "Eighty loaves of bread", DateTimeOffset.UtcNow.AddDays(7)));
        Assert.Equal(DealId, deal.Id);
        Assert.Equal(DealState.Proposed, deal.State);
        deal = await Deal(grains).Accept(Consumer);
        Assert.Equal(DealState.Accepted, deal.State);

        await AssertDealAcceptedAndCoveredAsync(grains);
        output.WriteLine($"community, members, guarantees, deposits and accepted deal set up in {watch.Elapsed.TotalSeconds:0.0}s");
    }

    /// <summary>The deal is accepted and its cover is held, exactly as the deal records it, on the members.</summary>
    private static async Task AssertDealAcceptedAndCoveredAsync(IGrainFactory grains)
    {
        var deal = await Deal(grains).Get();
        Assert.Equal(DealState.Accepted, deal.State);
        Assert.Empty(deal.ConfirmedBy);
        Assert.NotNull(deal.AcceptedAt);
        Assert.Null(deal.LastAcceptFailure);
        foreach (var party in new[] { Provider, Consumer })
            Assert.Equal(DealValue, deal.Cover.Where(h => h.ForParty == party).Sum(h => h.Amount));
        // Each party's own free deposit comes first; the rest is held by its guarantors, within their limits.
        Assert.Contains(deal.Cover, h => h is { MemberId: Provider, ViaWardId: null, Amount: 50m });
        Assert.Contains(deal.Cover, h => h is { MemberId: Consumer, ViaWardId: null, Amount: 30m });
        Assert.All(deal.Cover.Where(h => h.ViaWardId is not null), h =>
        {
            Assert.Contains(h.MemberId, Founders);
            Assert.Contains((h.ViaWardId!, h.MemberId), Guarantees);
        });

        foreach (var member in await MembersAsync(grains))
        {
            var expected = deal.Cover.Where(h => h.MemberId == member.Id).OrderBy(h => h.HoldId, StringComparer.Ordinal)
                .Select(h => (h.HoldId, DealId, h.Amount, h.ForParty, h.ViaWardId)).ToList();
            Assert.Equal(expected, member.Holds.Select(h => (h.HoldId, h.DealId, h.Amount, h.ForPartyId, h.ViaWardId)).ToList());
            Assert.Equal(Deposits[member.Id], member.Deposit.Balance);
            Assert.Equal(expected.Sum(h => h.Amount), member.Deposit.Held);
            Assert.Equal(Founders.Contains(member.Id) ? MemberStatus.Founder : MemberStatus.Active, member.Status);
        }
    }

    /// <summary>Both parties confirm: the deal completes and every hold is released.</summary>
    private static async Task CompleteDealAsync(IGrainFactory grains)
    {
        var deal = await Deal(grains).Confirm(Provider);
        Assert.Equal(DealState.Delivered, deal.State);
        deal = await Deal(grains).Confirm(Consumer);
        Assert.Equal(DealState.Completed, deal.State);
        Assert.NotNull(deal.ClosedAt);
        Assert.Equal([Provider, Consumer], deal.ConfirmedBy);

        foreach (var member in await MembersAsync(grains))
        {
            Assert.Empty(member.Holds);
            Assert.Equal(0m, member.Deposit.Held);
            Assert.Equal(Deposits[member.Id], member.Deposit.Balance);
        }
        // The released money is free again: the consumer can take all of it out.
        var account = await Member(grains, Consumer).Withdraw("withdraw-all", Deposits[Consumer]);
        Assert.Equal(0m, account.Balance);
    }

    /// <summary>Everything the tests care about, as JSON, to compare before and after a restart.</summary>
    private static async Task<string> SnapshotAsync(IGrainFactory grains)
    {
        var community = await grains.GetGrain<ICommunityGrain>(CommunityId).Get();
        var members = await MembersAsync(grains);
        var guarantees = new List<GuaranteeRecord?>();
        foreach (var (ward, guarantor) in Guarantees)
            guarantees.Add(await grains.GetGrain<IGuaranteeGrain>(GuaranteeKeys.For(ward, guarantor)).Get());
        var deal = await Deal(grains).Get();
        return JsonSerializer.Serialize(new { community, members, guarantees, deal }, SnapshotJson);
    }

    private static async Task<MemberView[]> MembersAsync(IGrainFactory grains)
    {
        var members = new List<MemberView>();
        foreach (var id in AllMembers) members.Add(await Member(grains, id).Get());
        return [.. members];
    }

    private static IMemberGrain Member(IGrainFactory grains, string id) => grains.GetGrain<IMemberGrain>(id);

    private static IDealGrain Deal(IGrainFactory grains) => grains.GetGrain<IDealGrain>(DealId);

    private static string NameOf(string id) => char.ToUpperInvariant(id[2]) + id[3..];

    /// <summary>
    /// One test's processes: its Azurite, the current silo process and a client of it. A new silo gets a
    /// new client (the old one is disposed first). Disposing stops everything, silo before Azurite.
    /// </summary>
    private sealed class Deployment : IAsyncDisposable
    {
        private readonly ITestOutputHelper _output;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<string> _siloLogs = [];
        private SiloProcess? _silo;
        private ClusterClientConnection? _client;

        private Deployment(ITestOutputHelper output, AzuriteFixture azurite)
        {
            _output = output;
            Azurite = azurite;
            Settings = SiloSettings.NewCluster(azurite.ConnectionString);
        }

        public AzuriteFixture Azurite { get; }

        public SiloSettings Settings { get; }

        public static async Task<Deployment> StartAsync(ITestOutputHelper output)
        {
            var watch = Stopwatch.StartNew();
            var deployment = new Deployment(output, await AzuriteFixture.StartAsync());
            deployment.Log($"Azurite started on port {deployment.Azurite.Port} in {watch.Elapsed.TotalSeconds:0.0}s " +
                $"(data {deployment.Azurite.DataDirectory}); cluster {deployment.Settings.ClusterId}, " +
                $"silo port {deployment.Settings.SiloPort}, gateway port {deployment.Settings.GatewayPort}");
            return deployment;
        }

        public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,5:0.0}s] {message}");

        /// <summary>Starts a silo process on the deployment's ports and storage, and a client connected to it.</summary>
        public async Task<IClusterClient> StartSiloAndConnectAsync()
        {
            if (_silo is not null) throw new InvalidOperationException("A silo is already running.");
            var watch = Stopwatch.StartNew();
            var log = Path.Combine(Azurite.WorkDirectory, $"silo-{_siloLogs.Count + 1}.log");
            _siloLogs.Add(log);
            _silo = await SiloProcess.StartAsync(Settings, log);
            Log($"silo {_siloLogs.Count} started (pid {_silo.ProcessId}) in {watch.Elapsed.TotalSeconds:0.0}s");
            watch.Restart();
            _client = await ClusterClientConnection.ConnectAsync(Settings);
            Log($"client connected in {watch.Elapsed.TotalSeconds:0.0}s");
            return _client.Client;
        }

        /// <summary>Disconnects the client, then stops the silo gracefully (SIGTERM).</summary>
        public async Task StopSiloAsync()
        {
            var silo = _silo ?? throw new InvalidOperationException("No silo is running.");
            await DisconnectAsync();
            var watch = Stopwatch.StartNew();
            await silo.StopAsync();
            Log($"silo stopped gracefully (SIGTERM) in {watch.Elapsed.TotalSeconds:0.0}s");
            await silo.DisposeAsync();
            _silo = null;
        }

        /// <summary>Kills the silo with SIGKILL while its client is still connected, then drops the client.</summary>
        public async Task KillSiloAsync()
        {
            var silo = _silo ?? throw new InvalidOperationException("No silo is running.");
            silo.Kill();
            Log("silo killed (SIGKILL)");
            await silo.DisposeAsync();
            _silo = null;
            var watch = Stopwatch.StartNew();
            await DisconnectAsync();
            Log($"client of the killed silo disposed in {watch.Elapsed.TotalSeconds:0.0}s");
        }

        /// <summary>Stops Azurite with SIGINT and starts it again on the same port and data folder.</summary>
        public async Task RestartAzuriteAsync()
        {
            var watch = Stopwatch.StartNew();
            await Azurite.StopAsync();
            Assert.False(await FreePorts.AnswersAsync(Azurite.Port), "Azurite still answers after it was stopped.");
            Assert.NotEmpty(Directory.GetFiles(Azurite.DataDirectory));
            Log($"Azurite stopped (SIGINT) in {watch.Elapsed.TotalSeconds:0.0}s");
            watch.Restart();
            await Azurite.StartAgainAsync();
            Log($"Azurite started again on port {Azurite.Port} with the same data in {watch.Elapsed.TotalSeconds:0.0}s");
        }

        private async Task DisconnectAsync()
        {
            if (_client is null) return;
            await _client.DisposeAsync();
            _client = null;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await DisconnectAsync();
                if (_silo is not null)
                {
                    try { await _silo.StopAsync(); }
                    finally { await _silo.DisposeAsync(); }
                }
            }
            finally
            {
                ReportSiloErrors();
                await Azurite.DisposeAsync();
                Log("all processes stopped");
            }
        }

        /// <summary>Copies the errors the silos logged to the test output (the logs are deleted with the data folder).</summary>
        private void ReportSiloErrors()
        {
            foreach (var log in _siloLogs.Where(File.Exists))
            {
                var lines = File.ReadAllLines(log);
                for (var i = 0; i < lines.Length; i++)
                    if (lines[i].StartsWith("fail:", StringComparison.Ordinal) || lines[i].StartsWith("crit:", StringComparison.Ordinal))
                        _output.WriteLine($"{Path.GetFileName(log)}: {lines[i]} {(i + 1 < lines.Length ? lines[i + 1].Trim() : "")}");
            }
        }
    }
}
