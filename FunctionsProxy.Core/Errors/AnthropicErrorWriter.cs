using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsProxy.Errors;

/// <summary>Writes <c>{"type":"error","error":{"type","message"},"request_id"}</c> with its status and headers. The
/// message passes the registered <see cref="IErrorMessageScrubber"/> (the secret scrubber) here, whatever produced it.</summary>
public static class AnthropicErrorWriter
{
    public static async Task WriteAsync(HttpContext context, ProxyError error, CancellationToken cancellationToken = default)
    {
        var response = context.Response;
        if (response.HasStarted) return; // the status is fixed; streaming code reports through an SSE error event instead
        if (context.RequestServices?.GetService<IErrorMessageScrubber>() is { } scrubber) error = scrubber.Scrub(error, context);
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfter is { } retryAfter) response.Headers["retry-after"] = retryAfter;
        var requestId = RequestId(context);
        response.Headers["request-id"] = requestId;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteEnvelope(writer, error, requestId);
        }
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The error body; also used as the data of an SSE <c>error</c> event (without request id).</summary>
    public static void WriteEnvelope(Utf8JsonWriter writer, ProxyError error, string? requestId)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "error"u8);
        writer.WriteStartObject("error"u8);
        writer.WriteString("type"u8, error.Type);
        writer.WriteString("message"u8, error.Message);
        writer.WriteEndObject();
        if (requestId is not null) writer.WriteString("request_id"u8, requestId);
        writer.WriteEndObject();
    }

    /// <summary>A per-request id (<c>req_…</c>), created once and kept on the context.</summary>
    public static string RequestId(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(AnthropicErrorWriter), out var existing) && existing is string id) return id;
        id = "req_" + RandomId(24);
        context.Items[typeof(AnthropicErrorWriter)] = id;
        return id;
    }

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Random base62 text for ids (<c>msg_</c>, <c>req_</c>, <c>toolu_</c>).</summary>
    public static string RandomId(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
