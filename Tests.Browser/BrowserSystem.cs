using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Playwright;
using OrleansGuarantee.Tests.Integration;
using Xunit.Abstractions;

namespace OrleansGuarantee.Tests.Browser;

/// <summary>The browser tests share one running system; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserSystem>
{
    public const string Name = "Browser";
}

/// <summary>
/// The real system as run.sh runs it, on free local ports: Azurite (from node_modules), the silo process and the
/// front door process, with a community of three founders; and Debian's Chromium (<c>/usr/bin/chromium</c>) driven by
/// Playwright. No browser is downloaded: Playwright's driver comes with its package and is pointed at Chromium.
/// Processes are stopped (front door, silo, then Azurite) when the collection ends. <c>OG_KEEP_INTEGRATION_FILES=1</c>
/// keeps the data and the logs.
/// </summary>
public sealed class BrowserSystem : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string Password = "browser-password";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The switches the brief asks for: no sandbox (root in CI), no GPU, no background traffic.</summary>
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private AzuriteFixture? _azurite;
    private ChildProcess? _silo;
    private ChildProcess? _frontDoor;
    private IPlaywright? _playwright;
    private readonly string _clusterId = $"br-{Guid.NewGuid():N}"[..15];

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>The front door's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    public string OperatorKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    /// <summary>The API as other clients use it (founders accepting, the other party of a deal, a judge).</summary>
    public ApiClient Api { get; private set; } = default!;

    public string CommunityId { get; } = "browser";

    public IReadOnlyList<string> Founders { get; } = ["ada", "ben", "cleo"];

    /// <summary>Where screenshots go: <c>TestResults/screenshots</c> at the repository root (ignored by git).</summary>
    public static string ScreenshotDirectory => Path.Combine(RepoPaths.Root, "TestResults", "screenshots");

    /// <summary>Where measurements go: <c>TestResults</c> at the repository root.</summary>
    public static string ResultsDirectory => Path.Combine(RepoPaths.Root, "TestResults");

    private static string DllOf(string project, string assembly) =>
        Path.Combine(RepoPaths.Root, project, "bin", RepoPaths.Configuration, RepoPaths.TargetFramework, assembly);

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's Chromium (apt-get install -y chromium; .ci/run does).");
        var watch = Stopwatch.StartNew();
        _azurite = await AzuriteFixture.StartAsync();
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();
        var webPort = FreePorts.Next();
        var port = (int p) => p.ToString(CultureInfo.InvariantCulture);

        // As SiloProcess and run.sh start it.
        var siloDll = DllOf("Silo", "OrleansGuarantee.Silo.dll");
        _silo = ChildProcess.Start("dotnet",
        [
            siloDll,
            "--Storage:ConnectionString", _azurite.ConnectionString,
            "--Orleans:ClusterId", _clusterId,
            "--Orleans:ServiceId", "OrleansGuarantee-browser",
            "--Orleans:SiloPort", port(siloPort),
            "--Orleans:GatewayPort", port(gatewayPort),
            "--Logging:LogLevel:Orleans.Hosting.SiloHostedService", "Information",
        ], Path.Combine(_azurite.WorkDirectory, "silo.log"), Path.GetDirectoryName(Existing(siloDll))!);
        await _silo.WaitForOutputAsync("Orleans Silo started", StartTimeout, "the silo to start");

        // As FrontDoorIntegrationTests and run.sh start it (from its own folder, for its static web assets).
        var webDll = DllOf("Dashboard", "OrleansGuarantee.Dashboard.dll");
        BaseUrl = $"http://127.0.0.1:{port(webPort)}";
        _frontDoor = ChildProcess.Start("dotnet",
        [
            webDll,
            "--urls", BaseUrl,
            "--contentRoot", Path.GetDirectoryName(Existing(webDll))!,
            "--DataDir", Path.Combine(_azurite.WorkDirectory, "frontdoor-data"),
            "--Operator:Key", OperatorKey,
            "--Storage:ConnectionString", _azurite.ConnectionString,
            "--Orleans:ClusterId", _clusterId,
            "--Orleans:ServiceId", "OrleansGuarantee-browser",
        ], Path.Combine(_azurite.WorkDirectory, "frontdoor.log"), Path.GetDirectoryName(webDll)!);
        await _frontDoor.WaitForOutputAsync("Now listening on", StartTimeout, "the front door to start");

        Api = new ApiClient(new Uri(BaseUrl), OperatorKey);
        await Api.WaitForHealthAsync(StartTimeout);
        await Api.CreateCommunityAsync(CommunityId, Founders, Password);
        await Task.WhenAll(Founders.Select(f => Api.PostAsync(f, $"/api/members/{f}/deposits", new { operationId = "founder-deposit", amount = 20_000m })));

        // Playwright's driver must not look for (or fetch) browsers of its own: Chromium is given by path.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        Directory.CreateDirectory(ScreenshotDirectory);
        StartupTime = watch.Elapsed;
    }

    /// <summary>How long starting everything took (written to the test output).</summary>
    public TimeSpan StartupTime { get; private set; }

    private static string Existing(string dll) => File.Exists(dll)
        ? dll
        : throw new InvalidOperationException($"{dll} is missing: build the solution first (dotnet build {RepoPaths.SolutionFile} -c {RepoPaths.Configuration}).");

    /// <summary>A browser session of its own (own cookies) at a laptop's size, screenshots named after <paramref name="name"/>.</summary>
    public async Task<BrowserSession> OpenAsync(string name, ITestOutputHelper output, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        return new BrowserSession(context, page, name, output);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        if (_frontDoor is not null)
        {
            await _frontDoor.StopAsync(ChildProcess.SIGTERM, TimeSpan.FromSeconds(30));
            _frontDoor.Dispose();
        }
        if (_silo is not null)
        {
            await _silo.StopAsync(ChildProcess.SIGTERM, TimeSpan.FromSeconds(60));
            _silo.Dispose();
        }
        if (_azurite is not null) await _azurite.DisposeAsync();
    }

    /// <summary>An id no other test of this run uses.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>A member made through the API, guaranteed by two founders (so active), with a deposit.</summary>
    public async Task<string> ActiveMemberAsync(string prefix, string guarantor1, string guarantor2, decimal deposit, string[]? offers = null)
    {
        var id = Unique(prefix);
        await Api.SignUpAsync(CommunityId, id, Password, offers ?? ["painting"], ["timber"]);
        foreach (var g in new[] { guarantor1, guarantor2 })
        {
            await Api.PostAsync(id, $"/api/members/{id}/guarantee-requests", new { operationId = $"ask-{g}", guarantorId = g });
            await Api.PostAsync(g, $"/api/members/{g}/guarantees", new { operationId = $"guarantee-{id}", wardId = id, limit = 2_000m });
        }
        if (deposit > 0) await Api.PostAsync(id, $"/api/members/{id}/deposits", new { operationId = "deposit", amount = deposit });
        return id;
    }
}

