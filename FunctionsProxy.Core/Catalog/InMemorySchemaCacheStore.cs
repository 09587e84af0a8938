namespace FunctionsProxy.Catalog;

/// <summary>The local default: the snapshot lives as long as the process.</summary>
public sealed class InMemorySchemaCacheStore : ISchemaCacheStore
{
    private volatile CatalogSnapshot? _snapshot;

    public string Kind => "memory";

    public Task<CatalogSnapshot?> LoadAsync(CancellationToken cancellationToken) => Task.FromResult(_snapshot);

    public Task SaveAsync(CatalogSnapshot snapshot, CancellationToken cancellationToken)
    {
        _snapshot = snapshot;
        return Task.CompletedTask;
    }
}
