using Microsoft.AspNetCore.Identity;

namespace OrleansGuarantee.Dashboard.Security;

/// <summary>Member passwords, hashed with ASP.NET Core Identity's PBKDF2 hasher; the plain text is never stored.</summary>
public sealed class Passwords
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly object Owner = new();
    private readonly PasswordHasher<object> _hasher = new();

    public static void Validate(string? password, string field = "password")
    {
        if (string.IsNullOrEmpty(password))
            throw GuaranteeException.Invalid("missing-field", $"The {field} is required.");
        if (password.Length < MinLength)
            throw GuaranteeException.Invalid("weak-password", $"The {field} must be at least {MinLength} characters long.");
        if (password.Length > MaxLength)
            throw GuaranteeException.Invalid("too-long", $"The {field} may be at most {MaxLength} characters.");
    }

    public string Hash(string password) => _hasher.HashPassword(Owner, password);

    public bool Verify(string? hash, string? password) =>
        hash is not null && password is not null &&
        _hasher.VerifyHashedPassword(Owner, hash, password) is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded;
}
