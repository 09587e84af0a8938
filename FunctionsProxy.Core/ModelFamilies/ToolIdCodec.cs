using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// Upstream tool-call ids ⇄ Anthropic <c>tool_use.id</c>s (<c>^[a-zA-Z0-9_-]+$</c>), without server state.
/// Valid ids pass unchanged. Ids Anthropic clients would reject (Kimi's <c>functions.Bash:0</c>) are escaped behind
/// <see cref="EncodedPrefix"/>: letters, digits and <c>-</c> stay, every other UTF-8 byte becomes <c>_XX</c> (upper-case
/// hex), so <c>functions.Bash:0</c> → <c>toolu_xfunctions_2EBash_3A0</c>. Valid ids that happen to start with the
/// prefix are escaped too, which keeps <see cref="ToUpstream"/> an exact inverse of <see cref="ToAnthropic"/>.
/// </summary>
public static class ToolIdCodec
{
    public const string EncodedPrefix = "toolu_x";
    public const string GeneratedPrefix = "toolu_";

    private static readonly SearchValues<char> Plain = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
    private static readonly SearchValues<char> Valid = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>True for ids Anthropic accepts as <c>tool_use.id</c>.</summary>
    public static bool IsValidAnthropicId(ReadOnlySpan<char> id) => id.Length > 0 && !id.ContainsAnyExcept(Valid);

    /// <summary>Upstream id → Anthropic id: unchanged when valid, escaped when not, generated when missing.</summary>
    public static string ToAnthropic(string? upstreamId)
    {
        if (string.IsNullOrEmpty(upstreamId)) return NewId();
        if (IsValidAnthropicId(upstreamId) && !upstreamId.StartsWith(EncodedPrefix, StringComparison.Ordinal)) return upstreamId;
        return Encode(upstreamId);
    }

    /// <summary>Anthropic id (from history) → the id the backend produced. Identity for ids this codec did not encode.</summary>
    public static string ToUpstream(string anthropicId)
    {
        if (!anthropicId.StartsWith(EncodedPrefix, StringComparison.Ordinal)) return anthropicId;
        var decoded = TryDecode(anthropicId.AsSpan(EncodedPrefix.Length));
        // Only a canonical encoding decodes: a generated or foreign id that merely starts with the prefix stays as is.
        return decoded is not null && string.Equals(ToAnthropic(decoded), anthropicId, StringComparison.Ordinal) ? decoded : anthropicId;
    }

    /// <summary>A new unique id: <c>toolu_</c> + 24 random base62 characters.</summary>
    public static string NewId()
    {
        Span<char> chars = stackalloc char[GeneratedPrefix.Length + 24];
        GeneratedPrefix.CopyTo(chars);
        RandomNumberGenerator.GetItems(Base62, chars[GeneratedPrefix.Length..]);
        return new string(chars);
    }

    private static string Encode(string id)
    {
        var bytes = Encoding.UTF8.GetBytes(id);
        var sb = new StringBuilder(EncodedPrefix.Length + bytes.Length * 2).Append(EncodedPrefix);
        foreach (var b in bytes)
        {
            var c = (char)b;
            if (b < 0x80 && Plain.Contains(c)) sb.Append(c);
            else sb.Append('_').Append(HexUpper[b >> 4]).Append(HexUpper[b & 0xF]);
        }
        return sb.ToString();
    }

    private const string HexUpper = "0123456789ABCDEF";

    private static string? TryDecode(ReadOnlySpan<char> s)
    {
        var bytes = new byte[s.Length];
        var n = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c != '_')
            {
                if (!Plain.Contains(c)) return null;
                bytes[n++] = (byte)c;
                continue;
            }
            if (i + 2 >= s.Length) return null;
            var hi = HexUpper.IndexOf(s[i + 1]);
            var lo = HexUpper.IndexOf(s[i + 2]);
            if (hi < 0 || lo < 0) return null;
            bytes[n++] = (byte)((hi << 4) | lo);
            i += 2;
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, n);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
