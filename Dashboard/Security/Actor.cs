using System.Security.Claims;

namespace OrleansGuarantee.Dashboard.Security;

/// <summary>Who is calling: a member (acting only as themselves) or an operator (never acting as a member).</summary>
public sealed record Actor(string? MemberId, string? CommunityId, bool IsOperator)
{
    public const string OperatorRole = "operator";
    public const string MemberRole = "member";
    public const string CommunityClaim = "community";

    public static Actor Anonymous { get; } = new(null, null, false);

    public bool IsMember => MemberId is not null;

    public static Actor From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true) return Anonymous;
        if (user.IsInRole(OperatorRole)) return new Actor(null, null, true);
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier);
        return id is not null && user.IsInRole(MemberRole) ? new Actor(id, user.FindFirstValue(CommunityClaim), false) : Anonymous;
    }

    public static ClaimsPrincipal MemberPrincipal(string memberId, string communityId, string name, string scheme) =>
        new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, memberId),
            new Claim(ClaimTypes.Name, name),
            new Claim(ClaimTypes.Role, MemberRole),
            new Claim(CommunityClaim, communityId),
        ], scheme));

    public static ClaimsPrincipal OperatorPrincipal(string scheme) =>
        new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, "operator"),
            new Claim(ClaimTypes.Name, "Operator"),
            new Claim(ClaimTypes.Role, OperatorRole),
        ], scheme));

    /// <summary>Refuses unless the caller is the member <paramref name="memberId"/> itself.</summary>
    public void MustBe(string memberId)
    {
        if (IsOperator)
            throw GuaranteeException.Forbidden("operator-cannot-act", "Operators manage communities and never act as a member. Sign in as the member.");
        if (MemberId is null)
            throw GuaranteeException.Forbidden("not-signed-in", "Sign in as a member first.");
        if (!string.Equals(MemberId, memberId, StringComparison.Ordinal))
            throw GuaranteeException.Forbidden("not-yourself", $"You are signed in as {MemberId} and can act only for yourself, not for {memberId}.");
    }

    /// <summary>Refuses unless the caller is a member; returns its id.</summary>
    public string MustBeMember()
    {
        if (IsOperator)
            throw GuaranteeException.Forbidden("operator-cannot-act", "Operators manage communities and never act as a member. Sign in as the member.");
        return MemberId ?? throw GuaranteeException.Forbidden("not-signed-in", "Sign in as a member first.");
    }

    public void MustBeOperator()
    {
        if (!IsOperator)
            throw GuaranteeException.Forbidden("operator-only", "Only an operator can do this. Sign in with the operator key.");
    }
}