/// <summary>One browser context and page, with numbered screenshots saved under <c>TestResults/screenshots</c>.</summary>
public sealed class BrowserSession(IBrowserContext context, IPage page, string name, ITestOutputHelper output) : IAsyncDisposable
{
    private int _shots;

    public IPage Page { get; } = page;

    public IBrowserContext Context { get; } = context;

    /// <summary>Saves a full-page screenshot as <c>{name}-{nn}-{step}.png</c>.</summary>
    public async Task ShotAsync(string step)
    {
        var file = Path.Combine(BrowserSystem.ScreenshotDirectory, $"{name}-{++_shots:00}-{step}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        output.WriteLine($"screenshot: {file}");
    }

    /// <summary>Runs the steps; on a failure saves a screenshot of where the page was, then fails.</summary>
    public async Task RunAsync(Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch
        {
            try { await ShotAsync("failure"); }
            catch (PlaywrightException) { /* the page is gone; the original failure matters */ }
            throw;
        }
    }

    /// <summary>Signs in through the /signin form, as a person would, and lands on /account.</summary>
    public async Task SignInAsync(string memberId)
    {
        await Page.GotoAsync("/signin");
        await Page.Locator("#memberId").FillAsync(memberId);
        await Page.Locator("#password").FillAsync(BrowserSystem.Password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Page.WaitForURLAsync("**/account");
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}
