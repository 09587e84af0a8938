namespace FunctionsProxy.Catalog;

/// <summary>The refresh the Functions timer and the local background service call: discovery into the store.</summary>
public sealed class ModelCatalogRefresher(ModelCatalog catalog, TimeProvider time) : IModelCatalogRefresher
{
    public async Task<CatalogRefreshResult> RefreshAsync(CancellationToken cancellationToken)
    {
        // A forced refresh joins one already running and is skipped right after another one (the local host's start-up
        // refresh, a timer firing twice): either way the snapshot is as fresh as a new discovery would make it, so the
        // outcome is that of the last discovery, not whether this call started it.
        var snapshot = await catalog.RefreshAsync(credential: null, force: true).WaitAsync(cancellationToken).ConfigureAwait(false);
        var refreshed = snapshot is not null && catalog.LastError is null;
        return new CatalogRefreshResult(refreshed, snapshot?.Models.Count ?? 0, snapshot?.RefreshedAt ?? time.GetUtcNow(), refreshed ? null : catalog.LastError ?? "no refresh");
    }
}
