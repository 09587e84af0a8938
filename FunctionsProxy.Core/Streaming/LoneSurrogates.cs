namespace FunctionsProxy.Streaming;

/// <summary>Replaces <c>\uD800</c>–<c>\uDFFF</c> escapes that are not part of a valid pair in JSON text with
/// <c>\uFFFD</c>. Runs only after a chunk failed to deserialize, never on the normal path.</summary>
internal static class LoneSurrogates
{
    /// <returns>The repaired text, or null when it has no lone surrogate escape (the failure is something else).</returns>
    public static byte[]? TryReplace(ReadOnlySpan<byte> json)
    {
        var output = new byte[json.Length];
        var written = 0;
        var replaced = false;
        for (var i = 0; i < json.Length;)
        {
            if (json[i] != (byte)'\\' || i + 1 >= json.Length)
            {
                output[written++] = json[i++];
                continue;
            }
            if (json[i + 1] != (byte)'u' || !TryHex(json, i + 2, out var unit))
            {
                // Any other escape (including an escaped backslash) is copied whole, so "\\ud800" stays literal text.
                output[written++] = json[i++];
                output[written++] = json[i++];
                continue;
            }
            var length = 6;
            var lone = false;
            if (char.IsHighSurrogate((char)unit))
            {
                if (i + 11 < json.Length && json[i + 6] == (byte)'\\' && json[i + 7] == (byte)'u' && TryHex(json, i + 8, out var low) && char.IsLowSurrogate((char)low))
                    length = 12;
                else
                    lone = true;
            }
            else if (char.IsLowSurrogate((char)unit))
            {
                lone = true;
            }
            if (lone)
            {
                "\\ufffd"u8.CopyTo(output.AsSpan(written));
                written += 6;
                replaced = true;
            }
            else
            {
                json.Slice(i, length).CopyTo(output.AsSpan(written));
                written += length;
            }
            i += length;
        }
        return replaced ? output[..written] : null;
    }

    private static bool TryHex(ReadOnlySpan<byte> json, int start, out int value)
    {
        value = 0;
        if (start + 4 > json.Length) return false;
        for (var k = start; k < start + 4; k++)
        {
            var digit = HexValue(json[k]);
            if (digit < 0) return false;
            value = (value << 4) | digit;
        }
        return true;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
