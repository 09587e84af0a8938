using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Sas;
using FunctionsProxy.Storage;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Storage;

/// <summary>Table creation on first use (Azurite): neither a cancelled nor a refused first call breaks the table.</summary>
public sealed class TableStorageTests
{
    private static async Task AssertUsable(TableClient table)
    {
        var entity = new TableEntity("p", Guid.NewGuid().ToString("N")) { ["v"] = 1 };
        await table.AddEntityAsync(entity);
        Assert.Equal(1, (await table.GetEntityAsync<TableEntity>("p", entity.RowKey)).Value.GetInt32("v"));
    }

    [Fact]
    public async Task A_cancelled_first_call_does_not_break_the_table()
    {
        var storage = Azurite.Storage();
        var name = Azurite.UniqueTable("cancel");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        try
        {
            // The caller gives up; the shared creation may or may not have finished by then (loopback is fast).
            await storage.GetTableAsync(name, cancelled.Token);
        }
        catch (OperationCanceledException)
        {
        }
        // What matters: the cancellation was not remembered as the table's fate.
        await AssertUsable(await storage.GetTableAsync(name));
    }

    [Fact]
    public async Task A_refused_first_call_is_not_remembered()
    {
        Azurite.Storage();
        var admin = new TableServiceClient(Azurite.ConnectionString);
        var readOnly = admin.GenerateSasUri(TableAccountSasPermissions.Read | TableAccountSasPermissions.List, TableAccountSasResourceTypes.All, DateTimeOffset.UtcNow.AddHours(1));
        var credential = new AzureSasCredential(readOnly.Query);
        var endpoint = new UriBuilder(readOnly) { Query = "" }.Uri;
        var storage = new TableStorage(new TableServiceClient(endpoint, credential));
        var name = Azurite.UniqueTable("refused");

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => storage.GetTableAsync(name));
        Assert.Equal(403, refused.Status);

        // The SAS is replaced by one with create rights (as an admin would fix it); the same instance recovers.
        credential.Update(admin.GenerateSasUri(TableAccountSasPermissions.All, TableAccountSasResourceTypes.All, DateTimeOffset.UtcNow.AddHours(1)).Query);
        await AssertUsable(await storage.GetTableAsync(name));
    }

    [Fact]
    public async Task Concurrent_first_callers_share_one_creation_and_later_calls_reuse_it()
    {
        var storage = Azurite.Storage();
        var name = Azurite.UniqueTable("shared");
        var tables = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => storage.GetTableAsync(name)));
        Assert.All(tables, t => Assert.Same(tables[0], t));
        Assert.Same(tables[0], await storage.GetTableAsync(name));
        await AssertUsable(tables[0]);
    }
}
