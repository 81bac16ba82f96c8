using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace OrleansGuarantee.Tests.Integration;

/// <summary>What a silo process is started with.</summary>
public sealed record SiloSettings(string ConnectionString, string ClusterId, string ServiceId, int SiloPort, int GatewayPort)
{
    /// <summary>A new cluster (unique id) on free ports, storing into <paramref name="connectionString"/>.</summary>
    public static SiloSettings NewCluster(string connectionString) => new(
        connectionString,
        $"it-{Guid.NewGuid():N}"[..15],
        "OrleansGuarantee-integration",
        FreePorts.Next(),
        FreePorts.Next());
}

/// <summary>
/// The real silo (<c>Silo/bin/&lt;Configuration&gt;/net10.0/OrleansGuarantee.Silo.dll</c>) as a separate
/// process, its output captured to a log. Started when it logs "Orleans Silo started"; stopped
/// gracefully with SIGTERM, or killed with SIGKILL as a crash.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private const string StartedLine = "Orleans Silo started";

    private readonly ChildProcess _process;

    private SiloProcess(SiloSettings settings, ChildProcess process)
    {
        Settings = settings;
        _process = process;
    }

    public SiloSettings Settings { get; }

    public int ProcessId => _process.Id;

    public string LogPath => _process.LogPath;

    /// <summary>Everything the silo wrote so far (stdout and stderr).</summary>
    public string Log => _process.Output;

    public bool HasExited => _process.HasExited;

    /// <summary>The silo built in the same configuration as the tests.</summary>
    public static string DllPath => Path.Combine(
        RepoPaths.Root, "Silo", "bin", RepoPaths.Configuration, RepoPaths.TargetFramework, "OrleansGuarantee.Silo.dll");

    /// <summary>Starts a silo and waits until it has joined its cluster and opened its gateway.</summary>
    /// <param name="extraArguments">More command-line settings for the silo, e.g. <c>--Orleans:MinimumReminderPeriodSeconds 2</c>.</param>
    public static async Task<SiloProcess> StartAsync(SiloSettings settings, string logPath, IReadOnlyList<string>? extraArguments = null)
    {
        if (!File.Exists(DllPath))
            throw new InvalidOperationException(
                $"The silo is not built: {DllPath} is missing. Build the solution first: " +
                $"dotnet build {RepoPaths.SolutionFile} -c {RepoPaths.Configuration}");
        EnsureSiloBuildIsCurrent();
        var port = (int p) => p.ToString(CultureInfo.InvariantCulture);
        var process = ChildProcess.Start("dotnet",
        [
            DllPath,
            "--Storage:ConnectionString", settings.ConnectionString,
            "--Orleans:ClusterId", settings.ClusterId,
            "--Orleans:ServiceId", settings.ServiceId,
            "--Orleans:SiloPort", port(settings.SiloPort),
            "--Orleans:GatewayPort", port(settings.GatewayPort),
            // appsettings.json logs Orleans warnings only; the start/stop lines of the silo are wanted here.
            "--Logging:LogLevel:Orleans.Hosting.SiloHostedService", "Information",
            .. extraArguments ?? [],
        ], logPath, Path.GetDirectoryName(DllPath)!);
        var silo = new SiloProcess(settings, process);
        try
        {
            await process.WaitForOutputAsync(StartedLine, StartTimeout, "the silo to start");
            return silo;
        }
        catch
        {
            silo.Kill();
            throw;
        }
    }

    /// <summary>
    /// The test project does not build the silo (it does not reference it), so after a change of the
    /// grains a silo built earlier would run the old code: its copies of the grain assemblies must be the
    /// ones these tests were built with.
    /// </summary>
    private static void EnsureSiloBuildIsCurrent()
    {
        var siloDirectory = Path.GetDirectoryName(DllPath)!;
        foreach (var assembly in new[] { "OrleansGuarantee.Grains.dll", "OrleansGuarantee.Grains.Interfaces.dll" })
        {
            var ours = Path.Combine(AppContext.BaseDirectory, assembly);
            var silos = Path.Combine(siloDirectory, assembly);
            if (!File.Exists(silos) || !File.ReadAllBytes(ours).AsSpan().SequenceEqual(File.ReadAllBytes(silos)))
                throw new InvalidOperationException(
                    $"The silo build is out of date: {silos} differs from the {assembly} the tests were built with. " +
                    $"Build the solution first: dotnet build {RepoPaths.SolutionFile} -c {RepoPaths.Configuration}");
        }
    }

    /// <summary>Stops the silo gracefully (SIGTERM, as Ctrl+C or a service manager would).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        if (!await _process.StopAsync(ChildProcess.SIGTERM, StopTimeout))
            throw new TimeoutException($"The silo did not stop within {StopTimeout.TotalSeconds:0}s of SIGTERM and was killed.\n{Log}");
    }

    /// <summary>Kills the silo at once (SIGKILL, kill -9): a crash, nothing is cleaned up.</summary>
    public void Kill() => _process.Kill();

    public ValueTask DisposeAsync()
    {
        _process.Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>An Orleans client of a silo process's cluster, found through the Azure Table membership.</summary>
public sealed class ClusterClientConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterClientConnection(IHost host)
    {
        _host = host;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    /// <summary>Connects a client to the cluster of <paramref name="settings"/>.</summary>
    /// <param name="withCycleStreams">
    /// Also configure the cycle event stream provider (<see cref="CycleStreams.Provider"/>) on Azure Storage
    /// queues exactly as the silo does (Silo/Program.cs), so the client can subscribe to cycle streams.
    /// </param>
    public static async Task<ClusterClientConnection> ConnectAsync(SiloSettings settings, bool withCycleStreams = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(settings.ConnectionString));
            if (withCycleStreams)
            {
                // Same queues as the silo: {service id, lower-case letters and digits only}-cycles-0..3.
                var prefix = System.Text.RegularExpressions.Regex.Replace(settings.ServiceId.ToLowerInvariant(), "[^a-z0-9]", "");
                var queues = new QueueServiceClient(settings.ConnectionString);
                client.AddAzureQueueStreams(CycleStreams.Provider, b => b.ConfigureAzureQueue(ob => ob.Configure(o =>
                {
                    o.QueueServiceClient = queues;
                    o.QueueNames = Enumerable.Range(0, 4).Select(n => $"{prefix}-cycles-{n}").ToList();
                })));
            }
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ServiceId;
            });
            // The gateway list is read from the membership table; give a just-started silo a moment.
            var attempts = 0;
            client.UseConnectionRetryFilter(async (_, cancellation) =>
            {
                if (++attempts > 20) return false;
                await Task.Delay(500, cancellation);
                return true;
            });
        });
        var host = builder.Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StartAsync(timeout.Token);
            return new ClusterClientConnection(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The client could not say goodbye (its silo is gone); disposing still frees it.
        }
        finally
        {
            _host.Dispose();
        }
    }
}

