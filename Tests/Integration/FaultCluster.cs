using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>
/// The fault suite's deployment, all real processes: Azurite, several silos of one cluster on Azure Table clustering
/// (each on its own silo and gateway port), and the front door, which finds the silos through the membership table (so
/// no silo is its only gateway). Disposing stops the front door, kills the silos (nothing is checked after that) and
/// stops Azurite; <see cref="ReportErrors"/> summarises what the processes logged.
/// </summary>
internal sealed class FaultCluster : IAsyncDisposable
{
    /// <summary>Reminder ticks (recovery of interrupted steps, cycle progress) every few seconds instead of every minute.</summary>
    public const int ReminderPeriodSeconds = 5;

    private readonly SiloProcess?[] _silos;
    private readonly List<string> _logs = [];

    private FaultCluster(AzuriteFixture azurite, int silos, Action<string> log)
    {
        Azurite = azurite;
        Cluster = SiloSettings.NewCluster(azurite.ConnectionString);
        _silos = new SiloProcess?[silos];
        Log = log;
        OperatorKey = $"fault-suite-{Guid.NewGuid():N}";
    }

    public AzuriteFixture Azurite { get; }

    /// <summary>Where progress is written (the running test's output).</summary>
    public Action<string> Log { get; set; }

    /// <summary>The cluster's identity and storage (each silo has its own ports).</summary>
    public SiloSettings Cluster { get; }

    public FrontDoorProcess FrontDoor { get; private set; } = null!;

    public string OperatorKey { get; }

    public SiloProcess? Silo(int index) => _silos[index];

    public static async Task<FaultCluster> StartAsync(int silos, Action<string> log)
    {
        var watch = Stopwatch.StartNew();
        var cluster = new FaultCluster(await AzuriteFixture.StartAsync(), silos, log);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, silos).Select(cluster.StartSiloAsync));
            var frontDoorLog = Path.Combine(cluster.Azurite.WorkDirectory, "frontdoor.log");
            cluster._logs.Add(frontDoorLog);
            cluster.FrontDoor = await FrontDoorProcess.StartAsync(cluster.Cluster, Path.Combine(cluster.Azurite.WorkDirectory, "frontdoor-data"),
                FreePorts.Next(), frontDoorLog, ["--Operator:Key", cluster.OperatorKey]);
            using var http = new HttpClient { BaseAddress = cluster.FrontDoor.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var health = await FrontDoorProcess.WaitForHealthAsync(http, HttpStatusCode.OK, TimeSpan.FromSeconds(60));
            if (health != HttpStatusCode.OK) throw new InvalidOperationException($"The front door's /health answers {health}.\n{cluster.FrontDoor.Output}");
            log($"Azurite (tables {cluster.Azurite.Port}), {silos} silos of cluster {cluster.Cluster.ClusterId} " +
                $"(ports {string.Join(", ", cluster._silos.Select(s => $"{s!.Settings.SiloPort}/{s.Settings.GatewayPort}"))}) and the front door " +
                $"({cluster.FrontDoor.BaseAddress}) started in {watch.Elapsed.TotalSeconds:0.0} s");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts silo <paramref name="index"/> (0-based; again after a kill) on new ports of the same cluster.</summary>
    public async Task StartSiloAsync(int index)
    {
        if (_silos[index] is { } old)
        {
            if (!old.HasExited) throw new InvalidOperationException($"Silo {index + 1} is running.");
            await old.DisposeAsync();
        }
        var settings = Cluster with { SiloPort = FreePorts.Next(), GatewayPort = FreePorts.Next() };
        string logPath;
        lock (_logs)
        {
            logPath = Path.Combine(Azurite.WorkDirectory, $"silo-{index}-{_logs.Count}.log");
            _logs.Add(logPath);
        }
        _silos[index] = await SiloProcess.StartAsync(settings, logPath,
            ["--Orleans:MinimumReminderPeriodSeconds", ReminderPeriodSeconds.ToString(CultureInfo.InvariantCulture)]);
    }

    /// <summary>Kills silo <paramref name="index"/> (0-based) with SIGKILL (kill -9): no shutdown, the membership table still lists it as active.</summary>
    public void KillSilo(int index)
    {
        var silo = _silos[index] ?? throw new InvalidOperationException($"Silo {index + 1} is not running.");
        silo.Kill();
        Log($"silo {index + 1} (pid {silo.ProcessId}, port {silo.Settings.SiloPort}) killed with SIGKILL");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (FrontDoor is not null)
            {
                await FrontDoor.StopAsync(TimeSpan.FromSeconds(15));
                FrontDoor.Dispose();
            }
            foreach (var silo in _silos)
                if (silo is not null) await silo.DisposeAsync();
        }
        finally
        {
            await Azurite.DisposeAsync();
        }
    }

    /// <summary>How many errors each process has logged so far, with the first few (the logs are deleted with Azurite's folder).</summary>
    public void ReportErrors()
    {
        foreach (var path in _logs.Where(File.Exists))
        {
            var lines = File.ReadAllLines(path);
            var errors = Enumerable.Range(0, lines.Length)
                .Where(i => lines[i].StartsWith("fail:", StringComparison.Ordinal) || lines[i].StartsWith("crit:", StringComparison.Ordinal))
                .Select(i => $"{lines[i]} {(i + 1 < lines.Length ? lines[i + 1].Trim() : "")}").ToList();
            var warnings = lines.Count(l => l.StartsWith("warn:", StringComparison.Ordinal));
            Log($"{Path.GetFileName(path)}: {errors.Count} errors, {warnings} warnings logged");
            foreach (var e in errors.Take(5)) Log($"    {e}");
        }
    }
}
