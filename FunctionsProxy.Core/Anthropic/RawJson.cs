using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FunctionsProxy.Anthropic;

/// <summary>Copies a value of the (already validated) request document into the upstream body byte for byte.
/// Tool schemas, descriptions and long texts are most of a Claude Code request; <see cref="JsonElement.WriteTo"/>
/// would re-tokenize and re-escape them.</summary>
internal static class RawJson
{
    public static void Write(Utf8JsonWriter writer, JsonElement value)
        => writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);

    /// <summary>The escaped text of a JSON string element, without its quotes.</summary>
    public static ReadOnlySpan<byte> EscapedText(JsonElement stringElement) => JsonMarshal.GetRawUtf8Value(stringElement)[1..^1];

    /// <summary>
    /// One JSON string value = prefix + part₁ + separator + part₂ … + suffix, built from the parts' escaped forms
    /// without decoding them (system prompts are tens of KB; decoding and re-escaping them is most of the cost).
    /// Prefix, separator and suffix are given already escaped (a newline as the two bytes backslash and n).
    /// </summary>
    public static byte[] JoinStrings(List<JsonElement> parts, ReadOnlySpan<byte> escapedSeparator, ReadOnlySpan<byte> escapedPrefix = default, ReadOnlySpan<byte> escapedSuffix = default)
    {
        var buffer = new byte[JoinedLength(parts, escapedSeparator, escapedPrefix, escapedSuffix)];
        Join(buffer, parts, escapedSeparator, escapedPrefix, escapedSuffix);
        return buffer;
    }

    /// <summary>Writes the joined string value (see <see cref="JoinStrings"/>) through a pooled buffer: the value is
    /// written once and not kept, so it costs no allocation the size of a system prompt per request.</summary>
    public static void WriteJoinedString(Utf8JsonWriter writer, List<JsonElement> parts, ReadOnlySpan<byte> escapedSeparator)
    {
        var length = JoinedLength(parts, escapedSeparator, default, default);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Join(buffer, parts, escapedSeparator, default, default);
            writer.WriteRawValue(buffer.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int JoinedLength(List<JsonElement> parts, ReadOnlySpan<byte> escapedSeparator, ReadOnlySpan<byte> escapedPrefix, ReadOnlySpan<byte> escapedSuffix)
    {
        var length = 2 + escapedPrefix.Length + escapedSuffix.Length + Math.Max(0, parts.Count - 1) * escapedSeparator.Length;
        foreach (var part in parts) length += EscapedText(part).Length;
        return length;
    }

    private static void Join(Span<byte> span, List<JsonElement> parts, ReadOnlySpan<byte> escapedSeparator, ReadOnlySpan<byte> escapedPrefix, ReadOnlySpan<byte> escapedSuffix)
    {
        span[0] = (byte)'"';
        var at = 1;
        escapedPrefix.CopyTo(span[at..]);
        at += escapedPrefix.Length;
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0) { escapedSeparator.CopyTo(span[at..]); at += escapedSeparator.Length; }
            var text = EscapedText(parts[i]);
            text.CopyTo(span[at..]);
            at += text.Length;
        }
        escapedSuffix.CopyTo(span[at..]);
        at += escapedSuffix.Length;
        span[at] = (byte)'"';
    }
}
