using System.Text.Json;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Security;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary><c>GET /_schemas</c>: what discovery learned, when, from which store, and the effective maps. Never a
/// key, never the backend's address.</summary>
public sealed class SchemasEndpoint(BackendCredentials credentials, ModelCatalog catalog, IOptions<ProxyOptions> options)
{
    public async Task HandleAsync(HttpContext context, ClientContext client)
    {
        var (credential, _) = await credentials.SelectAsync(client, context.RequestAborted).ConfigureAwait(false);
        var snapshot = await catalog.GetAsync(credential, context.RequestAborted).ConfigureAwait(false);
        await JsonResponse.WriteAsync(context, (snapshot, catalog, options.Value), static (w, s) =>
        {
            var (snapshot, catalog, o) = s;
            w.WriteStartObject();
            if (snapshot is null) w.WriteNull("refreshed_at"u8); else w.WriteString("refreshed_at"u8, snapshot.RefreshedAt);
            w.WriteString("source"u8, snapshot?.Source ?? "none");
            w.WriteString("store"u8, catalog.StoreKind);
            if (catalog.LastError is { } e) w.WriteString("last_error"u8, e); else w.WriteNull("last_error"u8);
            w.WriteNumber("discovery_min_interval_seconds"u8, o.DiscoveryMinInterval.TotalSeconds);
            w.WriteBoolean("auto_fix_model_case"u8, o.AutoFixModelCase);
            w.WriteStartArray("models"u8);
            if (snapshot is not null)
                foreach (var m in snapshot.Models) JsonSerializer.Serialize(w, m, CatalogJsonContext.Default.ModelCapabilities);
            w.WriteEndArray();
            WriteMap(w, "model_map"u8, o.ModelMap);
            WriteMap(w, "tool_name_map"u8, o.ToolNameMap);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static void WriteMap(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
        w.WriteEndObject();
    }
}
