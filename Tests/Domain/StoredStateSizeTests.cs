using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansGuarantee.Domain;

namespace OrleansGuarantee.Tests.Domain;

/// <summary>
/// Azure Table grain storage keeps a grain's state in one table entity: Orleans splits the serialized state over at most
/// 15 binary properties of 64 KiB (960 KiB), and a larger state cannot be written at all. A member's state grows with
/// what it remembers for idempotency (operation ids, closed hold ids) and the deals, cases and cycles it lists, each
/// bounded; these tests fill every bound with the longest ids the API allows and check the state still fits.
/// </summary>
public sealed class StoredStateSizeTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>15 × 64 KiB: what Orleans' Azure Table grain storage can store in one entity.</summary>
    private const int AzureTableStateLimit = 15 * 64 * 1024;

    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(MemberState).Assembly).AddAssembly(typeof(LedgerEntry).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    /// <summary>An id of the longest length the API accepts (64), different for each <paramref name="i"/>.</summary>
    private static string Id64(string prefix, int i) => $"{prefix}-{i:D8}".PadRight(64, 'x');

    private static DepositAccount FullAccount()
    {
        var now = DateTimeOffset.UnixEpoch;
        var account = new DepositAccount();
        account.Deposit(Id64("seed", 0), 1_000_000m, now);
        // Every kind of remembered operation, until the account forgets the oldest: deposits, withdrawals and transfers
        // with the longest ids and member references.
        for (var i = 0; i < DepositAccount.RememberedOperations + 100; i++)
        {
            now = now.AddSeconds(1);
            switch (i % 4)
            {
                case 0: account.Deposit(Id64("dep", i), 123_456.78m, now); break;
                case 1: account.Withdraw(Id64("wd", i), 1.23m, now); break;
                case 2: account.TransferIn(Id64("tin", i), Id64("member", i), 45.67m, now); break;
                default: account.TransferOut(Id64("tout", i), Id64("member", i), 8.90m, null, now); break;
            }
        }
        // Closed holds up to the bound: placed and released, with ids as deals make them ("d-" + 24 hex + ":a1:0").
        for (var i = 0; i < DepositAccount.RememberedOperations + 100; i++)
        {
            now = now.AddSeconds(1);
            var holdId = $"d-{i:x24}:a1:0";
            account.Hold(new HoldCommand(holdId, $"d-{i:x24}", 10m, Id64("party", i), null), null, now);
            account.Release(holdId, now);
        }
        // Some holds still in place.
        for (var i = 0; i < 100; i++)
            account.Hold(new HoldCommand($"d-open{i:x20}:a1:0", $"d-open{i:x20}", 10m, Id64("party", i), Id64("ward", i)), 1_000m, now);
        return account;
    }

    [Fact]
    public void A_member_at_every_bound_of_what_it_remembers_fits_one_table_entity()
    {
        var member = new MemberState
        {
            CommunityId = Id64("community", 0),
            Account = FullAccount(),
            Deals = Enumerable.Range(0, MemberGrain.MaxDealsListed).Select(i => $"d-{i:x24}").ToList(),
            Cases = Enumerable.Range(0, MemberGrain.MaxDealsListed).Select(i => Id64("case", i)).ToList(),
            Cycles = Enumerable.Range(0, MemberGrain.MaxDealsListed).Select(i => Id64("cycle", i)).ToList(),
            PasswordHash = new string('h', 100),
        };
        Assert.Equal(DepositAccount.RememberedOperations, member.Account.Operations!.Count);
        Assert.Equal(DepositAccount.RememberedOperations, member.Account.ClosedHolds!.Count);

        var size = Serializer.SerializeToArray(member).Length;
        output.WriteLine($"member state at its bounds: {size:N0} bytes (limit {AzureTableStateLimit:N0})");

        Assert.True(size <= AzureTableStateLimit * 3 / 4,
            $"A member state at its bounds serializes to {size:N0} bytes; Azure Table grain storage stores at most {AzureTableStateLimit:N0} " +
            "(kept below three quarters of it, for what is not bounded here: guarantees, contacts, profile, journal records not yet delivered).");
    }

    [Fact]
    public void A_directory_page_of_a_ten_million_member_community_with_the_longest_ids_fits_one_table_entity()
    {
        // 10,000,000 members over 64 partitions of 16 pages: 9,766 per page on average; 20% more for the fullest.
        const int perPage = 10_000_000 / (MemberDirectory.Partitions * MemberDirectory.PagesPerPartition) * 12 / 10;
        var page = new MemberDirectoryPageState { Members = new HashSet<string>(Enumerable.Range(0, perPage).Select(i => Id64("member", i)), StringComparer.Ordinal) };
        var size = Serializer.SerializeToArray(page).Length;
        output.WriteLine($"directory page with {perPage:N0} ids of 64 characters: {size:N0} bytes (limit {AzureTableStateLimit:N0})");
        Assert.True(size <= AzureTableStateLimit, $"A directory page of {perPage:N0} of the longest ids serializes to {size:N0} bytes.");

        // Why the pages: the same community's ids in one entity per partition, as an older version stored them.
        var partition = new MemberDirectoryState { Members = new HashSet<string>(Enumerable.Range(0, perPage * MemberDirectory.PagesPerPartition).Select(i => Id64("member", i)), StringComparer.Ordinal) };
        Assert.True(Serializer.SerializeToArray(partition).Length > AzureTableStateLimit);
    }
}
