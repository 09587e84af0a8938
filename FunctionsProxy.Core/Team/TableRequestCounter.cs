using Azure;
using Azure.Data.Tables;
using FunctionsProxy.Storage;

namespace FunctionsProxy.Team;

/// <summary>Per-minute counter rows (<c>rpm-yyyyMMddHHmm</c> / name) in the usage table, incremented with ETags.</summary>
internal sealed class TableRequestCounter(TableStorage storage, string tableName) : IRequestCounter
{
    public async Task<long> IncrementAsync(string keyName, string minute, CancellationToken cancellationToken)
    {
        var table = await storage.GetTableAsync(tableName, cancellationToken).ConfigureAwait(false);
        var pk = Prefix + minute;
        for (var attempt = 1; ; attempt++)
        {
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(pk, keyName, cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                if (!existing.HasValue)
                {
                    await table.AddEntityAsync(new TableEntity(pk, keyName) { ["Count"] = 1L }, cancellationToken).ConfigureAwait(false);
                    await DeleteEarlierMinutesAsync(table, keyName, pk).ConfigureAwait(false);
                    return 1;
                }
                var e = existing.Value!;
                var count = (e.GetInt64("Count") ?? 0) + 1;
                e["Count"] = count;
                await table.UpdateEntityAsync(e, e.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return count;
            }
            catch (RequestFailedException ex) when ((ex.Status == 412 || ex.Status == 409) && attempt < 100)
            {
                await Task.Delay(Random.Shared.Next(1, 5 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs once per key and minute (whoever creates the minute's row): the key's rows of earlier minutes are removed,
    /// so the table holds about one counter row per active key instead of one per key and minute forever. Best effort:
    /// a failure leaves a row for the next minute's cleanup and never fails the request.
    /// </summary>
    private static async Task DeleteEarlierMinutesAsync(TableClient table, string keyName, string currentPartition)
    {
        try
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey ge {Prefix} and PartitionKey lt {currentPartition} and RowKey eq {keyName}");
            await foreach (var old in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"]).ConfigureAwait(false))
                await table.DeleteEntityAsync(old.PartitionKey, old.RowKey, ETag.All).ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
        }
    }

    private const string Prefix = "rpm-";
}
