using OrleansGuarantee.Benchmarks;
using OrleansGuarantee.Benchmarks.Navigator;

// Benchmarks of OrleansGuarantee, each a mode: dotnet run -c Release --project Benchmarks -- MODE [options].
// Every mode hosts its own in-process silo with memory storage, so a run needs nothing but this machine.
var modes = new Dictionary<string, BenchmarkMode>(StringComparer.OrdinalIgnoreCase)
{
    ["deals"] = OrleansGuarantee.Benchmarks.Scale.DealsMode.Mode,
    ["members"] = OrleansGuarantee.Benchmarks.Scale.MembersMode.Mode,
    ["navigator"] = new("navigator", "path search and cycle proposals on a generated community (issue 7)",
        NavigatorBenchmarkOptions.Usage, NavigatorBenchmark.RunAsync),
};

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(BenchmarkMode.Usage(modes.Values));
    return args.Length == 0 ? 2 : 0;
}
if (!modes.TryGetValue(args[0], out var mode))
{
    Console.Error.WriteLine($"Unknown mode '{args[0]}'.");
    Console.Error.WriteLine();
    Console.Error.WriteLine(BenchmarkMode.Usage(modes.Values));
    return 2;
}
if (args.Skip(1).Any(a => a is "-h" or "--help"))
{
    Console.WriteLine($"Usage: dotnet run -c Release --project Benchmarks -- {mode.Name} [options]");
    Console.WriteLine(mode.OptionsUsage);
    return 0;
}
try
{
    return await mode.Run(args[1..]);
}
catch (UsageException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine();
    Console.Error.WriteLine($"Usage: dotnet run -c Release --project Benchmarks -- {mode.Name} [options]");
    Console.Error.WriteLine(mode.OptionsUsage);
    return 2;
}
