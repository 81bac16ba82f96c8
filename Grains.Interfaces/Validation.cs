using System.Text.RegularExpressions;

namespace OrleansGuarantee;

/// <summary>Rules for amounts of money: positive, at most 2 decimal places, at most one trillion.</summary>
public static class Money
{
    public const decimal Maximum = 1_000_000_000_000m;

    public static void Validate(decimal amount, string field = "amount")
    {
        if (amount <= 0)
            throw GuaranteeException.Invalid("invalid-amount", $"The {field} must be greater than zero (got {amount}).");
        if (amount != decimal.Round(amount, 2))
            throw GuaranteeException.Invalid("invalid-amount", $"The {field} may have at most 2 decimal places (got {amount}).");
        if (amount > Maximum)
            throw GuaranteeException.Invalid("invalid-amount", $"The {field} may be at most {Maximum:N0} (got {amount}).");
    }

    /// <summary>Rounds to cents, halves away from zero.</summary>
    public static decimal Cents(decimal amount) => decimal.Round(amount, 2, MidpointRounding.AwayFromZero);
}

/// <summary>Rules for ids of communities, members, deals and operations.</summary>
public static partial class Ids
{
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex IdPattern();

    public static void Validate(string? id, string what)
    {
        if (string.IsNullOrEmpty(id) || !IdPattern().IsMatch(id))
            throw GuaranteeException.Invalid("invalid-id",
                $"The {what} id must be 1-64 characters of letters, digits, '_', '.' or '-' (got '{Shorten(id)}').");
    }

    public static void ValidateOperationId(string? operationId)
    {
        if (string.IsNullOrWhiteSpace(operationId) || operationId.Length > 64)
            throw GuaranteeException.Invalid("invalid-operation-id",
                $"The operationId must be 1-64 characters (got '{Shorten(operationId)}').");
    }

    public static void ValidateText(string? text, string field, int maxLength, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(text))
            throw GuaranteeException.Invalid("missing-field", $"The {field} is required.");
        if (text is not null && text.Length > maxLength)
            throw GuaranteeException.Invalid("too-long", $"The {field} may be at most {maxLength} characters (got {text.Length}).");
    }

    private static string Shorten(string? s) => s is null ? "" : s.Length <= 80 ? s : s[..80] + "…";
}
