using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Buffers;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Upstream;

namespace FunctionsProxy.Translation;

/// <summary>One request's translation and send, repeatable for the corrected-model and fallback-key retries.</summary>
internal sealed class UpstreamCall(UpstreamClient upstream, MessagesRequest request, IToolNameMapper toolNames, ProxyOptions options, int requestBytes)
{
    public PooledBufferWriter Translate(ResolvedModel model)
    {
        var buffer = new PooledBufferWriter(Math.Max(4096, requestBytes));
        try
        {
            using var writer = new Utf8JsonWriter(buffer, AnthropicJson.WriterOptions);
            new ChatRequestWriter(request, model, options.DropBillingHeader, toolNames).Write(writer, request.Stream);
            writer.Flush();
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public Task<HttpResponseMessage> SendAsync(PooledBufferWriter payload, string? bearer, CancellationToken cancellationToken)
        => upstream.SendChatAsync(payload.WrittenMemory, bearer, request.Stream, cancellationToken);
}
