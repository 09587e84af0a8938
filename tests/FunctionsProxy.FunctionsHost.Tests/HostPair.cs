using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Tools.FunctionsHost;
using Xunit;

namespace FunctionsProxy.FunctionsHost.Tests;

/// <summary>
/// One scripted upstream, the local host, and the published Functions app under the stand-in Functions host, both
/// with the same settings. One worker per test class: starting it costs about as much as a cold start.
/// </summary>
public sealed class HostPair : IAsyncLifetime
{
    public const string AdminKey = "standin-admin-key-0123456789";

    public ScriptedUpstream Upstream { get; private set; } = null!;
    public ProxyServer Local { get; private set; } = null!;
    public FunctionsHostServer Functions { get; private set; } = null!;
    public HttpClient FunctionsClient { get; private set; } = null!;
    public string SchemaTable { get; } = Azurite.UniqueTable("standinschemas");
    public System.Collections.Concurrent.ConcurrentQueue<string> WorkerOutput { get; } = new();

    public async Task InitializeAsync()
    {
        Azurite.Storage();
        Upstream = await ScriptedUpstream.StartAsync();
        Upstream.On("/v1/models", _ => Reply.Json("""{"data":[{"id":"org/Model-A","created":1752000000,"max_model_len":8192}]}"""));
        var settings = new Dictionary<string, string>
        {
            ["CHUTES_BASE_URL"] = Upstream.BaseUrl,
            ["CHUTES_API_KEY"] = "",
            ["MODEL_MAP"] = """{"claude-sonnet-4-5":"org/Model-A"}""",
            ["PROXY_MAX_RETRY_AFTER"] = "0.2",
            ["PROXY_PING_INTERVAL"] = "0.3",
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            ["SCHEMA_CACHE_TABLE"] = SchemaTable,
            ["PROXY_KEYS_TABLE"] = Azurite.UniqueTable("standinkeys"),
            ["PROXY_USAGE_TABLE"] = Azurite.UniqueTable("standinusage"),
            ["PROXY_ADMIN_KEY"] = AdminKey,
            ["MODEL_REFRESH_SCHEDULE"] = "0 */30 * * * *",
        };
        Local = await ProxyServer.StartAsync(Upstream, settings.ToDictionary(p => p.Key, p => (string?)p.Value));
        Functions = await FunctionsHostServer.StartAsync(new FunctionsHostOptions
        {
            AppDirectory = await PublishedApp.DirectoryAsync(),
            Settings = settings,
            WorkerOutput = WorkerOutput.Enqueue,
        });
        FunctionsClient = new HttpClient { BaseAddress = Functions.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        FunctionsClient?.Dispose();
        if (Functions is not null) await Functions.DisposeAsync();
        if (Local is not null) await Local.DisposeAsync();
        if (Upstream is not null) await Upstream.DisposeAsync();
    }
}
