using System.Net;
using System.Text.Json;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Catalog;

/// <summary>
/// Asks the backend what it serves: <c>GET /v1/models</c>, then <c>GET /v1/models/{id}</c> where that answers
/// (vLLM, SGLang and Chutes differ in what they report; every field is optional and unknown stays null).
/// </summary>
public sealed class ModelDiscovery(UpstreamClient upstream, ILogger<ModelDiscovery> logger)
{
    // Chutes lists hundreds of models: detail calls are bounded in number and concurrency.
    private const int MaxDetailCalls = 200;
    private const int DetailConcurrency = 4;

    public async Task<IReadOnlyList<ModelCapabilities>> DiscoverAsync(string? bearer, CancellationToken cancellationToken)
    {
        using var response = await upstream.GetAsync("v1/models", bearer, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"model listing answered HTTP {(int)response.StatusCode}", null, response.StatusCode);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var bodyLifetime = body.ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        var list = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("data"u8, out var data) ? data
            : doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : default;
        if (list.ValueKind != JsonValueKind.Array) throw new JsonException("model listing has no data array");

        var models = new List<ModelCapabilities>();
        foreach (var item in list.EnumerateArray())
            if (Parse(item) is { } m) models.Add(m);

        using var gate = new SemaphoreSlim(DetailConcurrency);
        var detailed = await Task.WhenAll(models.Select((m, i) => i < MaxDetailCalls ? DetailAsync(m, bearer, gate, cancellationToken) : Task.FromResult(m))).ConfigureAwait(false);
        return detailed;
    }

    private async Task<ModelCapabilities> DetailAsync(ModelCapabilities model, string? bearer, SemaphoreSlim gate, CancellationToken ct)
    {
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var response = await upstream.GetAsync("v1/models/" + Uri.EscapeDataString(model.Id).Replace("%2F", "/", StringComparison.Ordinal), bearer, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound || !response.IsSuccessStatusCode) return model;
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var bodyLifetime = body.ConfigureAwait(false);
            using var doc = await JsonDocument.ParseAsync(body, cancellationToken: ct).ConfigureAwait(false);
            return Parse(doc.RootElement) is { } detail && detail.Id == model.Id ? Merge(model, detail) : model;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException)
        {
            CatalogLog.DetailUnavailable(logger, model.Id, e.GetType().Name);
            return model;
        }
        finally
        {
            gate.Release();
        }
    }

    private static ModelCapabilities Merge(ModelCapabilities a, ModelCapabilities b) => a with
    {
        SupportsTools = b.SupportsTools ?? a.SupportsTools,
        SupportsVision = b.SupportsVision ?? a.SupportsVision,
        SupportsReasoning = b.SupportsReasoning ?? a.SupportsReasoning,
        ContextLength = b.ContextLength ?? a.ContextLength,
        MaxOutputTokens = b.MaxOutputTokens ?? a.MaxOutputTokens,
        Created = a.Created ?? b.Created,
        OwnedBy = a.OwnedBy ?? b.OwnedBy,
        Price = b.Price ?? a.Price,
    };

    /// <summary>One model entry in any of the shapes seen (vLLM <c>max_model_len</c>, Chutes <c>context_length</c>,
    /// <c>supported_features</c>, <c>input_modalities</c>, a <c>capabilities</c> object).</summary>
    internal static ModelCapabilities? Parse(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("id"u8, out var idEl) || idEl.GetString() is not { Length: > 0 } id) return null;
        bool? tools = null, vision = null, reasoning = null;
        if (e.TryGetProperty("supported_features"u8, out var features) && features.ValueKind == JsonValueKind.Array)
        {
            tools = false;
            reasoning = false;
            foreach (var f in features.EnumerateArray())
            {
                var name = f.GetString();
                if (name is "tools" or "tool_calls" or "function_calling" or "tool_use") tools = true;
                else if (name is "reasoning" or "thinking") reasoning = true;
                else if (name is "vision" or "image_input") vision = true;
            }
        }
        if (e.TryGetProperty("input_modalities"u8, out var modalities) && modalities.ValueKind == JsonValueKind.Array)
        {
            vision = false;
            foreach (var m in modalities.EnumerateArray())
                if (m.GetString() is "image" or "images") vision = true;
        }
        if (e.TryGetProperty("capabilities"u8, out var caps) && caps.ValueKind == JsonValueKind.Object)
        {
            tools = Bool(caps, "tools"u8) ?? Bool(caps, "function_calling"u8) ?? tools;
            vision = Bool(caps, "vision"u8) ?? vision;
            reasoning = Bool(caps, "reasoning"u8) ?? reasoning;
        }
        return new ModelCapabilities
        {
            Id = id,
            SupportsTools = tools,
            SupportsVision = vision,
            SupportsReasoning = reasoning,
            ContextLength = Int(e, "max_model_len"u8) ?? Int(e, "context_length"u8) ?? Int(e, "context_window"u8),
            MaxOutputTokens = Int(e, "max_output_length"u8) ?? Int(e, "max_output_tokens"u8) ?? Int(e, "max_completion_tokens"u8),
            Created = e.TryGetProperty("created"u8, out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var secs) && secs > 0
                ? DateTimeOffset.FromUnixTimeSeconds(secs) : null,
            OwnedBy = e.TryGetProperty("owned_by"u8, out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null,
            Price = ListedPrice.Parse(e),
        };
    }

    private static bool? Bool(JsonElement e, ReadOnlySpan<byte> name)
        => e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    private static int? Int(JsonElement e, ReadOnlySpan<byte> name)
        => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) && n > 0 ? n : null;
}
