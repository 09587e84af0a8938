using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Azure.Identity;
using FunctionsProxy.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Storage;

/// <summary>
/// The Table Storage account shared by the schema cache and the team stores: a connection string (Azurite,
/// development) or an endpoint reached with <see cref="DefaultAzureCredential"/> (managed identity in Azure; Azurite
/// has no OAuth for tables, hence the two forms). Tables are created on first use.
/// </summary>
public sealed class TableStorage
{
    private readonly TableServiceClient _service;
    private readonly ConcurrentDictionary<string, Task<TableClient>> _tables = new(StringComparer.Ordinal);

    public TableStorage(TableServiceClient service) => _service = service;

    /// <summary>Null when no storage is configured (the local host then keeps everything in memory or in files).</summary>
    public static TableStorage? FromConfiguration(IConfiguration configuration)
    {
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            // The NativeAOT build of the local host: the Table Storage client binds its models by reflection and makes
            // generic types at run time, which fails there on the first read or write. Refuse at start instead.
            foreach (var setting in new[] { SettingNames.StorageConnectionString, SettingNames.StorageTableEndpoint })
            {
                if (configuration[setting] is { Length: > 0 })
                    throw Invalid(setting, "cannot be used by the native (NativeAOT) build of the local host: Table Storage needs the JIT build (dotnet run -c Release --project FunctionsProxy.Local).");
            }
        }
        if (configuration[SettingNames.StorageConnectionString] is { Length: > 0 } connectionString)
        {
            try
            {
                return new TableStorage(new TableServiceClient(connectionString));
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                // The parser's message may quote the connection string, account key included: name the setting only.
                throw Invalid(SettingNames.StorageConnectionString, "is not a storage connection string (e.g. UseDevelopmentStorage=true).");
            }
        }
        if (configuration[SettingNames.StorageTableEndpoint] is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                throw Invalid(SettingNames.StorageTableEndpoint, "must be the account's table endpoint, e.g. https://ACCOUNT.table.core.windows.net.");
            return new TableStorage(new TableServiceClient(uri, new DefaultAzureCredential()));
        }
        return null;
    }

    private static OptionsValidationException Invalid(string setting, string problem)
        => new(setting, typeof(TableStorage), [$"{setting} {problem}"]);

    /// <summary>A client for <paramref name="tableName"/>, created if missing (once per process when it succeeds).</summary>
    /// <remarks>One creation is shared by concurrent first callers, but it runs under no caller's token and each caller
    /// waits under its own; a failed creation (403 from a key without create rights, an outage) is forgotten, so a
    /// cancelled or refused first call does not break the table for the life of the process.</remarks>
    public Task<TableClient> GetTableAsync(string tableName, CancellationToken cancellationToken = default)
    {
        var creation = _tables.GetOrAdd(tableName, CreateAsync);
        return creation.IsCompletedSuccessfully ? creation : WaitAsync(tableName, creation, cancellationToken);
    }

    private async Task<TableClient> CreateAsync(string tableName)
    {
        var client = _service.GetTableClient(tableName);
        await client.CreateIfNotExistsAsync(CancellationToken.None).ConfigureAwait(false);
        return client;
    }

    private async Task<TableClient> WaitAsync(string tableName, Task<TableClient> creation, CancellationToken cancellationToken)
    {
        try
        {
            return await creation.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (creation.IsFaulted || creation.IsCanceled)
        {
            _tables.TryRemove(KeyValuePair.Create(tableName, creation));
            throw;
        }
    }
}
