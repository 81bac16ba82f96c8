using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OrleansGuarantee.Tests.Browser;

/// <summary>
/// The cycle designer (<c>/cycles/new</c>) and the live cycle page (<c>/cycles/{id}</c>) in Chromium: the organizer
/// designs and starts a cycle in the page; the stage members join and confirm their stage deals through the API
/// (other clients), and the test measures how long after each API answer the cycle diagram shows the change.
/// p95 of those delays must be at most 500 ms; the samples and the p95 go to the test output and to
/// <c>TestResults/cycle-latency.json</c>.
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
public sealed class CyclePageTests(BrowserSystem system, ITestOutputHelper output)
{
    private const double P95LimitMs = 500;

    /// <summary>
    /// What the test expects of the cycle pages (one place to adjust): the designer's fields and buttons, and on the
    /// live page a <c>data-seq</c> attribute (on the diagram or its nodes) holding the number of the last cycle event
    /// the page has applied, and node classes <c>dg-done</c> for finished stages (DiagramSpec kinds).
    /// </summary>
    private static class CyclePage
    {
        public const string Product = "#cycle-product";
        public const string ProductValue = "#cycle-value";
        public static string StageRole(int i) => $"#stage-{i}-role";
        public static string StageMember(int i) => $"#stage-{i}-member";
        public static string StagePrice(int i) => $"#stage-{i}-price";
        public const string AddStage = "Add a stage";
        public const string Design = "Design the cycle";
        public const string Start = "Start the cycle";
        public const string DoneNodes = ".dg-node.dg-done[data-node-id^='stage-']";

        /// <summary>Records, on every change of the page, when the largest <c>data-seq</c> on it grew (browser clock, ms).</summary>
        public const string InstallSeqObserver = """
            () => {
              const shown = () => {
                let max = 0;
                for (const e of document.querySelectorAll('[data-seq]')) {
                  const v = Number(e.getAttribute('data-seq'));
                  if (v > max) max = v;
                }
                return max;
              };
              window.__seqLog = [{ t: Date.now(), seq: shown() }];
              let last = window.__seqLog[0].seq;
              new MutationObserver(() => {
                const s = shown();
                if (s > last) { last = s; window.__seqLog.push({ t: Date.now(), seq: s }); }
              }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-seq'] });
            }
            """;
    }

    private static readonly (string Role, decimal Price)[] Stages =
        // Ten stages: twenty timed changes, so the p95 is not simply the slowest one.
        [("supplier", 1_000m), ("mason", 2_500m), ("carpenter", 4_000m), ("engineer", 1_500m), ("plumber", 1_200m),
         ("electrician", 1_800m), ("roofer", 2_200m), ("glazier", 900m), ("painter", 700m), ("landscaper", 1_100m)];

    [Fact]
    public async Task A_cycle_designed_and_started_in_the_page_shows_each_stage_within_500_ms_at_p95()
    {
        var (f1, f2, f3) = (system.Founders[0], system.Founders[1], system.Founders[2]);
        var organizer = await system.ActiveMemberAsync("olga", f1, f2, deposit: 6_000m);
        var members = await Task.WhenAll(Stages.Select((s, i) =>
            system.ActiveMemberAsync(s.Role, i % 2 == 0 ? f2 : f1, f3, deposit: 6_000m, offers: [s.Role])));
        var samples = new List<(string Action, double Ms)>();
        await using var session = await system.OpenAsync("cycle-live", output);
        var page = session.Page;
        string id = "";
        await session.RunAsync(async () =>
        {
            await session.SignInAsync(organizer);

            // Design the cycle in the page.
            await page.GotoAsync("/cycles/new");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = CyclePage.Design, Exact = true })).ToBeEnabledAsync();
            await page.Locator(CyclePage.Product).FillAsync("Family house");
            await page.Locator(CyclePage.ProductValue).FillAsync("12000");
            for (var i = 0; i < Stages.Length; i++)
            {
                if (await page.Locator(CyclePage.StageRole(i)).CountAsync() == 0)
                    await page.GetByRole(AriaRole.Button, new() { Name = CyclePage.AddStage, Exact = true }).ClickAsync();
                await page.Locator(CyclePage.StageRole(i)).FillAsync(Stages[i].Role);
                await page.Locator(CyclePage.StageMember(i)).FillAsync(members[i]);
                await page.Locator(CyclePage.StagePrice(i)).FillAsync(Stages[i].Price.ToString(CultureInfo.InvariantCulture));
            }
            await session.ShotAsync("designer");
            await page.GetByRole(AriaRole.Button, new() { Name = CyclePage.Design, Exact = true }).ClickAsync();
            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/cycles/cy-[0-9a-f]+$"));
            id = page.Url[(page.Url.LastIndexOf('/') + 1)..];
            var designed = await CycleAsync(id);
            Assert.Equal(("recruiting", organizer), ((string?)designed["state"], (string?)designed["organizerId"]));
            Assert.Equal(members, designed["stages"]!.AsArray().Select(s => (string)s!["memberId"]!));
            await page.WaitForFunctionAsync("() => document.querySelector('[data-seq]') !== null");
            await page.EvaluateAsync(CyclePage.InstallSeqObserver);
            await session.ShotAsync("designed");

