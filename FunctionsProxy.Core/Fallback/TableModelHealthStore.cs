using Azure.Data.Tables;
using FunctionsProxy.Catalog;
using FunctionsProxy.Storage;

namespace FunctionsProxy.Fallback;

/// <summary>Breaker state in the schema cache's table (partition <c>health</c>, one row per model, RowKey the
/// base64url id as for the schema rows): it is read with the catalog's storage, and needs no table of its own.</summary>
public sealed class TableModelHealthStore(TableStorage storage, string tableName) : IModelHealthStore
{
    private const string Partition = "health";

    public async Task<IReadOnlyList<ModelHealth>> LoadAsync(CancellationToken cancellationToken)
    {
        var table = await storage.GetTableAsync(tableName, cancellationToken).ConfigureAwait(false);
        var rows = new List<ModelHealth>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("Id") is { Length: > 0 } id && row.GetDateTimeOffset("OpenUntil") is { } openUntil && row.GetDateTimeOffset("ChangedAt") is { } changedAt)
                rows.Add(new ModelHealth(id, openUntil, changedAt));
        }
        return rows;
    }

    public async Task SaveAsync(ModelHealth health, CancellationToken cancellationToken)
    {
        var table = await storage.GetTableAsync(tableName, cancellationToken).ConfigureAwait(false);
        // Table Storage cannot hold DateTimeOffset.MinValue (its range starts in 1601): "healthy" is stored as the
        // decision time itself, which is equally in the past when read.
        var openUntil = health.OpenUntil < health.ChangedAt ? health.ChangedAt : health.OpenUntil;
        var entity = new TableEntity(Partition, TableSchemaCacheStore.RowKeyFor(health.ModelId))
        {
            ["Id"] = health.ModelId,
            ["OpenUntil"] = openUntil,
            ["ChangedAt"] = health.ChangedAt,
        };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }
}
