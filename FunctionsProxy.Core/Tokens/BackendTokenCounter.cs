using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Buffers;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Translation;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Tokens;

/// <summary>
/// <c>COUNT_TOKENS_MODE=backend</c>: asks a vLLM-style <c>POST /tokenize</c> with the translated chat request, so
/// the count includes the model's own chat template and tokenizer. Any failure falls back to the local count.
/// </summary>
public sealed class BackendTokenCounter(UpstreamClient upstream, IOptions<ProxyOptions> options, ILogger<BackendTokenCounter> logger)
{
    public async Task<int?> CountAsync(MessagesRequest request, ResolvedModel model, string? bearer, CancellationToken cancellationToken)
    {
        try
        {
            using var body = new PooledBufferWriter(8 * 1024);
            using (var writer = new Utf8JsonWriter(body, AnthropicJson.WriterOptions))
                new ChatRequestWriter(request, model, options.Value.DropBillingHeader, new ToolNameMapper(options.Value.ToolNameMap)).Write(writer, stream: false);
            using var response = await upstream.PostJsonAsync("tokenize", body.WrittenMemory, bearer, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"tokenize answered HTTP {(int)response.StatusCode}");
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var streamLifetime = stream.ConfigureAwait(false);
            using var doc = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            return doc.RootElement.TryGetProperty("count"u8, out var count) && count.TryGetInt32(out var n) && n > 0 ? n : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException or Errors.ProxyErrorException)
        {
            TokensLog.BackendUnavailable(logger, e.GetType().Name);
            return null;
        }
    }
}