            // Each stage's member joins through the API: the page shows each join.
            for (var i = 0; i < members.Length; i++)
            {
                var before = (long)(await CycleAsync(id))["lastEventSeq"]!;
                var joined = await system.Api.PostAsync(members[i], $"/api/cycles/{id}/stages/{i}/join", null);
                samples.Add(($"stage {i + 1} joins", await ShownAfterAsync(page, before + 1)));
                Assert.True((bool)joined["stages"]![i]!["joined"]!);
            }

            // The organizer starts it in the page.
            await page.GetByRole(AriaRole.Button, new() { Name = CyclePage.Start, Exact = true }).ClickAsync();
            await SettledAsync(id, 0);
            await session.ShotAsync("started");

            // Each stage's deal is confirmed by its two parties through the API; the consumer's confirmation completes
            // the stage (the cycle hears of its deal only then), which the page must show.
            for (var k = 0; k < members.Length; k++)
            {
                var cycle = await SettledAsync(id, k);
                var dealId = (string)cycle["stages"]![k]!["dealId"]!;
                var consumer = k + 1 < members.Length ? members[k + 1] : organizer;
                Assert.Equal("delivered", (string?)(await system.Api.PostAsync(members[k], $"/api/deals/{dealId}/confirm", null))["state"]);
                var before = (long)(await CycleAsync(id))["lastEventSeq"]!;
                await system.Api.PostAsync(consumer, $"/api/deals/{dealId}/confirm", null);
                samples.Add(($"stage {k + 1} completes", await ShownAfterAsync(page, before + 1)));
                await session.ShotAsync($"stage-{k + 1}-done");
            }

            var done = await SettledAsync(id, members.Length);
            Assert.Equal("completed", (string?)done["state"]);
            await Expect(page.Locator(CyclePage.DoneNodes)).ToHaveCountAsync(members.Length, new() { Timeout = 5_000 });
            await session.ShotAsync("completed");
        });

        var sorted = samples.Select(s => s.Ms).Order().ToList();
        var p95 = sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1];
        foreach (var (action, ms) in samples) output.WriteLine($"{action,-22} {ms,7:0} ms");
        output.WriteLine($"p95 {p95:0} ms over {samples.Count} samples (limit {P95LimitMs:0} ms)");
        Directory.CreateDirectory(BrowserSystem.ResultsDirectory);
        await File.WriteAllTextAsync(Path.Combine(BrowserSystem.ResultsDirectory, "cycle-latency.json"), JsonSerializer.Serialize(new
        {
            cycleId = id,
            p95Ms = p95,
            limitMs = P95LimitMs,
            samples = samples.Select(s => new { action = s.Action, ms = s.Ms }),
        }, new JsonSerializerOptions { WriteIndented = true }));
        Assert.True(p95 <= P95LimitMs, $"p95 of the delay from an API answer to the diagram showing it is {p95:0} ms (limit {P95LimitMs:0} ms)");
    }

    private Task<JsonNode> CycleAsync(string id) => system.Api.GetAsync(ApiClient.Operator, $"/api/cycles/{id}");

    /// <summary>
    /// How long after now (the API's answer) the page showed cycle event <paramref name="seq"/> or a later one: the
    /// time its observer recorded, so the polling here does not count.
    /// </summary>
    private static async Task<double> ShownAfterAsync(IPage page, long seq)
    {
        var answeredAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await page.WaitForFunctionAsync("s => window.__seqLog.some(e => e.seq >= s)", seq, new PageWaitForFunctionOptions { Timeout = 10_000, PollingInterval = 20 });
        var shownAt = await page.EvaluateAsync<double>("s => window.__seqLog.find(e => e.seq >= s).t", seq);
        return Math.Max(0, shownAt - answeredAt);
    }

    /// <summary>Reads the cycle until stage <paramref name="stage"/> runs with its deal covered (or, past the last stage, it completed).</summary>
    private async Task<JsonNode> SettledAsync(string id, int stage)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var cycle = await CycleAsync(id);
            var stages = cycle["stages"]!.AsArray();
            var settled = stage >= stages.Count
                ? (string?)cycle["state"] == "completed"
                : (string?)cycle["state"] == "running" && (int)cycle["currentStage"]! == stage
                  && (string?)stages[stage]!["status"] == "running" && (string?)stages[stage]!["dealState"] == "accepted";
            if (settled) return cycle;
            Assert.True(DateTime.UtcNow < until, $"cycle {id} did not reach stage {stage + 1}: {cycle.ToJsonString()}");
            await Task.Delay(50);
        }
    }
}
