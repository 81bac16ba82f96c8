using System.Globalization;
using Microsoft.AspNetCore.Components;
using OrleansGuarantee.Dashboard.Security;
using OrleansGuarantee.Dashboard.Services;

namespace OrleansGuarantee.Dashboard.Components.Account;

/// <summary>What a panel of the account page is given: who acts, their member view, and how to reload it.</summary>
public abstract class AccountPanelBase : ComponentBase
{
    [Inject] protected GuaranteeService Service { get; set; } = default!;
    [Inject] private ILoggerFactory LoggerFactory { get; set; } = default!;

    /// <summary>The signed-in member (built on the server from the authentication state).</summary>
    [Parameter, EditorRequired] public Actor Actor { get; set; } = default!;

    [Parameter, EditorRequired] public MemberView Me { get; set; } = default!;

    /// <summary>Reloads the member view after an action.</summary>
    [Parameter] public EventCallback OnChanged { get; set; }

    protected string MemberId => Actor.MemberId!;

    private ILogger? _logger;
    protected ILogger Logger => _logger ??= LoggerFactory.CreateLogger(GetType());

    /// <summary>Actions wait for the interactive connection: before it, a click would go nowhere.</summary>
    protected bool Ready => RendererInfo.IsInteractive;

    /// <summary>Runs an action with its state (button disabled meanwhile, message after), then reloads the member view.</summary>
    protected async Task RunAsync(ActionState state, Func<Task<string>> action, PendingOperation? operation = null)
    {
        if (!await state.RunAsync(action, Logger, operation)) return;
        await OnChanged.InvokeAsync();
    }

    public static string Money(decimal amount) => amount.ToString("N2", CultureInfo.InvariantCulture);

    public static string Date(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    public static string Lower(Enum value) => value.ToString().ToLowerInvariant();

    /// <summary>The public page of a member (its card and guarantee tree).</summary>
    public static string MemberHref(string memberId) => OrleansGuarantee.Dashboard.Diagrams.DiagramGrid.MemberHref(memberId);

    /// <summary>"a, b, c" to a list; blanks dropped.</summary>
    public static List<string> Tags(string? text) =>
        (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>A member id as typed: trimmed, null when blank (the service then says it is required).</summary>
    public static string? Id(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
