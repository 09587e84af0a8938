using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Local;

/// <summary>
/// The local host's counterpart of the Functions timer: refreshes the model catalog at start and then every
/// <c>DISCOVERY_MIN_INTERVAL</c>. Only with a backend key of the proxy's own; in forward mode discovery happens
/// lazily on the request path with the caller's key.
/// </summary>
internal sealed class CatalogRefreshService(IModelCatalogRefresher refresher, IBackendKeyProvider keys, IOptions<ProxyOptions> options, ILogger<CatalogRefreshService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (await keys.GetKeyAsync(stoppingToken).ConfigureAwait(false) is null) return;
        using var timer = new PeriodicTimer(options.Value.DiscoveryMinInterval);
        do
        {
            var result = await refresher.RefreshAsync(stoppingToken).ConfigureAwait(false);
            LocalLog.CatalogRefreshed(logger, result.Succeeded, result.ModelCount, result.Error);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
