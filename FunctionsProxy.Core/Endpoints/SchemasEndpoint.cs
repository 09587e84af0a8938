using System.Text.Json;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Errors;
using FunctionsProxy.Fallback;
using FunctionsProxy.Security;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary><c>GET /_schemas</c>: what discovery learned, when, from which store, and the effective maps. Never a
/// key, never the backend's address.</summary>
public sealed class SchemasEndpoint(IClientAuthenticator authenticator, BackendCredentials credentials, ModelCatalog catalog, IOptions<ProxyOptions> options,
    ModelCircuitBreaker breaker)
{
    public async Task HandleAsync(HttpContext context)
    {
        var auth = await authenticator.AuthenticateAsync(context, context.RequestAborted);
        if (auth.Error is { } error)
        {
            await AnthropicErrorWriter.WriteAsync(context, error, context.RequestAborted);
            return;
        }
        var (credential, _) = await credentials.SelectAsync(auth.Client!, context.RequestAborted);
        var snapshot = await catalog.GetAsync(credential, context.RequestAborted);
        await breaker.SyncAsync(context.RequestAborted);
        await JsonResponse.WriteAsync(context, (snapshot, catalog, options.Value, breaker), static (w, s) =>
        {
            var (snapshot, catalog, o, breaker) = s;
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
            FallbackSchema.Write(w, o, breaker);
            w.WriteEndObject();
        });
    }

    private static void WriteMap(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
        w.WriteEndObject();
    }
}
