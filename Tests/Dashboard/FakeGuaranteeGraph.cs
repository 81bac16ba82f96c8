using System.Collections.Concurrent;

namespace OrleansGuarantee.Tests.Dashboard;

/// <summary>
/// A guarantee graph held in memory, answering member views as the member grains would (guarantors and wards with
/// their limits), and counting the reads: how many, of whom, and how many were in flight at once.
/// </summary>
public sealed class FakeGuaranteeGraph
{
    private static readonly DateTimeOffset Since = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Dictionary<string, MemberStatus> _members = new(StringComparer.Ordinal);
    private readonly List<(string Guarantor, string Ward, decimal Limit, bool Withdrawn)> _guarantees = [];
    private int _inFlight;

    public ConcurrentBag<string> Reads { get; } = [];
    public int MaxInFlight { get; private set; }

    /// <summary>Members that exist in the graph's links but answer "no such member".</summary>
    public HashSet<string> Missing { get; } = new(StringComparer.Ordinal);

    public FakeGuaranteeGraph Member(string id, MemberStatus status = MemberStatus.Active)
    {
        _members[id] = status;
        return this;
    }

    public FakeGuaranteeGraph Guarantee(string guarantor, string ward, decimal limit = 100m, bool withdrawn = false)
    {
        _members.TryAdd(guarantor, MemberStatus.Active);
        _members.TryAdd(ward, MemberStatus.Active);
        _guarantees.Add((guarantor, ward, limit, withdrawn));
        return this;
    }

    public MemberView View(string id) => new(
        id, "c", new MemberProfile($"Name of {id}", ["offer"], ["need"]), _members[id], $"{_members[id]} for a reason",
        _guarantees.Where(g => g.Ward == id).Select(g => new GuaranteeView(g.Guarantor, g.Limit, g.Withdrawn, 0, Since)).ToList(),
        _guarantees.Where(g => g.Guarantor == id).Select(g => new GuaranteeView(g.Ward, g.Limit, g.Withdrawn, 0, Since)).ToList(),
        [], [], new AccountView(0, 0, 0, 0, 0, 0), [], [], [], [], [], [], []);

    /// <summary>The walker's read: yields first, so reads started together overlap and are counted as in flight together.</summary>
    public async Task<MemberView?> ReadAsync(string id)
    {
        Reads.Add(id);
        lock (Reads) MaxInFlight = Math.Max(MaxInFlight, ++_inFlight);
        try
        {
            await Task.Delay(5);
            return Missing.Contains(id) || !_members.ContainsKey(id) ? null : View(id);
        }
        finally
        {
            lock (Reads) _inFlight--;
        }
    }
}
