using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace OrleansGuarantee.Benchmarks.Scale;

/// <summary>Failed operations counted by what failed them (the refusal's code, or the exception's type), so a run with
/// errors says which: "203 (TimeoutException 150, operation-interrupted 53)".</summary>
public sealed class ErrorTally
{
    private readonly ConcurrentDictionary<string, long> _kinds = new(StringComparer.Ordinal);
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Add(Exception error)
    {
        Interlocked.Increment(ref _count);
        var kind = error is GuaranteeException g ? g.Code : error.GetType().Name;
        _kinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    public override string ToString() => Count == 0
        ? "0"
        : string.Create(CultureInfo.InvariantCulture,
            $"{Count:N0} ({string.Join(", ", _kinds.OrderByDescending(k => k.Value).ThenBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {k.Value:N0}"))})");
}

/// <summary>Closed-loop and open-loop drivers shared by the scale modes.</summary>
public static class Load
{
    /// <summary>
    /// <paramref name="callers"/> loops each calling <paramref name="operation"/> back to back; only operations that end
    /// inside the measured window (after <paramref name="warmup"/>) count. Returns operations per second and latencies.
    /// </summary>
    /// <remarks>Completed counts every operation that ended, warm-up and the tail after the window included.</remarks>
    public static async Task<(double PerSecond, LatencySample Latency, ErrorTally Errors, long Completed)> ClosedLoopAsync(
        int callers, TimeSpan warmup, TimeSpan measure, Func<int, long, Task> operation)
    {
        var clock = Stopwatch.StartNew();
        var end = warmup + measure;
        long counted = 0, sequence = 0, completed = 0;
        var errors = new ErrorTally();
        var latency = new LatencySample();
        var loops = Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            while (clock.Elapsed < end)
            {
                var started = clock.Elapsed;
                try
                {
                    await operation(caller, Interlocked.Increment(ref sequence));
                }
                catch (Exception ex)
                {
                    errors.Add(ex);
                    continue;
                }
                var done = clock.Elapsed;
                Interlocked.Increment(ref completed);
                if (done >= warmup && done < end)
                {
                    Interlocked.Increment(ref counted);
                    latency.Add((done - started).TotalMilliseconds);
                }
            }
        })).ToList();
        await Task.WhenAll(loops);
        return (counted / measure.TotalSeconds, latency, errors, Interlocked.Read(ref completed));
    }

    /// <summary>
    /// Starts <paramref name="operation"/> at a fixed <paramref name="perSecond"/> for <paramref name="duration"/>
    /// whatever the earlier ones are doing (open loop), then waits for all to end. The operation measures itself.
    /// Returns how far behind schedule the starts fell at worst, in milliseconds.
    /// </summary>
    public static async Task<double> OpenLoopAsync(double perSecond, TimeSpan duration, Func<long, TimeSpan, Stopwatch, Task> operation)
    {
        var clock = Stopwatch.StartNew();
        var total = (long)(perSecond * duration.TotalSeconds);
        var running = new List<Task>((int)Math.Min(total, 1_000_000));
        double worstLag = 0;
        for (long i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / perSecond);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            worstLag = Math.Max(worstLag, (clock.Elapsed - due).TotalMilliseconds);
            var n = i;
            running.Add(Task.Run(() => operation(n, due, clock)));
        }
        await Task.WhenAll(running);
        return worstLag;
    }
}
