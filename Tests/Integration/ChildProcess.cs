using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace OrleansGuarantee.Tests.Integration;

// Shared with the browser tests (Tests.Browser links this file): no Orleans types here.

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

    /// <summary>SIGKILL to the process and every process it started (none today: <c>dotnet app.dll</c> and <c>node</c> run in
    /// one process, but a wrapper script would not), then waits for the exit.</summary>
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
