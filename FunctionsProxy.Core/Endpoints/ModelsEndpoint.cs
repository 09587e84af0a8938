using System.Globalization;
using System.Text.Json;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Errors;
using FunctionsProxy.Security;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary>
/// <c>GET /v1/models</c> and <c>/v1/models/{id}</c> in Anthropic's list shape: the <c>MODEL_MAP</c> aliases first
/// (Claude Code's gateway discovery lists only <c>claude*</c> ids), then what the backend serves.
/// </summary>
public sealed class ModelsEndpoint(BackendCredentials credentials, ModelCatalog catalog, IOptions<ProxyOptions> options)
{
    // Anthropic's list needs a timestamp; aliases and models without one get a fixed, stable value.
    private static readonly DateTimeOffset DefaultCreated = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly record struct Entry(string Id, string DisplayName, DateTimeOffset Created, FunctionsProxy.Catalog.ModelCapabilities? Capabilities);

    public async Task ListAsync(HttpContext context, ClientContext client)
    {
        var entries = await EntriesAsync(context, client).ConfigureAwait(false);
        var query = context.Request.Query;
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            throw new ProxyErrorException(ProxyError.InvalidRequest("limit: Input should be an integer between 1 and 1000"));
        }
        var start = 0;
        var end = entries.Count;
        if (query["after_id"].ToString() is { Length: > 0 } after)
        {
            var i = entries.FindIndex(e => e.Id == after);
            start = i < 0 ? entries.Count : i + 1;
        }
        if (query["before_id"].ToString() is { Length: > 0 } before)
        {
            var i = entries.FindIndex(e => e.Id == before);
            end = i < 0 ? 0 : i;
            start = Math.Max(start, end - limit);
        }
        var page = entries.GetRange(start, Math.Max(0, Math.Min(limit, end - start)));
        var hasMore = query["before_id"].Count > 0 ? start > 0 : start + page.Count < end;
        await JsonResponse.WriteAsync(context, (page, hasMore), static (w, s) =>
        {
            w.WriteStartObject();
            w.WriteStartArray("data"u8);
            foreach (var e in s.page) WriteModel(w, e);
            w.WriteEndArray();
            w.WriteBoolean("has_more"u8, s.hasMore);
            if (s.page.Count > 0) { w.WriteString("first_id"u8, s.page[0].Id); w.WriteString("last_id"u8, s.page[^1].Id); }
            else { w.WriteNull("first_id"u8); w.WriteNull("last_id"u8); }
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public async Task GetAsync(HttpContext context, ClientContext client, string id)
    {
        var entries = await EntriesAsync(context, client).ConfigureAwait(false);
        var index = entries.FindIndex(e => e.Id == id);
        if (index < 0) throw new ProxyErrorException(ProxyError.NotFound($"model: {id}"));
        await JsonResponse.WriteAsync(context, entries[index], static (w, e) => WriteModel(w, e)).ConfigureAwait(false);
    }

    private async Task<List<Entry>> EntriesAsync(HttpContext context, ClientContext client)
    {
        var (credential, _) = await credentials.SelectAsync(client, context.RequestAborted).ConfigureAwait(false);
        var snapshot = await catalog.GetAsync(credential, context.RequestAborted).ConfigureAwait(false);
        var entries = new List<Entry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var alias in options.Value.ModelMap.Keys.Order(StringComparer.Ordinal))
            if (seen.Add(alias)) entries.Add(new Entry(alias, alias, DefaultCreated, snapshot?.Find(options.Value.ModelMap[alias], options.Value.AutoFixModelCase)));
        if (snapshot is not null)
        {
            foreach (var m in snapshot.Models)
                if (seen.Add(m.Id)) entries.Add(new Entry(m.Id, m.Id, m.Created ?? DefaultCreated, m));
        }

        return entries;
    }

    /// <summary>One model object in the current API's shape (the SDKs validate every field): capabilities from
    /// discovery where known, everything an OpenAI backend cannot do reported as unsupported.</summary>
    private static void WriteModel(Utf8JsonWriter w, Entry e)
    {
        var caps = e.Capabilities;
        var thinking = caps?.SupportsReasoning == true;
        w.WriteStartObject();
        w.WriteString("type"u8, "model"u8);
        w.WriteString("id"u8, e.Id);
        w.WriteString("display_name"u8, e.DisplayName);
        w.WriteString("created_at"u8, e.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteString("lifecycle"u8, "active"u8);
        if (Line(e.Id) is { } line) w.WriteString("line"u8, line); else w.WriteNull("line"u8);
        if (caps?.ContextLength is int context) w.WriteNumber("max_input_tokens"u8, context); else w.WriteNull("max_input_tokens"u8);
        if (caps?.MaxOutputTokens is int output) w.WriteNumber("max_tokens"u8, output); else w.WriteNull("max_tokens"u8);
        w.WriteNull("deprecated_at"u8);
        w.WriteNull("retires_at"u8);
        w.WriteStartObject("capabilities"u8);
        Support(w, "batch"u8, false);
        Support(w, "citations"u8, false);
        Support(w, "code_execution"u8, false);
        w.WriteStartObject("context_management"u8);
        w.WriteBoolean("supported"u8, false);
        Support(w, "clear_thinking"u8, false);
        Support(w, "clear_tool_uses"u8, false);
        Support(w, "compact"u8, false);
        w.WriteEndObject();
        w.WriteStartObject("effort"u8);
        w.WriteBoolean("supported"u8, thinking);
        Support(w, "low"u8, thinking);
        Support(w, "medium"u8, thinking);
        Support(w, "high"u8, thinking);
        Support(w, "max"u8, thinking);
        Support(w, "xhigh"u8, false);
        w.WriteEndObject();
        Support(w, "image_input"u8, caps?.SupportsVision == true);
        Support(w, "pdf_input"u8, false);
        w.WriteStartObject("server_tools"u8);
        w.WriteBoolean("supported"u8, false);
        Support(w, "code_execution"u8, false);
        Support(w, "web_search"u8, false);
        w.WriteEndObject();
        Support(w, "structured_outputs"u8, true);
        w.WriteStartObject("thinking"u8);
        w.WriteBoolean("supported"u8, thinking);
        w.WriteStartObject("types"u8);
        Support(w, "adaptive"u8, thinking);
        Support(w, "between_tools"u8, false);
        Support(w, "disabled"u8, true);
        Support(w, "enabled"u8, thinking);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Support(Utf8JsonWriter w, ReadOnlySpan<byte> name, bool supported)
    {
        w.WriteStartObject(name);
        w.WriteBoolean("supported"u8, supported);
        w.WriteEndObject();
    }

    /// <summary>Claude model line for <c>claude-*</c> aliases; backend models belong to none.</summary>
    private static string? Line(string id)
    {
        if (!id.StartsWith("claude", StringComparison.OrdinalIgnoreCase)) return null;
        foreach (var line in (ReadOnlySpan<string>)["haiku", "sonnet", "opus"])
            if (id.Contains(line, StringComparison.OrdinalIgnoreCase)) return line;
        return null;
    }
}
