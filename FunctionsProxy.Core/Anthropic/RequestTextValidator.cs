using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace FunctionsProxy.Anthropic;

/// <summary>
/// Checks that every string and property name of a request's JSON text is Unicode: valid UTF-8 and no
/// <c>\uD800</c>–<c>\uDFFF</c> escape outside a surrogate pair; the error names the field.
/// <see cref="JsonDocument"/> accepts both (it checks UTF-8 only when a string is decoded), and the request writer
/// copies strings as raw bytes, so without this check such bytes reach the backend, or a later <c>GetString()</c>
/// throws. Anthropic answers these bodies with 400 too.
/// </summary>
internal static class RequestTextValidator
{
    /// <summary>A problem as <c>path: message</c>, or null when the text is clean.</summary>
    public static string? FindInvalidText(ReadOnlySpan<byte> json)
    {
        // Outside strings valid JSON is ASCII and has no backslash, so both checks can run over the whole body at
        // vector speed (every backslash starts an escape); the reader pass that names the field runs only when one fails.
        return Utf8.IsValid(json) && LoneSurrogate(json) is null ? null : Locate(json);
    }

    private static string? Locate(ReadOnlySpan<byte> json)
    {
        // The text was already parsed as a document (at most 256 levels, as RequestBody allows), so structure is valid.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        Span<Frame> frames = stackalloc Frame[MaxDepth + 1];
        var depth = 0;
        while (Read(ref reader))
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (depth > 0 && frames[depth - 1].IsArray) frames[depth - 1].Index++;
                    frames[depth++] = new Frame { IsArray = reader.TokenType == JsonTokenType.StartArray, Index = -1 };
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.PropertyName:
                    frames[depth - 1].NameStart = (int)reader.TokenStartIndex;
                    if (Problem(reader.ValueSpan, reader.ValueIsEscaped) is { } nameProblem)
                        return depth > 1 ? $"{Path(json, frames[..(depth - 1)])}: Property name {nameProblem}" : $"Property name {nameProblem}";
                    break;
                default:
                    if (depth > 0 && frames[depth - 1].IsArray) frames[depth - 1].Index++;
                    if (reader.TokenType == JsonTokenType.String && Problem(reader.ValueSpan, reader.ValueIsEscaped) is { } problem)
                        return $"{Path(json, frames[..depth])}: String {problem}";
                    break;
            }
        }
        return null;
    }

    private const int MaxDepth = 256;

    private static bool Read(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException)
        {
            // Only reachable for a document parsed with a larger depth limit than this pass allows.
            throw new Errors.ProxyErrorException(Errors.ProxyError.InvalidRequest($"Request body nests deeper than {MaxDepth} levels."));
        }
    }

    private static string? Problem(ReadOnlySpan<byte> raw, bool escaped)
    {
        if (!Utf8.IsValid(raw)) return "is not valid UTF-8.";
        return escaped && LoneSurrogate(raw) is { } unit ? $"has a lone UTF-16 surrogate escape \\u{unit:x4}, which is not valid Unicode." : null;
    }

    /// <summary>The first <c>\uD800</c>–<c>\uDFFF</c> escape that is not a high surrogate followed by a low one.</summary>
    /// <remarks>Only an escape that starts <c>\uD</c> or <c>\ud</c> can be a surrogate, so the scan looks for those two
    /// byte sequences (two vectorised searches whose next hits are kept, so the body is read about twice in all) instead
    /// of stopping at every backslash: Claude Code's texts have a <c>\n</c> on every line, and a body written with
    /// System.Text.Json's default encoder (the .NET SDKs) has a <c>\u003C</c> for every &lt;. A hit counts when its
    /// backslash opens an escape rather than ending an escaped backslash (<c>\\uD800</c> is a backslash and text).</remarks>
    private static int? LoneSurrogate(ReadOnlySpan<byte> raw)
    {
        var upper = Find(raw, 0, "\\uD"u8);
        var lower = Find(raw, 0, "\\ud"u8);
        var pairEnd = 0; // the low half of a pair just checked is not a lone surrogate
        while (upper >= 0 || lower >= 0)
        {
            int at;
            if (lower < 0 || (upper >= 0 && upper < lower))
            {
                at = upper;
                upper = Find(raw, at + 3, "\\uD"u8);
            }
            else
            {
                at = lower;
                lower = Find(raw, at + 3, "\\ud"u8);
            }
            if (at < pairEnd || at > raw.Length - 6 || !OpensEscape(raw, at)) continue;
            // The reader validated every escape, so four hex digits follow.
            var unit = Hex(raw.Slice(at + 2, 4));
            if (char.IsHighSurrogate((char)unit))
            {
                if (at + 11 < raw.Length && raw[at + 6] == (byte)'\\' && raw[at + 7] == (byte)'u' && char.IsLowSurrogate((char)Hex(raw.Slice(at + 8, 4))))
                {
                    pairEnd = at + 12;
                    continue;
                }
                return unit;
            }
            if (char.IsLowSurrogate((char)unit)) return unit;
        }
        return null;
    }

    private static int Find(ReadOnlySpan<byte> raw, int from, ReadOnlySpan<byte> what)
    {
        if (from >= raw.Length) return -1;
        var hit = raw[from..].IndexOf(what);
        return hit < 0 ? -1 : from + hit;
    }

    /// <summary>An odd run of backslashes ends at <paramref name="at"/>: the one there opens an escape.</summary>
    private static bool OpensEscape(ReadOnlySpan<byte> raw, int at)
    {
        var run = 1;
        while (at - run >= 0 && raw[at - run] == (byte)'\\') run++;
        return (run & 1) == 1;
    }

    private static int Hex(ReadOnlySpan<byte> four)
    {
        var value = 0;
        foreach (var b in four) value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        return value;
    }

    /// <summary><c>messages.3.content.0.text</c> from the open containers (built only for the error message).</summary>
    private static string Path(ReadOnlySpan<byte> json, ReadOnlySpan<Frame> frames)
    {
        var sb = new StringBuilder();
        foreach (var frame in frames)
        {
            if (sb.Length > 0) sb.Append('.');
            if (frame.IsArray) sb.Append(frame.Index);
            else sb.Append(NameAt(json, frame.NameStart));
        }
        return sb.ToString();
    }

    /// <summary>The property name whose token starts at <paramref name="start"/>, readable even when it is invalid.</summary>
    private static string NameAt(ReadOnlySpan<byte> json, int start)
    {
        var reader = new Utf8JsonReader(json[start..]);
        reader.Read();
        var raw = reader.ValueSpan;
        if (raw.Length > 64) raw = raw[..64];
        return Encoding.UTF8.GetString(raw); // invalid bytes show as U+FFFD; escapes stay as written
    }

    private struct Frame
    {
        public bool IsArray;
        public int Index;
        public int NameStart;
    }
}