/// <summary>Free TCP ports on the loopback interface, and whether a port answers.</summary>
internal static class FreePorts
{
    private static readonly ConcurrentDictionary<int, byte> Given = new();

    /// <summary>A port nothing listens on now, never given twice in this test run.</summary>
    public static int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (Given.TryAdd(port, 0)) return port;
        }
    }

    public static async Task<bool> AnswersAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>
/// A child process whose stdout and stderr go to a log file and to memory, that can wait for a line of
/// output, be sent a POSIX signal and be killed. Children still running when the test run ends are killed.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    private static readonly ConcurrentDictionary<int, Process> Running = new();

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly StringBuilder _output = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var p in Running.Values)
                try { p.Kill(); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
        };
    }

    private ChildProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
    }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_lock) return $"---- {Path.GetFileName(LogPath)} ({LogPath}) ----\n{_output}----";
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    public static ChildProcess Start(string fileName, IReadOnlyList<string> arguments, string logPath, string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, logPath);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        child.OnLine($"$ {fileName} {string.Join(' ', arguments)}");
        try
        {
            process.Start();
        }
        catch
        {
            child._log.Dispose();
            process.Dispose();
            throw;
        }
        Running[process.Id] = process;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until a line of output contains <paramref name="text"/>; fails with the log if the process exits first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, string what)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal)) return;
            _waiters.Add((text, seen));
        }
        using var cancel = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(cancel.Token);
        var first = await Task.WhenAny(seen.Task, exited, Task.Delay(Timeout.Infinite, cancel.Token));
        if (first == seen.Task) return;
        if (_process.HasExited)
        {
            _process.WaitForExit(); // lets the last output lines arrive
            throw new InvalidOperationException($"Waiting for {what}: the process exited with code {_process.ExitCode}.\n{Output}");
        }
        throw new TimeoutException($"Waiting for {what}: no \"{text}\" within {timeout.TotalSeconds:0}s.\n{Output}");
    }

    /// <summary>Sends the signal and waits for the exit; kills the process if it is still running after <paramref name="timeout"/>.</summary>
    /// <returns>False when it had to be killed.</returns>
    public async Task<bool> StopAsync(int signal, TimeSpan timeout)
    {
        if (_process.HasExited) return true;
        if (SysKill(_process.Id, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            _process.WaitForExit();
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            return false;
        }
    }

    /// <summary>
    /// SIGKILL to the process and every process it started (none today: <c>dotnet app.dll</c> and <c>node</c> run in
    /// one process, but a wrapper script would not), then waits for the exit.
    /// </summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            if (_disposed) return;
            _output.AppendLine(line);
            _log.WriteLine(line);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!line.Contains(_waiters[i].Text, StringComparison.Ordinal)) continue;
                _waiters[i].Seen.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    public void Dispose()
    {
        Kill();
        Running.TryRemove(_process.Id, out _);
        lock (_lock)
        {
            _disposed = true;
            _log.Dispose();
        }
        _process.Dispose();
    }
}
