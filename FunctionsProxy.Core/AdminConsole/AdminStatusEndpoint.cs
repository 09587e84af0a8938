using System.Reflection;
using System.Text.Json;
using FunctionsProxy.Catalog;
using FunctionsProxy.Pricing;
using FunctionsProxy.Team;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.AdminConsole;

/// <summary>
/// <c>GET /_admin/status</c> (admin key): app version, auth mode, whether the backend answered the last model
/// discovery, how many models it serves and how old that knowledge is, and each model's price and its source.
/// <c>?check=1</c> first runs a fresh discovery (at most one per 5 s), which is how "reachable" is re-tested.
/// Never names the backend URL or any key.
/// </summary>
public sealed class AdminStatusEndpoint(AdminEndpoints admin, IOptions<TeamOptions> team, ModelPrices prices, TimeProvider time,
    IServiceProvider services)
{
    private static readonly TimeSpan CheckWait = TimeSpan.FromSeconds(15);

    public static string Version { get; } = typeof(AdminStatusEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? typeof(AdminStatusEndpoint).Assembly.GetName().Version?.ToString() ?? "unknown";

    public Task StatusAsync(HttpContext context) => admin.Guarded(context, async ct =>
    {
        // Resolved lazily: the catalog is a host service (absent in the CLI's container).
        var catalog = (ModelCatalog?)services.GetService(typeof(ModelCatalog));
        if (catalog is not null && context.Request.Query["check"] == "1")
        {
            try { await catalog.RefreshAsync(null, force: true).WaitAsync(CheckWait, ct).ConfigureAwait(false); }
            catch (TimeoutException) { }
        }
        var now = time.GetUtcNow();
        var snapshot = catalog?.Current;
        var models = new List<AdminModelStatus>();
        if (snapshot is not null)
        {
            foreach (var m in snapshot.Models)
                models.Add(prices.Find(m.Id) is { } p ? new AdminModelStatus(m.Id, p.Price.Input, p.Price.Output, p.Price.CacheRead, p.Source) : new AdminModelStatus(m.Id, null, null, null, null));
        }

        var status = new AdminStatus(
            Version,
            team.Value.Mode == ProxyAuthMode.Keys ? "keys" : "forward",
            now,
            new AdminBackendStatus(catalog is null ? null : snapshot is not null && catalog.LastError is null, catalog?.LastError),
            new AdminCatalogStatus(snapshot?.Models.Count ?? 0, snapshot?.RefreshedAt,
                snapshot is null ? null : (long)Math.Max(0, (now - snapshot.RefreshedAt).TotalSeconds), snapshot?.Source, catalog?.StoreKind),
            models);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, status, AdminConsoleJson.Default.AdminStatus, ct).ConfigureAwait(false);
    });
}

public sealed record AdminStatus(string Version, string AuthMode, DateTimeOffset ServerTime, AdminBackendStatus Backend, AdminCatalogStatus Catalog, IReadOnlyList<AdminModelStatus> Models);

/// <param name="Reachable">True when the last discovery succeeded, false when it failed, null when never tried.</param>
public sealed record AdminBackendStatus(bool? Reachable, string? LastError);

public sealed record AdminCatalogStatus(int Models, DateTimeOffset? RefreshedAt, long? AgeSeconds, string? Source, string? Store);

/// <summary>A model and its price in USD per 1M tokens (null = unknown) and where the price came from.</summary>
public sealed record AdminModelStatus(string Id, decimal? Input, decimal? Output, decimal? CacheRead, string? PriceSource);
