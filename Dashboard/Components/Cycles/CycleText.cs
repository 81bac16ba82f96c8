using System.Globalization;
using OrleansGuarantee.Dashboard.Components.Account;

namespace OrleansGuarantee.Dashboard.Components.Cycles;

/// <summary>How synergy cycles (rules 17-20) read on the pages and in the cycle diagram, in one place.</summary>
public static class CycleText
{
    public static string Money(decimal amount) => AccountPanelBase.Money(amount);

    /// <summary>A share or a discount: 0.2 → "20 %", 0.333333 → "33.33 %".</summary>
    public static string Percent(decimal fraction) => (fraction * 100m).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    public static string State(CycleState state) => state switch
    {
        CycleState.Recruiting => "recruiting",
        CycleState.Running => "running",
        CycleState.Broken => "broken",
        _ => "completed",
    };

    /// <summary>A CSS-friendly word for the state's badge.</summary>
    public static string StateClass(CycleState state) => "cycle-" + State(state);

    /// <summary>What the cycle waits for, in one sentence.</summary>
    public static string StateLine(CycleView c)
    {
        var waiting = c.Stages.Where(s => !s.Joined).Select(s => $"{s.Index + 1} ({s.MemberId})").ToList();
        return c.State switch
        {
            CycleState.Recruiting when waiting.Count > 0 =>
                $"Recruiting: waiting for stage {string.Join(", ", waiting)} to join. The organizer starts the cycle once every stage has joined.",
            CycleState.Recruiting => "Every stage has joined: the organizer can start the cycle.",
            CycleState.Running when c.CurrentStage < c.Stages.Count =>
                $"Stage {c.CurrentStage + 1} of {c.Stages.Count} ({c.Stages[c.CurrentStage].Role}, {c.Stages[c.CurrentStage].MemberId}) is running.",
            CycleState.Broken when c.CurrentStage < c.Stages.Count && waiting.Count > 0 =>
                $"Stage {c.CurrentStage + 1} failed and was given to {c.Stages[c.CurrentStage].MemberId}, who has to join it before the cycle continues.",
            CycleState.Broken when c.CurrentStage < c.Stages.Count =>
                $"Stage {c.CurrentStage + 1} ({c.Stages[c.CurrentStage].Role}) failed: the organizer gives it to another member.",
            _ => $"Completed{(c.CompletedAt is { } at ? " " + AccountPanelBase.Date(at) : "")}: every stage delivered.",
        };
    }

    /// <summary>A stage's progress in words: "waiting to join", "running (deal accepted)", "failed"...</summary>
    public static string StageStatus(StageView s) => s.Status switch
    {
        "waiting" when !s.Joined => "waiting to join",
        "waiting" => "joined, waiting for its turn",
        "opening" when s.Blocked is not null => "its deal waits for cover",
        "opening" => "its deal is being opened",
        "running" => s.DealState is { } state ? $"running (deal {AccountPanelBase.Lower(state)})" : "running",
        "done" => "delivered",
        "failed" => "failed",
        _ => s.Status,
    };
}

/// <summary>A cycle as read while prerendering, carried over to the interactive page.</summary>
public sealed record CycleSnapshot(CycleView Cycle, DateTimeOffset ReadAt);

/// <summary>The cycles of the "my cycles" list, as read while prerendering.</summary>
public sealed record CyclesSnapshot(string MemberId, IReadOnlyList<CycleView> Cycles, DateTimeOffset ReadAt);
