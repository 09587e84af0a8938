using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FunctionsProxy.Buffers;
using FunctionsProxy.Wire;

namespace FunctionsProxy.Streaming;

/// <summary>
/// Reads an OpenAI-style SSE body with <see cref="SseParser"/> (tolerates <c>data:</c> without a space, CR/LF/CRLF,
/// comments, multi-line data, UTF-8 split across reads) and deserializes each <c>data</c> straight from its bytes.
/// Ends at <c>[DONE]</c> or EOF.
/// </summary>
public static class UpstreamChunkReader
{
    private static readonly ChatCompletion Done = new();
    private static readonly ChatCompletion Empty = new();

    public static async IAsyncEnumerable<ChatCompletion> ReadAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var parser = SseParser.Create(body, static (type, data) => type == "error" ? ParseErrorEvent(data) : Parse(data));
        await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            var chunk = item.Data;
            if (ReferenceEquals(chunk, Done)) yield break;
            if (ReferenceEquals(chunk, Empty)) continue;
            yield return chunk;
        }
    }

    /// <summary>A few servers name the event instead of sending an <c>error</c> member: <c>event: error</c> with the
    /// error object (or plain text) as data. Never mistake it for an empty chunk and end "successfully".</summary>
    private static ChatCompletion ParseErrorEvent(ReadOnlySpan<byte> data)
    {
        try
        {
            var chunk = Parse(data);
            if (chunk.Error is not null) return chunk;
            using var doc = JsonDocument.Parse(data.ToArray());
            return new ChatCompletion { Error = doc.RootElement.Clone() };
        }
        catch (JsonException)
        {
            var text = new ArrayBufferWriter<byte>(data.Length + 16);
            using (var w = new Utf8JsonWriter(text)) w.WriteStringValue(data.IsEmpty ? "The backend reported an error mid-stream."u8 : data);
            using var doc = JsonDocument.Parse(text.WrittenMemory);
            return new ChatCompletion { Error = doc.RootElement.Clone() };
        }
    }

    /// <summary>A whole (non-stream) answer. Throws <see cref="JsonException"/> when it is not a completion object.</summary>
    public static async Task<ChatCompletion?> ReadCompletionAsync(Stream body, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter(16 * 1024);
        while (true)
        {
            var read = await body.ReadAsync(buffer.GetMemory(16 * 1024), cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            buffer.Advance(read);
        }
        return Deserialize(buffer.WrittenSpan);
    }

    private static ChatCompletion Parse(ReadOnlySpan<byte> data)
    {
        data = data.Trim((byte)' ');
        if (data.IsEmpty) return Empty;
        if (data.SequenceEqual("[DONE]"u8)) return Done;
        return Deserialize(data) ?? Empty;
    }

    private static ChatCompletion? Deserialize(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, WireJsonContext.Default.ChatCompletion);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException && LoneSurrogates.TryReplace(json) is { } repaired)
        {
            // A backend that escapes text as UTF-16 (Python's ensure_ascii) can send half of a surrogate pair; it cannot
            // become a .NET string. U+FFFD in its place, as a UTF-8 decoder would do, keeps the rest of the answer.
            return JsonSerializer.Deserialize(repaired, WireJsonContext.Default.ChatCompletion);
        }
    }
}
