using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Buffers;
using FunctionsProxy.Errors;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Endpoints;

/// <summary>Writes a small JSON answer built with <see cref="Utf8JsonWriter"/>, with Content-Length and request id.</summary>
internal static class JsonResponse
{
    public static async Task WriteAsync<TState>(HttpContext context, TState state, Action<Utf8JsonWriter, TState> write, int status = StatusCodes.Status200OK)
    {
        using var buffer = new PooledBufferWriter(1024);
        using (var writer = new Utf8JsonWriter(buffer, AnthropicJson.ValidatingWriterOptions)) write(writer, state);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers["request-id"] = AnthropicErrorWriter.RequestId(context);
        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
