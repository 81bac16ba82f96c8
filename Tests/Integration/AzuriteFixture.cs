using System.Diagnostics;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>Where this repository and its build outputs are, seen from the running test assembly.</summary>
internal static class RepoPaths
{
    public const string SolutionFile = "OrleansGuarantee.sln";

    /// <summary>The folder holding <see cref="SolutionFile"/>, found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The test assembly's folder, e.g. <c>Tests/bin/Release/net10.0</c>.</summary>
    private static string BaseDirectory => Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);

    /// <summary>The build configuration (Debug or Release) the tests were built in, from their own path.</summary>
    public static string Configuration => Path.GetFileName(Path.GetDirectoryName(BaseDirectory)!);

    /// <summary>The target framework folder name, e.g. <c>net10.0</c>.</summary>
    public static string TargetFramework => Path.GetFileName(BaseDirectory);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                return dir.FullName;
        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds {SolutionFile}.");
    }
}

/// <summary>
/// A real Azurite table service (Node.js, from the repository's node_modules) on a free port, with a
/// fresh temporary data folder. It can be stopped (SIGINT, so Azurite writes its data folder) and
/// started again on the same port and data. Disposing stops it and deletes the temporary folder, unless
/// the environment variable <c>OG_KEEP_INTEGRATION_FILES=1</c> asks to keep it (data and logs) for a look.
/// </summary>
public sealed class AzuriteFixture : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private ChildProcess? _process;
    private int _starts;

    private AzuriteFixture(string workDirectory, int port, int queuePort, int blobPort)
    {
        WorkDirectory = workDirectory;
        DataDirectory = Path.Combine(workDirectory, "azurite");
        Port = port;
        QueuePort = queuePort;
        BlobPort = blobPort;
        Directory.CreateDirectory(DataDirectory);
    }

    /// <summary>The temporary folder of this instance: Azurite's data, and logs of processes using it.</summary>
    public string WorkDirectory { get; }

    /// <summary>Azurite's data folder (inside <see cref="WorkDirectory"/>).</summary>
    public string DataDirectory { get; }

    /// <summary>The table service's port.</summary>
    public int Port { get; }

    /// <summary>The queue service's port (cycle event streams).</summary>
    public int QueuePort { get; }

    /// <summary>The blob service's port (unused by the system, but Azurite's combined server opens it).</summary>
    public int BlobPort { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The connection string of Azurite's well-known development account on <see cref="Port"/>.</summary>
    public string ConnectionString =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"TableEndpoint=http://127.0.0.1:{Port}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/devstoreaccount1;" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;";

    /// <summary>Azurite's combined server (blob, queue and table services in one process).</summary>
    private static string AzuriteTableMain =>
        Path.Combine(RepoPaths.Root, "node_modules", "azurite", "dist", "src", "azurite.js");

    /// <summary>Starts Azurite's table service on a free port with a fresh data folder and waits until it answers.</summary>
    public static async Task<AzuriteFixture> StartAsync()
    {
        if (!File.Exists(AzuriteTableMain))
            throw new InvalidOperationException(
                $"Azurite is not installed ({AzuriteTableMain} is missing). Run 'npm ci' in {RepoPaths.Root} (test.sh does).");
        var work = Path.Combine(Path.GetTempPath(), $"og-integration-{Guid.NewGuid():N}"[..28]);
        var azurite = new AzuriteFixture(work, FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        try
        {
            await azurite.StartAgainAsync();
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts Azurite (again) on the same port and data folder; it must be stopped.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning) throw new InvalidOperationException("Azurite is already running.");
        _starts++;
        var log = Path.Combine(WorkDirectory, $"azurite-{_starts}.log");
        _process = ChildProcess.Start("node",
        [
            AzuriteTableMain,
            "--tableHost", "127.0.0.1",
            "--tablePort", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1",
            "--queuePort", QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--blobHost", "127.0.0.1",
            "--blobPort", BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--location", DataDirectory,
            "--silent", "--disableTelemetry", "--skipApiVersionCheck",
        ], log, RepoPaths.Root);

        var watch = Stopwatch.StartNew();
        while (!await FreePorts.AnswersAsync(Port) || !await FreePorts.AnswersAsync(QueuePort))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"Azurite exited while starting (exit code {_process.ExitCode}).\n{_process.Output}");
            if (watch.Elapsed > StartTimeout)
                throw new TimeoutException($"Azurite did not answer on port {Port} within {StartTimeout.TotalSeconds:0}s.\n{_process.Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>Stops Azurite with SIGINT (it saves its data folder), killing it only if it does not stop in time.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        var stopped = await _process.StopAsync(ChildProcess.SIGINT, StopTimeout);
        _process.Dispose();
        _process = null;
        if (!stopped)
            throw new TimeoutException($"Azurite did not stop within {StopTimeout.TotalSeconds:0}s of SIGINT and was killed.");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_process is not null) await StopAsync();
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("OG_KEEP_INTEGRATION_FILES") != "1")
                DeleteWorkDirectory();
        }
    }

    private void DeleteWorkDirectory()
    {
        try { Directory.Delete(WorkDirectory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
