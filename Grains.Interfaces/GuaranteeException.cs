namespace OrleansGuarantee;

/// <summary>How a refused command should be read by a caller (the front door maps it to an HTTP status).</summary>
public enum ErrorKind
{
    /// <summary>The input is malformed or breaks a rule on its own (400).</summary>
    Invalid = 0,
    /// <summary>A named community, member or deal does not exist (404).</summary>
    NotFound = 1,
    /// <summary>The current state does not allow the command now (409).</summary>
    Conflict = 2,
    /// <summary>The caller may not do this for that member (403).</summary>
    Forbidden = 3,
    /// <summary>The command was interrupted; its outcome is completed or rolled back by recovery (503).</summary>
    Interrupted = 4,
}

/// <summary>What one party of a deal still lacks when its cover cannot be held.</summary>
[GenerateSerializer, Immutable, Alias("og.CoverShortfall")]
public sealed record CoverShortfall(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string Party,
    [property: Id(2)] decimal Required,
    [property: Id(3)] decimal Missing);

/// <summary>
/// A domain rule refused a command. <see cref="Code"/> is stable and machine-readable
/// (e.g. <c>insufficient-cover</c>); the message is written for a person. A refused command changed nothing.
/// </summary>
[GenerateSerializer, Alias("og.GuaranteeException")]
public sealed class GuaranteeException : Exception
{
    public GuaranteeException(ErrorKind kind, string code, string message, IReadOnlyList<CoverShortfall>? shortfalls = null)
        : base(message)
    {
        Kind = kind;
        Code = code;
        Shortfalls = shortfalls?.ToArray() ?? [];
    }

    [Id(0)] public ErrorKind Kind { get; private set; }
    [Id(1)] public string Code { get; private set; }
    [Id(2)] public CoverShortfall[] Shortfalls { get; private set; }

    public static GuaranteeException Invalid(string code, string message) => new(ErrorKind.Invalid, code, message);
    public static GuaranteeException NotFound(string code, string message) => new(ErrorKind.NotFound, code, message);
    public static GuaranteeException Conflict(string code, string message) => new(ErrorKind.Conflict, code, message);
    public static GuaranteeException Forbidden(string code, string message) => new(ErrorKind.Forbidden, code, message);
}
