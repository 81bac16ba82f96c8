using System.Security.Cryptography;
using System.Text;

namespace OrleansGuarantee.Dashboard.Security;

/// <summary>
/// The operator key: <c>Operator:Key</c> from configuration; without one (a local first run), a key is
/// generated, saved under the data folder (<c>DataDir</c>, default <c>.data</c>) and printed once.
/// </summary>
public sealed class OperatorKey
{
    public const string FileName = "operator-key";
    private readonly byte[] _key;

    private OperatorKey(string key, string source)
    {
        _key = Encoding.UTF8.GetBytes(key);
        Source = source;
    }

    /// <summary>Where the key came from (configuration or the file), for the start-up log.</summary>
    public string Source { get; }

    public bool Matches(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _key);

    public static OperatorKey Load(IConfiguration config, TextWriter console)
    {
        if (config["Operator:Key"] is { Length: > 0 } configured)
        {
            if (configured.Length < 16)
                throw new InvalidOperationException("Operator:Key must be at least 16 characters long.");
            return new OperatorKey(configured, "configuration (Operator:Key)");
        }
        var dataDir = Path.GetFullPath(config["DataDir"] is { Length: > 0 } d ? d : ".data");
        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
            return new OperatorKey(File.ReadAllText(path).Trim(), path);

        Directory.CreateDirectory(dataDir);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        // No byte order mark: the file is read by shell tools too (KEY=$(cat operator-key)).
        using (var file = new StreamWriter(path, new UTF8Encoding(false), options)) file.Write(key);
        console.WriteLine($"""

            ==========================================================================
             A new operator key was generated (shown only this once):
               {key}
             It is saved in {path}.
             Use it with POST /api/auth/token {"{"} "operatorKey": "..." {"}"} or on the sign-in page.
            ==========================================================================

            """);
        return new OperatorKey(key, path);
    }
}
