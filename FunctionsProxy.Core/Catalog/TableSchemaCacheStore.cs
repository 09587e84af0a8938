using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using FunctionsProxy.Storage;

namespace FunctionsProxy.Catalog;

/// <summary>
/// The schema cache in Azure Table Storage: one row per model (PartitionKey <c>models</c>, RowKey = base64url of the
/// id, because ids contain <c>/</c> and Table keys forbid <c>/ \ # ?</c>), plus one metadata row. The Functions timer
/// writes it; every instance reads it.
/// </summary>
public sealed class TableSchemaCacheStore(TableStorage storage, string tableName) : ISchemaCacheStore
{
    private const string ModelsPartition = "models";
    private const string MetaPartition = "meta";
    private const string MetaRow = "catalog";
    // Azurite and Azure cap string properties at 32K UTF-16 chars; capabilities JSON is far smaller, but be safe.
    private const int MaxJsonChars = 30_000;

    public string Kind => "table";

    public static string RowKeyFor(string modelId)
        => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(modelId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async Task<CatalogSnapshot?> LoadAsync(CancellationToken cancellationToken)
    {
        var table = await storage.GetTableAsync(tableName, cancellationToken).ConfigureAwait(false);
        var meta = await table.GetEntityIfExistsAsync<TableEntity>(MetaPartition, MetaRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!meta.HasValue || meta.Value is null) return null;
        var models = new List<ModelCapabilities>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == ModelsPartition, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("Json") is { } json && JsonSerializer.Deserialize(json, CatalogJsonContext.Default.ModelCapabilities) is { } m) models.Add(m);
        }
        models.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        var refreshedAt = meta.Value.GetDateTimeOffset("RefreshedAt") ?? DateTimeOffset.MinValue;
        return new CatalogSnapshot(models, refreshedAt, Kind);
    }

    public async Task SaveAsync(CatalogSnapshot snapshot, CancellationToken cancellationToken)
    {
        var table = await storage.GetTableAsync(tableName, cancellationToken).ConfigureAwait(false);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var model in snapshot.Models)
        {
            var json = JsonSerializer.Serialize(model, CatalogJsonContext.Default.ModelCapabilities);
            if (json.Length > MaxJsonChars) continue;
            var key = RowKeyFor(model.Id);
            keep.Add(key);
            var entity = new TableEntity(ModelsPartition, key) { ["Id"] = model.Id, ["Json"] = json };
            // Replace-upserts are idempotent: concurrent refreshes on several instances converge.
            await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == ModelsPartition, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!keep.Contains(row.RowKey)) await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        var meta = new TableEntity(MetaPartition, MetaRow) { ["RefreshedAt"] = snapshot.RefreshedAt, ["Count"] = snapshot.Models.Count };
        await table.UpsertEntityAsync(meta, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }
}
