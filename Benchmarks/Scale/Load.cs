using System.Diagnostics;

namespace OrleansGuarantee.Benchmarks.Scale;

/// <summary>Closed-loop and open-loop drivers shared by the scale modes.</summary>
public static class Load
{
    /// <summary>
    /// <paramref name="callers"/> loops each calling <paramref name="operation"/> back to back; only operations that end
    /// inside the measured window (after <paramref name="warmup"/>) count. Returns operations per second and latencies.
    /// </summary>
    /// <remarks>Completed counts every operation that ended, warm-up and the tail after the window included.</remarks>
    public static async Task<(double PerSecond, LatencySample Latency, long Errors, long Completed)> ClosedLoopAsync(
        int callers, TimeSpan warmup, TimeSpan measure, Func<int, long, Task> operation)
    {
        var clock = Stopwatch.StartNew();
        var end = warmup + measure;
        long counted = 0, errors = 0, sequence = 0, completed = 0;
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
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
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
