using System.Security.Cryptography;
using System.Text;

namespace FunctionsProxy.Team;

/// <summary>
/// Proxy key format and hashing. A key is <c>fpk_</c> + a 12-character lookup id + a 43-character secret (base62,
/// ~256 bits from <see cref="RandomNumberGenerator"/>). The id finds the stored record without scanning; only a salted
/// SHA-256 of the secret is stored, compared in constant time. The secret is high-entropy, so a slow KDF adds nothing.
/// </summary>
public static class ProxyKeys
{
    public const string Prefix = "fpk_";
    public const int IdLength = 12;
    public const int SecretLength = 43;
    public const int KeyLength = 4 + IdLength + SecretLength;
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new key and what may be stored about it.</summary>
    public static (string Key, string Id, string Salt, string Hash) Create()
    {
        var id = RandomNumberGenerator.GetString(Base62, IdLength);
        var secret = RandomNumberGenerator.GetString(Base62, SecretLength);
        var salt = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        return (Prefix + id + secret, id, salt, Hash(salt, secret));
    }

    /// <summary>Splits a presented key into id and secret; false for anything not shaped like a proxy key.</summary>
    public static bool TryParse(string? key, out string id, out string secret)
    {
        id = secret = "";
        if (key is null || key.Length != KeyLength || !key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        foreach (var c in key.AsSpan(Prefix.Length))
            if (!char.IsAsciiLetterOrDigit(c)) return false;
        id = key.Substring(Prefix.Length, IdLength);
        secret = key.Substring(Prefix.Length + IdLength);
        return true;
    }

    /// <summary>Display form that identifies a key without revealing its secret.</summary>
    public static string DisplayPrefix(string id) => Prefix + id;

    public static string Hash(string salt, string secret)
    {
        Span<byte> digest = stackalloc byte[32];
        var input = Encoding.UTF8.GetBytes(salt + ":" + secret);
        SHA256.HashData(input, digest);
        CryptographicOperations.ZeroMemory(input);
        return Convert.ToBase64String(digest);
    }

    /// <summary>Constant-time check of <paramref name="secret"/> against a stored salt and hash.</summary>
    public static bool Verify(string secret, string salt, string storedHash)
    {
        Span<byte> expected = stackalloc byte[32];
        if (!Convert.TryFromBase64String(storedHash, expected, out var n) || n != 32) return false;
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(salt + ":" + secret), actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Constant-time equality of two secrets of any length (both are hashed first, so lengths don't leak).</summary>
    public static bool SecretEquals(string presented, string expected)
    {
        Span<byte> a = stackalloc byte[32];
        Span<byte> b = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), a);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>Names are printed and used in table keys: letters, digits, <c>.</c>, <c>_</c>, <c>-</c>; 1–64 chars.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64) return false;
        foreach (var c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        return true;
    }
}
