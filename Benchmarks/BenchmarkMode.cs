using System.Globalization;
using System.Text;

namespace OrleansGuarantee.Benchmarks;

/// <summary>One benchmark the program can run, chosen by its first argument; more modes come with later issues.</summary>
public sealed record BenchmarkMode(string Name, string Description, string OptionsUsage, Func<string[], Task<int>> Run)
{
    public static string Usage(IEnumerable<BenchmarkMode> modes)
    {
        var text = new StringBuilder();
        text.AppendLine("Usage: dotnet run -c Release --project Benchmarks -- MODE [options]");
        text.AppendLine();
        text.AppendLine("Modes:");
        foreach (var mode in modes)
            text.AppendLine($"  {mode.Name,-12} {mode.Description}");
        foreach (var mode in modes)
        {
            text.AppendLine();
            text.AppendLine($"Options of {mode.Name}:");
            text.Append(mode.OptionsUsage);
        }
        return text.ToString();
    }
}

/// <summary>A command line a mode cannot run with; the program prints it with the mode's options.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// "--name value" and "--flag" arguments. Every option a mode reads is taken out, so anything left over is a typo
/// that <see cref="EnsureAllRead"/> refuses instead of silently running with defaults.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);

    public Arguments(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length < 3)
                throw new UsageException($"Unexpected argument '{arg}' (options start with --).");
            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                value = args[++i];
            _values[name] = value;
        }
    }

    public bool Flag(string name)
    {
        if (!_values.Remove(name, out var value)) return false;
        return value is null || bool.Parse(value);
    }

    public string? String(string name) => _values.Remove(name, out var value) ? value ?? throw new UsageException($"--{name} needs a value.") : null;

    public int Int(string name, int fallback, int min, int max)
    {
        var text = String(name);
        if (text is null) return fallback;
        if (!int.TryParse(text.Replace("_", ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"--{name} must be a whole number from {min} to {max} (got '{text}').");
        return value;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        var text = String(name);
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"--{name} must be a number from {min} to {max} (got '{text}').");
        return value;
    }

    public IReadOnlyList<int> Ints(string name, IReadOnlyList<int> fallback, int min, int max)
    {
        var text = String(name);
        if (text is null) return fallback;
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                throw new UsageException($"--{name} takes whole numbers from {min} to {max}, separated by commas (got '{text}').");
            values.Add(value);
        }
        return values.Count > 0 ? values : throw new UsageException($"--{name} needs at least one value.");
    }

    public void EnsureAllRead()
    {
        if (_values.Count > 0)
            throw new UsageException($"Unknown option{(_values.Count == 1 ? "" : "s")}: {string.Join(", ", _values.Keys.Select(k => "--" + k))}.");
    }
}
