using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansGuarantee.Benchmarks;

/// <summary>Latencies of one phase: percentiles by the nearest-rank method over every measured call.</summary>
public sealed class LatencySample
{
    private readonly List<double> _ms = [];

    public int Count => _ms.Count;

    public void Add(double milliseconds)
    {
        lock (_ms) _ms.Add(milliseconds);
    }

    public double Percentile(double p)
    {
        lock (_ms)
        {
            if (_ms.Count == 0) return double.NaN;
            var sorted = _ms.Order().ToArray();
            var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
    }

    public double Mean
    {
        get { lock (_ms) return _ms.Count == 0 ? double.NaN : _ms.Average(); }
    }

    public double Max
    {
        get { lock (_ms) return _ms.Count == 0 ? double.NaN : _ms.Max(); }
    }
}

/// <summary>What the figures were measured on, printed with every result.</summary>
public static class Machine
{
    public static IReadOnlyList<(string Name, string Value)> Describe()
    {
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return
        [
            ("cores", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
            ("cpu", CpuModel() ?? RuntimeInformation.ProcessArchitecture.ToString()),
            ("memory", $"{memory / (1024.0 * 1024 * 1024):0.0} GiB"),
            ("os", RuntimeInformation.OSDescription),
            ("runtime", RuntimeInformation.FrameworkDescription),
            ("gc", System.Runtime.GCSettings.IsServerGC ? "server" : "workstation"),
        ];
    }

    /// <summary>The machine as a table (header <paramref name="valueHeader"/>), with the run's own rows after it.</summary>
    public static Table AsTable(string valueHeader, params (string Name, string Value)[] more)
    {
        var table = new Table("machine", valueHeader);
        foreach (var (name, value) in Describe().Concat(more)) table.Add(name, value);
        return table;
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux): how much other work shared the cores.</summary>
    public static string LoadAverages()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>The 1-minute load average (Linux), to show when other work shared the cores during a phase.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string? CpuModel()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return null;
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':', 2)[1].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>Prints a line at most once a second while a phase runs: done, percent, rate per second.</summary>
public sealed class Progress(string phase, long total, string unit)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _done;
    private long _lastPrinted = -1;

    public long Done => Interlocked.Read(ref _done);

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Into a file or a pipe a line every 10 seconds; on a terminal the line is rewritten every second.</summary>
    private static readonly int PrintEvery = Console.IsOutputRedirected ? 10 : 1;

    public void Add(long n = 1)
    {
        Interlocked.Add(ref _done, n);
        var slot = (long)_clock.Elapsed.TotalSeconds / PrintEvery;
        var last = Interlocked.Read(ref _lastPrinted);
        if (slot > last && Interlocked.CompareExchange(ref _lastPrinted, slot, last) == last) Print();
    }

    public void Finish()
    {
        Print();
        if (!Console.IsOutputRedirected) Console.WriteLine();
    }

    public double RatePerSecond => Done / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);

    private void Print()
    {
        var done = Done;
        var percent = total == 0 ? 100 : 100.0 * done / total;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"  {phase}: {done:N0}/{total:N0} {unit} ({percent:0.0}%), {RatePerSecond:N0} {unit}/s, {_clock.Elapsed.TotalSeconds:0.0} s");
        if (Console.IsOutputRedirected) Console.WriteLine(line);
        else Console.Write("\r" + line + "   ");
    }
}

/// <summary>A table printed as aligned text on the console and as markdown in the report file.</summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public string ToText()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        text.AppendLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
            text.AppendLine(string.Join("  ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
        return text.ToString();
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", headers) + " |");
        text.AppendLine("| " + string.Join(" | ", headers.Select((_, i) => i == 0 ? "---" : "---:")) + " |");
        foreach (var row in _rows) text.AppendLine("| " + string.Join(" | ", row) + " |");
        return text.ToString();
    }
}

public static class Format
{
    public static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString(ms < 10 ? "0.00" : ms < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);

    public static string Number(double n, string format = "N0") => n.ToString(format, CultureInfo.InvariantCulture);
}
