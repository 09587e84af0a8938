using Azure;
using Azure.Data.Tables;
using FunctionsProxy.Storage;

namespace FunctionsProxy.Team;

/// <summary>
/// Keys in Table Storage. Each key is two rows: <c>id/&lt;keyId&gt;</c> (the record, found by the id embedded in a
/// presented key) and <c>name/&lt;name&gt;</c> (uniqueness of names and lookup by name, pointing at the id). Both rows
/// live in different partitions, so writes are ordered: the name row is claimed first (insert fails if taken).
/// </summary>
internal sealed class TableProxyKeyStore(TableStorage storage, string tableName) : IProxyKeyStore
{
    private const string IdPartition = "id";
    private const string NamePartition = "name";

    private Task<TableClient> Table(CancellationToken ct) => storage.GetTableAsync(tableName, ct);

    public async Task<ProxyKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(IdPartition, keyId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? ToRecord(row.Value!) : null;
    }

    public async Task<ProxyKeyRecord?> FindByNameAsync(string name, CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        var pointer = await table.GetEntityIfExistsAsync<TableEntity>(NamePartition, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!pointer.HasValue || pointer.Value!.GetString("KeyId") is not { } id) return null;
        return await FindByIdAsync(id, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ProxyKeyRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        var list = new List<ProxyKeyRecord>();
        await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {IdPartition}"), cancellationToken: cancellationToken).ConfigureAwait(false))
            list.Add(ToRecord(e));
        return list;
    }

    public async Task<bool> AddAsync(ProxyKeyRecord record, CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(new TableEntity(NamePartition, record.Name) { ["KeyId"] = record.KeyId }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
        try
        {
            await table.AddEntityAsync(ToEntity(record), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Release the name so a retry can create it; the key itself was never stored.
            await table.DeleteEntityAsync(NamePartition, record.Name, ETag.All, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return true;
    }

    public async Task<bool> ReplaceAsync(ProxyKeyRecord current, ProxyKeyRecord replacement, CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        var pointer = await table.GetEntityIfExistsAsync<TableEntity>(NamePartition, current.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!pointer.HasValue || pointer.Value!.GetString("KeyId") != current.KeyId) return false;
        await table.AddEntityAsync(ToEntity(replacement), cancellationToken).ConfigureAwait(false);
        try
        {
            // The ETag makes concurrent rotations of one name fail instead of leaving two live keys.
            await table.UpdateEntityAsync(new TableEntity(NamePartition, current.Name) { ["KeyId"] = replacement.KeyId }, pointer.Value.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            await table.DeleteEntityAsync(IdPartition, replacement.KeyId, ETag.All, cancellationToken).ConfigureAwait(false);
            return false;
        }
        await table.DeleteEntityAsync(IdPartition, current.KeyId, ETag.All, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        var pointer = await table.GetEntityIfExistsAsync<TableEntity>(NamePartition, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!pointer.HasValue) return false;
        // The id row goes first: from then on the key is refused even if the second delete fails.
        if (pointer.Value!.GetString("KeyId") is { } id)
            await table.DeleteEntityAsync(IdPartition, id, ETag.All, cancellationToken).ConfigureAwait(false);
        await table.DeleteEntityAsync(NamePartition, name, ETag.All, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<bool> UpdateAsync(ProxyKeyRecord record, CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        var entity = ToEntity(record);
        entity.Remove("LastUsedAt"); // written by TouchAsync only; a merge keeps the stored value
        try
        {
            await table.UpdateEntityAsync(WithClearedLimits(entity), ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    private static readonly string[] LimitColumns = ["RequestsPerMinute", "TokensPerDay", "UsdPerDay", "UsdPerMonth"];

    // Table Storage has no null: a merge leaves absent columns untouched, so a removed limit is stored as -1 (read back as null).
    private static TableEntity WithClearedLimits(TableEntity e)
    {
        foreach (var c in LimitColumns)
            if (!e.TryGetValue(c, out var v) || v is null) e[c] = c.StartsWith("Usd", StringComparison.Ordinal) ? (object)-1d : -1L;
        return e;
    }

    public async Task TouchAsync(ProxyKeyRecord record, DateTimeOffset lastUsed, CancellationToken cancellationToken)
    {
        var table = await Table(cancellationToken).ConfigureAwait(false);
        try
        {
            // Merge with ETag.All: only LastUsedAt changes; a deleted (revoked) key must not come back, hence Update, not Upsert.
            await table.UpdateEntityAsync(new TableEntity(IdPartition, record.KeyId) { ["LastUsedAt"] = lastUsed }, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    private static TableEntity ToEntity(ProxyKeyRecord r) => new(IdPartition, r.KeyId)
    {
        ["Name"] = r.Name,
        ["Salt"] = r.Salt,
        ["Hash"] = r.Hash,
        ["CreatedAt"] = r.CreatedAt,
        ["LastUsedAt"] = r.LastUsedAt,
        ["RequestsPerMinute"] = r.RequestsPerMinute,
        ["TokensPerDay"] = r.TokensPerDay,
        ["UsdPerDay"] = r.UsdPerDay is { } d ? (double)d : null,
        ["UsdPerMonth"] = r.UsdPerMonth is { } m ? (double)m : null,
    };

    private static ProxyKeyRecord ToRecord(TableEntity e) => new()
    {
        Name = e.GetString("Name") ?? "",
        KeyId = e.RowKey,
        Salt = e.GetString("Salt") ?? "",
        Hash = e.GetString("Hash") ?? "",
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue,
        LastUsedAt = e.GetDateTimeOffset("LastUsedAt"),
        RequestsPerMinute = Positive(e.GetInt64("RequestsPerMinute")),
        TokensPerDay = Positive(e.GetInt64("TokensPerDay")),
        UsdPerDay = e.GetDouble("UsdPerDay") is { } d and >= 0 ? (decimal)d : null,
        UsdPerMonth = e.GetDouble("UsdPerMonth") is { } m and >= 0 ? (decimal)m : null,
    };

    private static long? Positive(long? n) => n is > 0 ? n : null;
}
