using FunctionsProxy.Catalog;
using FunctionsProxy.Hosting;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace FunctionsProxy.Functions.Tests;

/// <summary>The timer writes the schema cache to Table Storage (Azurite); a second instance answers from it.</summary>
public sealed class RefreshModelCacheFunctionTests
{
    [Fact]
    public async Task The_timer_refresh_writes_azurite_and_a_second_instance_reads_it()
    {
        Azurite.Storage();
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/models", _ => Reply.Json("""{"data":[{"id":"org/Model-A","created":1752000000,"max_model_len":8192},{"id":"org/Model-B","created":1753000000}]}"""));
        var settings = new Dictionary<string, string?>
        {
            ["CHUTES_BASE_URL"] = upstream.BaseUrl,
            ["CHUTES_API_KEY"] = "server-key",
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            ["SCHEMA_CACHE_TABLE"] = Azurite.UniqueTable("schemas"),
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        await using (var timerInstance = new ServiceCollection().AddLogging().AddFunctionsProxyCore(configuration).BuildServiceProvider())
        {
            var function = new RefreshModelCacheFunction(timerInstance.GetRequiredService<IModelCatalogRefresher>(), timerInstance.GetRequiredService<ILogger<RefreshModelCacheFunction>>());
            await function.Run(new TimerInfo { ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddMinutes(-30), Next = DateTime.UtcNow.AddMinutes(30) } }, CancellationToken.None);
        }
        Assert.Single(upstream.Requests, r => r.Path == "/v1/models");

        // A fresh instance with the backend gone: it answers from the table alone.
        upstream.On("/v1/models", _ => Reply.Json(503, """{"detail":"down"}"""));
        await using var httpInstance = new ServiceCollection().AddLogging().AddFunctionsProxyCore(configuration).BuildServiceProvider();
        var snapshot = await httpInstance.GetRequiredService<ModelCatalog>().GetAsync(null, CancellationToken.None);
        Assert.Equal("table", snapshot!.Source);
        Assert.Equal(["org/Model-A", "org/Model-B"], snapshot.Models.Select(m => m.Id).ToArray());
        Assert.Equal(8192, snapshot.Find("ORG/MODEL-A", fixCase: true)!.ContextLength);
        Assert.Single(upstream.Requests, r => r.Path == "/v1/models"); // fresh enough: no discovery of its own
    }
}
