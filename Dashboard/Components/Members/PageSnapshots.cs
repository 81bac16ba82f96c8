using OrleansGuarantee.Dashboard.Services;

namespace OrleansGuarantee.Dashboard.Components.Members;

/// <summary>A member's page as read while prerendering, carried over to the interactive page.</summary>
public sealed record MemberPageSnapshot(MemberTreeReading Reading, DateTimeOffset ReadAt);

/// <summary>A deal's page as read while prerendering, carried over to the interactive page.</summary>
public sealed record DealPageSnapshot(DealReading Reading, DateTimeOffset ReadAt);
