using System.Buffers.Text;
using System.Text;
using Azure;
using Azure.Data.Tables;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Storage;

namespace FunctionsProxy.Metering;

/// <summary>
/// Usage rows in Table Storage: PartitionKey = day (<c>yyyyMMdd</c>), RowKey = <c>name|base64url(model)</c> (model ids
/// contain <c>/</c>, which keys forbid). Every add is read-modify-write guarded by the row's ETag and retried on 412
/// (or 409 when two writers create the row at once), so concurrent instances never lose counts.
/// </summary>
internal sealed class TableUsageStore(TableStorage storage, string tableName) : IUsageStore
{
    private const int MaxAttempts = 100;

    public async Task AddAsync(string day, string keyName, string model, UsageTotals usage, CancellationToken cancellationToken)
    {
        var table = await storage.GetTableAsync(tableName, cancellationToken).ConfigureAwait(false);
        var pk = Partition(day);
        var rk = keyName + "|" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(model));
        for (var attempt = 1; ; attempt++)
        {
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(pk, rk, cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                if (!existing.HasValue)
                {
                    await table.AddEntityAsync(new TableEntity(pk, rk)
                    {
                        ["Day"] = day,
                        ["KeyName"] = keyName,
                        ["Model"] = model,
                        ["Requests"] = 1L,
                        ["InputTokens"] = usage.InputTokens,
                        ["OutputTokens"] = usage.OutputTokens,
                        ["CacheReadInputTokens"] = usage.CacheReadInputTokens,
                    }, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var e = existing.Value!;
                    e["Requests"] = (e.GetInt64("Requests") ?? 0) + 1;
                    e["InputTokens"] = (e.GetInt64("InputTokens") ?? 0) + usage.InputTokens;
                    e["OutputTokens"] = (e.GetInt64("OutputTokens") ?? 0) + usage.OutputTokens;
                    e["CacheReadInputTokens"] = (e.GetInt64("CacheReadInputTokens") ?? 0) + usage.CacheReadInputTokens;
                    await table.UpdateEntityAsync(e, e.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }
                return;
            }
            catch (RequestFailedException ex) when ((ex.Status == 412 || ex.Status == 409) && attempt < MaxAttempts)
            {
                // Another writer got there first: re-read and add on top of its total.
                await Task.Delay(Random.Shared.Next(1, 5 * Math.Min(attempt, 10)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<UsageRow>> QueryAsync(IReadOnlyCollection<string> days, string? keyName, CancellationToken cancellationToken)
    {
        var table = await storage.GetTableAsync(tableName, cancellationToken).ConfigureAwait(false);
        var rows = new List<UsageRow>();
        foreach (var day in days)
        {
            // One partition per day; the key filter is applied here (Azurite's query support is limited).
            await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition(day)}"), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var name = e.GetString("KeyName") ?? "";
                if (keyName is not null && name != keyName) continue;
                rows.Add(new UsageRow
                {
                    Day = day,
                    KeyName = name,
                    Model = e.GetString("Model") ?? "",
                    Requests = e.GetInt64("Requests") ?? 0,
                    InputTokens = e.GetInt64("InputTokens") ?? 0,
                    OutputTokens = e.GetInt64("OutputTokens") ?? 0,
                    CacheReadInputTokens = e.GetInt64("CacheReadInputTokens") ?? 0,
                });
            }
        }
        return rows;
    }

    private static string Partition(string day) => day.Replace("-", "", StringComparison.Ordinal);
}
