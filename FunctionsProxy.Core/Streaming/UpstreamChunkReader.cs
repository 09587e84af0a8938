using System.Buffers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FunctionsProxy.Buffers;
using FunctionsProxy.OpenAi;

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

    public static IAsyncEnumerable<ChatCompletion> ReadAsync(Stream body, CancellationToken cancellationToken) => ReadAsync(body, null, cancellationToken);

    /// <param name="end">Records whether the body ended with <c>[DONE]</c>; a stream that ends with neither that nor a
    /// <c>finish_reason</c> was cut off.</param>
    public static IAsyncEnumerable<ChatCompletion> ReadAsync(Stream body, UpstreamStreamEnd? end, CancellationToken cancellationToken)
        => ReadAsync(body, end, reuseTextChunks: false, cancellationToken);

    /// <param name="reuseTextChunks">Text-only deltas (<see cref="TextDeltaChunk"/>, most of a stream) are recognised
    /// from their bytes and yielded as one reused object carrying only <see cref="ChatCompletion.Text"/>, valid until
    /// the next item is read: for a consumer that handles each chunk before asking for the next (the relay).</param>
    public static async IAsyncEnumerable<ChatCompletion> ReadAsync(Stream body, UpstreamStreamEnd? end, bool reuseTextChunks,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var text = reuseTextChunks ? new TextDelta() : null;
        var textChunk = new ChatCompletion { Text = text };
        var parser = reuseTextChunks
            ? SseParser.Create(body, (type, data) => type == "error" ? ParseErrorEvent(data) : TextDeltaChunk.TryRead(data, text!) ? textChunk : Parse(data))
            : SseParser.Create(body, static (type, data) => type == "error" ? ParseErrorEvent(data) : Parse(data));
        await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            var chunk = item.Data;
            if (ReferenceEquals(chunk, Done))
            {
                end?.MarkDone();
                yield break;
            }
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
            // Invalid UTF-8 in plain-text data is written as U+FFFD by the writer's encoder.
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
        catch (Exception e) when (e is JsonException or InvalidOperationException && Repair(json) is { } repaired)
        {
            return JsonSerializer.Deserialize(repaired, WireJsonContext.Default.ChatCompletion);
        }
    }

    /// <summary>Text a backend can send that cannot become a .NET string, each replaced by U+FFFD as a UTF-8 decoder
    /// would do, so the rest of the answer is kept: invalid UTF-8 bytes (a token cut inside a multi-byte character),
    /// and half of a UTF-16 surrogate pair escaped as <c>\uD83D</c> (Python's ensure_ascii).</summary>
    private static byte[]? Repair(ReadOnlySpan<byte> json)
    {
        var utf8 = InvalidUtf8.TryReplace(json);
        return LoneSurrogates.TryReplace(utf8 ?? json) ?? utf8;
    }
}

/// <summary>How an upstream SSE body ended.</summary>
public sealed class UpstreamStreamEnd
{
    /// <summary>The body carried <c>data: [DONE]</c>.</summary>
    public bool SawDone { get; private set; }

    internal void MarkDone() => SawDone = true;
}
