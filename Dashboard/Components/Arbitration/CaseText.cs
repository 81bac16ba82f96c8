using System.Globalization;
using OrleansGuarantee.Dashboard.Components.Account;

namespace OrleansGuarantee.Dashboard.Components.Arbitration;

/// <summary>How claims, votes, verdicts and cases read on the pages (rules 12-16), in one place.</summary>
public static class CaseText
{
    /// <summary>The fault choices of the vote form, as the service takes them.</summary>
    public static IReadOnlyList<(string Value, string Label)> FaultChoices { get; } =
    [
        ("provider", "the provider"),
        ("consumer", "the consumer"),
        ("both", "both, with a split"),
        ("neither", "neither"),
    ];

    public static string Percent(decimal fraction) => (fraction * 100m).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    /// <summary>"the provider", "both (provider 60 %, consumer 40 %)", ...</summary>
    public static string Fault(Fault fault, decimal providerShare) => fault switch
    {
        OrleansGuarantee.Fault.Provider => "the provider",
        OrleansGuarantee.Fault.Consumer => "the consumer",
        OrleansGuarantee.Fault.Both => $"both (provider {Percent(providerShare)}, consumer {Percent(1 - providerShare)})",
        _ => "neither",
    };

    public static string Verdict(Verdict v) => v.Fault == OrleansGuarantee.Fault.Neither
        ? "At fault: neither party; no compensation."
        : $"At fault: {Fault(v.Fault, v.ProviderShare)}; compensation {AccountPanelBase.Money(v.Compensation)}.";

    public static string Vote(VoteRecord v) => v.Fault == OrleansGuarantee.Fault.Neither
        ? "neither at fault"
        : $"{Fault(v.Fault, v.ProviderShare)} at fault, {AccountPanelBase.Money(v.Compensation)}";

    public static string State(CaseState state) => state switch
    {
        CaseState.Voting => "voting",
        CaseState.AwaitingParties => "verdict given",
        CaseState.Executing => "executing",
        _ => "closed",
    };

    /// <summary>A CSS-friendly word for the state's badge.</summary>
    public static string StateClass(CaseState state) => state switch
    {
        CaseState.AwaitingParties => "case-awaiting",
        _ => "case-" + AccountPanelBase.Lower(state),
    };

    public static string Outcome(CaseLevelOutcome outcome) => outcome switch
    {
        CaseLevelOutcome.Voting => "voting",
        CaseLevelOutcome.Decided => "verdict, waiting for the parties",
        CaseLevelOutcome.Escalated => "escalated (no majority)",
        CaseLevelOutcome.Appealed => "appealed",
        _ => "final",
    };

    public static string PanelName(CaseLevelView level) => level.IsCouncil
        ? "founders' council"
        : level.Level == 1 ? "guarantors of the parties" : "guarantors of the previous judges";

    /// <summary>Where a compensation payment came from, by its level in the cover.</summary>
    public static string PaymentLevel(int level) => level switch
    {
        0 => "own deposit",
        1 => "guarantor",
        _ => $"guarantor, {level} levels up",
    };

    public static string Role(CaseView c, string memberId) =>
        memberId == c.ProviderId ? "provider" : memberId == c.ConsumerId ? "consumer" : "judge";

    /// <summary>The member id, or "you" for the signed-in member.</summary>
    public static string Who(string memberId, string? me) => memberId == me ? "you" : memberId;

    public static string Date(DateTimeOffset at) => AccountPanelBase.Date(at);

    /// <summary>A deadline with how far it is: "2026-01-02 10:00 UTC (in 2 days)", "(passed)".</summary>
    public static string Due(DateTimeOffset at, DateTimeOffset now)
    {
        var left = at - now;
        var when = left <= TimeSpan.Zero ? "passed"
            : left.TotalDays >= 2 ? $"in {Math.Round(left.TotalDays)} days"
            : left.TotalHours >= 2 ? $"in {Math.Round(left.TotalHours)} hours"
            : left.TotalMinutes >= 2 ? $"in {Math.Round(left.TotalMinutes)} minutes"
            : "in a moment";
        return $"{Date(at)} ({when})";
    }
}

/// <summary>A member's cases sorted for the cases page: as a party, waiting for their vote, and where they sat.</summary>
public sealed record CaseInbox(IReadOnlyList<CaseView> Mine, IReadOnlyList<CaseView> AwaitingMyVote, IReadOnlyList<CaseView> Sat)
{
    public static CaseInbox From(string memberId, IEnumerable<CaseView> cases)
    {
        var all = cases.ToList();
        var mine = all.Where(c => IsParty(c, memberId)).ToList();
        var awaiting = all.Where(c => !IsParty(c, memberId) && AwaitsVoteOf(c, memberId))
            .OrderBy(c => c.Levels[^1].VerdictDeadline).ToList();
        var sat = all.Where(c => !IsParty(c, memberId) && !AwaitsVoteOf(c, memberId) && c.Levels.Any(l => l.Panel.Contains(memberId)))
            .ToList();
        return new CaseInbox(mine, awaiting, sat);
    }

    public static bool IsParty(CaseView c, string memberId) => c.ProviderId == memberId || c.ConsumerId == memberId;

    /// <summary>The member sits on the current panel, it is voting, and the member has not voted.</summary>
    public static bool AwaitsVoteOf(CaseView c, string memberId) =>
        c.State == CaseState.Voting && c.Levels.Count > 0 && c.Levels[^1] is var level
        && level.Outcome == CaseLevelOutcome.Voting && level.Panel.Contains(memberId) && level.Votes.All(v => v.JudgeId != memberId);

    /// <summary>The verdict waits for this party's answer (accept or appeal).</summary>
    public static bool AwaitsAnswerOf(CaseView c, string memberId) =>
        c.State == CaseState.AwaitingParties && IsParty(c, memberId) && c.Levels.Count > 0 && !c.Levels[^1].AcceptedBy.Contains(memberId);
}

/// <summary>The member's cases as read while prerendering, carried over to the interactive page.</summary>
public sealed record CasesSnapshot(string MemberId, IReadOnlyList<CaseView> Cases, DateTimeOffset ReadAt);

/// <summary>One case as read while prerendering, carried over to the interactive page.</summary>
public sealed record CaseSnapshot(CaseView Case, DateTimeOffset ReadAt);
