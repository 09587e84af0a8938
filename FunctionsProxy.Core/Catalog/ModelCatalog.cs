using FunctionsProxy.Configuration;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Catalog;

/// <summary>
/// The in-process view of what the backend serves. Requests read an immutable snapshot; when it is older than
/// <c>DISCOVERY_MIN_INTERVAL</c> one background refresh starts (single-flight) and requests keep using the old one.
/// A refresh first looks at the shared store (another instance or the Functions timer may have refreshed it) and
/// only then asks the backend; a failed discovery keeps the last good snapshot.
/// </summary>
public sealed class ModelCatalog(ModelDiscovery discovery, ISchemaCacheStore store, IBackendKeyProvider keys, IOptions<ProxyOptions> options,
    TimeProvider time, ILogger<ModelCatalog> logger)
{
    /// <summary>How long a request waits for the very first discovery before going on without a map.</summary>
    internal static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ForcedRefreshSpacing = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DiscoveryTimeout = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private volatile CatalogSnapshot? _snapshot;
    private Task<CatalogSnapshot?>? _refresh;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastForced = DateTimeOffset.MinValue;

    public CatalogSnapshot? Current => _snapshot;
    public string StoreKind => store.Kind;

    /// <summary>Why the last refresh failed (no secrets, no URL), or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>The snapshot for a request. Never waits once one exists; the first call waits up to 3 s.</summary>
    public async ValueTask<CatalogSnapshot?> GetAsync(string? credential, CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is not null)
        {
            if (IsStale(snapshot)) _ = RefreshAsync(credential, force: false);
            return snapshot;
        }
        try
        {
            return await RefreshAsync(credential, force: false).WaitAsync(FirstWait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return _snapshot;
        }
    }

    /// <summary>Starts (or joins) a refresh. Without <paramref name="force"/> it runs at most once per interval.</summary>
    public Task<CatalogSnapshot?> RefreshAsync(string? credential, bool force)
    {
        lock (_gate)
        {
            if (_refresh is { IsCompleted: false } running) return running;
            var now = time.GetUtcNow();
            if (force)
            {
                if (now - _lastForced < ForcedRefreshSpacing) return Task.FromResult(_snapshot);
                _lastForced = now;
            }
            else if (now - _lastAttempt < options.Value.DiscoveryMinInterval)
            {
                return Task.FromResult(_snapshot);
            }
            _lastAttempt = now;
            return _refresh = Task.Run(() => RunAsync(credential, force));
        }
    }

    private bool IsStale(CatalogSnapshot snapshot) => time.GetUtcNow() - snapshot.RefreshedAt >= options.Value.DiscoveryMinInterval;

    private async Task<CatalogSnapshot?> RunAsync(string? credential, bool force)
    {
        using var timeout = new CancellationTokenSource(DiscoveryTimeout);
        var ct = timeout.Token;
        // The store first: another instance or the timer may have refreshed it. A forced refresh still goes to the
        // backend, but a store read gives it something to fall back on when this instance has nothing yet.
        if (!force || _snapshot is null)
        {
            try
            {
                if (await store.LoadAsync(ct).ConfigureAwait(false) is { } stored && (_snapshot is null || stored.RefreshedAt > _snapshot.RefreshedAt))
                {
                    _snapshot = stored;
                    if (!force && !IsStale(stored)) return stored;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                CatalogLog.CacheReadFailed(logger, store.Kind, e.GetType().Name);
            }
        }

        try
        {
            var key = await keys.GetKeyAsync(ct).ConfigureAwait(false) ?? credential;
            var models = await discovery.DiscoverAsync(key, ct).ConfigureAwait(false);
            var snapshot = new CatalogSnapshot(models.OrderBy(m => m.Id, StringComparer.Ordinal).ToArray(), time.GetUtcNow(), "discovery");
            _snapshot = snapshot;
            LastError = null;
            CatalogLog.Discovered(logger, snapshot.Models.Count);
            try
            {
                await store.SaveAsync(snapshot, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                CatalogLog.CacheWriteFailed(logger, store.Kind, e.GetType().Name);
            }
            return snapshot;
        }
        catch (Exception e)
        {
            // Keep the last good map; say why without echoing the backend's URL or any key.
            LastError = e switch
            {
                HttpRequestException { StatusCode: { } status } => $"model listing answered HTTP {(int)status}",
                HttpRequestException => "backend unreachable",
                OperationCanceledException => "timed out",
                _ => "unreadable model listing",
            };
            CatalogLog.DiscoveryFailed(logger, LastError, _snapshot?.Models.Count ?? 0);
            return _snapshot;
        }
    }
}
