using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using FunctionsProxy.Errors;

namespace FunctionsProxy.Anthropic;

/// <summary>
/// Writes Anthropic SSE frames (<c>event: T\ndata: {json}\n\n</c>) into a buffer writer — the response's
/// <c>PipeWriter</c> in production — with one reused <see cref="Utf8JsonWriter"/>. Flushing is the caller's job, once
/// per upstream chunk, so a chunk that yields several events costs one network write.
/// </summary>
public sealed class SseEventSink : IAnthropicEventSink, IDisposable
{
    private readonly IBufferWriter<byte> _output;
    private readonly Utf8JsonWriter _json;

    public SseEventSink(IBufferWriter<byte> output)
    {
        _output = output;
        _json = new Utf8JsonWriter(output, AnthropicJson.WriterOptions);
    }

    /// <summary>Events written since the last call (for flush decisions and tests).</summary>
    public int PendingEvents { get; private set; }

    /// <summary>A terminal event (<c>message_stop</c> or <c>error</c>) was written: nothing may follow it.</summary>
    public bool Ended { get; private set; }

    public int TakePendingEvents()
    {
        var n = PendingEvents;
        PendingEvents = 0;
        return n;
    }

    public void MessageStart(string id, string model, UsageTotals usage)
    {
        var w = Begin("event: message_start\ndata: "u8);
        w.WriteString("type"u8, "message_start"u8);
        w.WriteStartObject("message"u8);
        w.WriteString("id"u8, id);
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, model);
        w.WriteStartArray("content"u8);
        w.WriteEndArray();
        w.WriteNull("stop_reason"u8);
        w.WriteNull("stop_sequence"u8);
        AnthropicJson.WriteUsage(w, usage);
        w.WriteEndObject();
        End();
    }

    public void BlockStart(int index, BlockKind kind, string? toolId, string? toolName)
    {
        var w = Begin("event: content_block_start\ndata: "u8);
        w.WriteString("type"u8, "content_block_start"u8);
        w.WriteNumber("index"u8, index);
        w.WriteStartObject("content_block"u8);
        w.WriteString("type"u8, AnthropicJson.KindName(kind));
        switch (kind)
        {
            case BlockKind.Text:
                w.WriteString("text"u8, ""u8);
                break;
            case BlockKind.Thinking:
                w.WriteString("thinking"u8, ""u8);
                w.WriteString("signature"u8, ""u8);
                break;
            case BlockKind.ToolUse:
                w.WriteString("id"u8, toolId);
                w.WriteString("name"u8, toolName);
                w.WriteStartObject("input"u8);
                w.WriteEndObject();
                break;
        }
        w.WriteEndObject();
        End();
    }

    public void TextDelta(int index, ReadOnlySpan<char> text) => Delta(index, "text_delta"u8, "text"u8, text);

    public void ThinkingDelta(int index, ReadOnlySpan<char> text) => Delta(index, "thinking_delta"u8, "thinking"u8, text);

    /// <summary>A <c>text_delta</c> from text already in UTF-8 (the stream's fast path: no decoding to UTF-16 and back).</summary>
    public void TextDelta(int index, ReadOnlySpan<byte> utf8) => Delta(index, "text_delta\",\"text"u8, "text_delta"u8, "text"u8, utf8);

    /// <summary>A <c>thinking_delta</c> from text already in UTF-8.</summary>
    public void ThinkingDelta(int index, ReadOnlySpan<byte> utf8) => Delta(index, "thinking_delta\",\"thinking"u8, "thinking_delta"u8, "thinking"u8, utf8);

    public void SignatureDelta(int index, string signature) => Delta(index, "signature_delta"u8, "signature"u8, signature);

    public void InputJsonDelta(int index, string partialJson) => Delta(index, "input_json_delta"u8, "partial_json"u8, partialJson);

    private void Delta(int index, ReadOnlySpan<byte> deltaType, ReadOnlySpan<byte> field, ReadOnlySpan<char> value)
    {
        var w = BeginDelta(index, deltaType);
        w.WriteString(field, value);
        EndDelta(w);
    }

    /// <summary>A <c>content_block_delta</c> frame up to its delta's value: the caller writes that one field.</summary>
    private Utf8JsonWriter BeginDelta(int index, ReadOnlySpan<byte> deltaType)
    {
        var w = Begin("event: content_block_delta\ndata: "u8);
        w.WriteString("type"u8, "content_block_delta"u8);
        w.WriteNumber("index"u8, index);
        w.WriteStartObject("delta"u8);
        w.WriteString("type"u8, deltaType);
        return w;
    }

    private void EndDelta(Utf8JsonWriter w)
    {
        w.WriteEndObject();
        End();
    }

    private static ReadOnlySpan<byte> DeltaHead => "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":"u8;
    private static ReadOnlySpan<byte> DeltaMiddle => ",\"delta\":{\"type\":\""u8;
    private static ReadOnlySpan<byte> DeltaTail => "\"}}\n\n"u8;

    /// <summary>
    /// The same frame as <see cref="Delta(int, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{char})"/>, byte for
    /// byte. Text the writer would leave unescaped (the common case: the encoder finds nothing to escape) is copied into
    /// a frame assembled from constant pieces, with one buffer request; anything else goes through the writer, which
    /// escapes UTF-8 exactly as it escapes the same text in UTF-16.
    /// </summary>
    /// <param name="typeAndField"><c>{deltaType}","{field}</c>: the constant between the two quoted names.</param>
    private void Delta(int index, ReadOnlySpan<byte> typeAndField, ReadOnlySpan<byte> deltaType, ReadOnlySpan<byte> field, ReadOnlySpan<byte> utf8)
    {
        if (Encoder.FindFirstCharacterToEncodeUtf8(utf8) >= 0)
        {
            var w = BeginDelta(index, deltaType);
            w.WriteString(field, utf8);
            EndDelta(w);
            return;
        }
        var length = DeltaHead.Length + 11 + DeltaMiddle.Length + typeAndField.Length + 3 + utf8.Length + DeltaTail.Length;
        var span = _output.GetSpan(length);
        var at = Put(span, 0, DeltaHead);
        Utf8Formatter.TryFormat(index, span[at..], out var digits);
        at += digits;
        at = Put(span, at, DeltaMiddle);
        at = Put(span, at, typeAndField);
        at = Put(span, at, "\":\""u8);
        at = Put(span, at, utf8);
        at = Put(span, at, DeltaTail);
        _output.Advance(at);
        PendingEvents++;
    }

    private static int Put(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        return at + bytes.Length;
    }

    private static readonly System.Text.Encodings.Web.JavaScriptEncoder Encoder = AnthropicJson.WriterOptions.Encoder!;

    public void BlockStop(int index)
    {
        var w = Begin("event: content_block_stop\ndata: "u8);
        w.WriteString("type"u8, "content_block_stop"u8);
        w.WriteNumber("index"u8, index);
        End();
    }

    public void MessageDelta(string stopReason, string? stopSequence, UsageTotals usage)
    {
        var w = Begin("event: message_delta\ndata: "u8);
        w.WriteString("type"u8, "message_delta"u8);
        w.WriteStartObject("delta"u8);
        w.WriteString("stop_reason"u8, stopReason);
        if (stopSequence is null) w.WriteNull("stop_sequence"u8); else w.WriteString("stop_sequence"u8, stopSequence);
        w.WriteEndObject();
        AnthropicJson.WriteUsage(w, usage);
        End();
    }

    public void MessageStop()
    {
        Raw("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"u8);
        Ended = true;
    }

    public void Ping() => Raw("event: ping\ndata: {\"type\":\"ping\"}\n\n"u8);

    public void Error(ProxyError error)
    {
        var w = Begin("event: error\ndata: "u8, startObject: false);
        AnthropicErrorWriter.WriteEnvelope(w, error, requestId: null);
        End();
        Ended = true;
    }

    private Utf8JsonWriter Begin(ReadOnlySpan<byte> prefix, bool startObject = true)
    {
        Copy(prefix);
        if (startObject) _json.WriteStartObject();
        return _json;
    }

    private void End()
    {
        if (_json.CurrentDepth > 0) _json.WriteEndObject();
        _json.Flush();
        _json.Reset();
        Copy("\n\n"u8);
        PendingEvents++;
    }

    private void Raw(ReadOnlySpan<byte> frame)
    {
        Copy(frame);
        PendingEvents++;
    }

    private void Copy(ReadOnlySpan<byte> bytes)
    {
        var span = _output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _output.Advance(bytes.Length);
    }

    public void Dispose() => _json.Dispose();
}
