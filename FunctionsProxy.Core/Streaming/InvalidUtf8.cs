using System.Text;
using System.Text.Unicode;

namespace FunctionsProxy.Streaming;

/// <summary>Replaces invalid UTF-8 sequences in backend bytes with U+FFFD, as a UTF-8 decoder does. Runs only after a
/// chunk or answer failed to deserialize, never on the normal path.</summary>
internal static class InvalidUtf8
{
    /// <returns>The repaired bytes, or null when the input is valid UTF-8 (the failure is something else).</returns>
    public static byte[]? TryReplace(ReadOnlySpan<byte> bytes)
        => Utf8.IsValid(bytes) ? null : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes));
}
