namespace FunctionsProxy.Catalog;

/// <summary>Where discovered model schemas persist between refreshes and across instances.</summary>
public interface ISchemaCacheStore
{
    /// <summary>"memory" or "table" (shown by /_schemas).</summary>
    string Kind { get; }

    Task<CatalogSnapshot?> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(CatalogSnapshot snapshot, CancellationToken cancellationToken);
}
