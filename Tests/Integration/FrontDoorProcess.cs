using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// The real front door (<c>Dashboard/bin/&lt;Configuration&gt;/net10.0/OrleansGuarantee.Dashboard.dll</c>) as a
/// separate process, an Orleans client of a silo process's cluster found through the Azure Table membership, its
/// output captured to a log. Started when it logs "Now listening on"; stopped gracefully with SIGTERM.
/// </summary>
public sealed class FrontDoorProcess : IDisposable
{
    private readonly ChildProcess _process;

    private FrontDoorProcess(ChildProcess process, int port)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>Where the site and the API answer.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Everything the front door wrote so far (stdout and stderr).</summary>
    public string Output => _process.Output;

    public string LogPath => _process.LogPath;

    public static string DllPath => Path.Combine(
        RepoPaths.Root, "Dashboard", "bin", RepoPaths.Configuration, RepoPaths.TargetFramework, "OrleansGuarantee.Dashboard.dll");

    /// <summary>Starts the front door on <paramref name="port"/> for the cluster of <paramref name="settings"/>.</summary>
    /// <param name="extraArguments">More settings, e.g. <c>--Operator:Key ...</c> (without it a key is generated into <paramref name="dataDir"/>).</param>
    public static async Task<FrontDoorProcess> StartAsync(SiloSettings settings, string dataDir, int port, string logPath,
        IReadOnlyList<string>? extraArguments = null)
    {
        if (!File.Exists(DllPath))
            throw new InvalidOperationException(
                $"The front door is not built: {DllPath} is missing. Build the solution first: " +
                $"dotnet build {RepoPaths.SolutionFile} -c {RepoPaths.Configuration}");
        var process = ChildProcess.Start("dotnet",
        [
            DllPath,
            "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--DataDir", dataDir,
            "--Storage:ConnectionString", settings.ConnectionString,
            "--Orleans:ClusterId", settings.ClusterId,
            "--Orleans:ServiceId", settings.ServiceId,
            .. extraArguments ?? [],
        ], logPath, Path.GetDirectoryName(DllPath)!);
        try
        {
            await process.WaitForOutputAsync("Now listening on", SiloProcess.StartTimeout, "the front door to start");
            return new FrontDoorProcess(process, port);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>Stops the front door with SIGTERM; false when it had to be killed after <paramref name="timeout"/>.</summary>
    public Task<bool> StopAsync(TimeSpan timeout) => _process.StopAsync(ChildProcess.SIGTERM, timeout);

    /// <summary>Asks <c>/health</c> every half second until it answers <paramref name="wanted"/> or <paramref name="wait"/> passes; returns the last answer.</summary>
    public static async Task<HttpStatusCode> WaitForHealthAsync(HttpClient http, HttpStatusCode wanted, TimeSpan wait)
    {
        var watch = Stopwatch.StartNew();
        HttpStatusCode last;
        do
        {
            using var response = await http.GetAsync("/health");
            last = response.StatusCode;
            if (last == wanted) return last;
            await Task.Delay(500);
        } while (watch.Elapsed < wait);
        return last;
    }

    public void Dispose() => _process.Dispose();
}
