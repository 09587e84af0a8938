namespace FunctionsProxy.Catalog;

/// <summary>The one refresh operation of the model catalog: discovery from the backend into the schema-cache store.
/// The Functions timer and the local host's background service both call it.</summary>
public interface IModelCatalogRefresher
{
    Task<CatalogRefreshResult> RefreshAsync(CancellationToken cancellationToken);
}

public sealed record CatalogRefreshResult(bool Succeeded, int ModelCount, DateTimeOffset RefreshedAt, string? Error = null);
