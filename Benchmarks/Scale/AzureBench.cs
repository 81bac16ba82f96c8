using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansGuarantee.Infrastructure;

namespace OrleansGuarantee.Benchmarks.Scale;

/// <summary>
/// Counts every request the silo's table client sends to Azure Table storage, by table and kind. The silo's grain
/// storage, reminders, journal and membership all use one <see cref="TableServiceClient"/> (as in Silo/Program.cs),
/// so a policy in its pipeline sees every durable write. A journal transaction ("$batch") counts as one write.
/// </summary>
public sealed class TableRequestCounter : HttpPipelineSynchronousPolicy
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var path = request.Uri.Path; // /devstoreaccount1/Table(PartitionKey=...,RowKey=...) or /devstoreaccount1/$batch
        var rest = path[(path.IndexOf('/', 1) + 1)..];
        var cut = rest.IndexOfAny(['(', '?', '/']);
        var table = cut >= 0 ? rest[..cut] : rest;
        // The recovery books' state is counted apart from the other grain state (its partition key names its grain type).
        if (table == "OrleansGrainState" && Uri.UnescapeDataString(rest).Contains("recoverybook", StringComparison.Ordinal))
            table = "OrleansGrainState:recoverybook";
        var write = request.Method != RequestMethod.Get && request.Method != RequestMethod.Head;
        _counts.AddOrUpdate($"{(write ? "write" : "read")} {table}", 1, (_, n) => n + 1);
    }

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    /// <summary>Writes between two snapshots, by table, leaving out cluster membership (the silo's heartbeat).</summary>
    public static Dictionary<string, long> Writes(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in after)
        {
            if (!key.StartsWith("write ", StringComparison.Ordinal)) continue;
            var delta = value - before.GetValueOrDefault(key);
            if (delta > 0) result[Describe(key["write ".Length..])] = delta;
        }
        return result;
    }

    public static string Describe(string table) => table switch
    {
        "OrleansGrainState" => "grain state (OrleansGrainState)",
        "OrleansGrainState:recoverybook" => "grain state of the recovery books (OrleansGrainState)",
        "OrleansReminders" => "reminders (OrleansReminders)",
        "$batch" => "journal transactions (OrleansGuaranteeJournal)",
        "OrleansSiloInstances" => "membership (OrleansSiloInstances)",
        "Tables" => "table creation",
        _ => table,
    };
}

/// <summary>Azurite (from the repository's node_modules) on free ports with a fresh data folder, as run.sh starts it.</summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private AzuriteProcess(Process process, string folder, int tablePort, int queuePort, int blobPort)
    {
        _process = process;
        _folder = folder;
        ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    public int ProcessId => _process.Id;

    public static async Task<AzuriteProcess> StartAsync()
    {
        var root = FindRoot();
        var script = Path.Combine(root, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script))
            throw new UsageException($"Azurite is not installed ({script} is missing): run 'npm ci' in {root} first.");
        var folder = Directory.CreateTempSubdirectory("og-bench-azurite-").FullName;
        int table = FreePort(), queue = FreePort(), blob = FreePort();
        var start = new ProcessStartInfo("node")
        {
            ArgumentList =
            {
                script, "--tableHost", "127.0.0.1", "--tablePort", table.ToString(), "--queueHost", "127.0.0.1",
                "--queuePort", queue.ToString(), "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(),
                "--location", folder, "--silent", "--disableTelemetry", "--skipApiVersionCheck",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, folder, table, queue, blob);
        for (var i = 0; ; i++)
        {
            if (process.HasExited) throw new InvalidOperationException("Azurite exited while starting.");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, table);
                break;
            }
            catch (SocketException) when (i < 300)
            {
                await Task.Delay(100);
            }
        }
        return azurite;
    }

    /// <summary>CPU seconds Azurite's process has used so far (Linux: /proc), to show how busy its single thread was.</summary>
    public double CpuSeconds()
    {
        _process.Refresh();
        return _process.TotalProcessorTime.TotalSeconds;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OrleansGuarantee.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}

/// <summary>
/// One silo in this process hosted as Silo/Program.cs hosts it: Azure Table clustering, grain storage (Orleans
/// serializer), reminders and the journal store, all on one <see cref="TableServiceClient"/> — here with
/// <see cref="TableRequestCounter"/> in its pipeline. Cycle streams are in memory (Streams:Kind=Memory), which deals
/// do not use; the Orleans dashboard is left out.
/// </summary>
public sealed class AzureBenchSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private AzureBenchSilo(IHost host, TableRequestCounter counter)
    {
        _host = host;
        Counter = counter;
    }

    public TableRequestCounter Counter { get; }

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public static async Task<AzureBenchSilo> StartAsync(string connectionString)
    {
        var counter = new TableRequestCounter();
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var tables = new TableServiceClient(connectionString, options);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Services.AddSingleton<Journal.IJournalStore>(new Journal.AzureTableJournalStore(tables));
        builder.Services.AddGuaranteeGrainServices();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = "bench-" + Guid.NewGuid().ToString("N")[..8];
                o.ServiceId = "OrleansGuaranteeBench";
            });
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
            silo.UseAzureStorageClustering(o => o.TableServiceClient = tables);
            silo.AddAzureTableGrainStorage(StorageNames.Store, o => o.Configure<Serializer>((t, serializer) =>
            {
                t.TableServiceClient = tables;
                t.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            }));
            silo.UseAzureTableReminderService(o => o.TableServiceClient = tables);
            silo.AddMemoryStreams(CycleStreams.Provider);
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromHours(2));
        });
        var host = builder.Build();
        await host.StartAsync();
        return new AzureBenchSilo(host, counter);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _host.StopAsync(timeout.Token); }
        finally { _host.Dispose(); }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
