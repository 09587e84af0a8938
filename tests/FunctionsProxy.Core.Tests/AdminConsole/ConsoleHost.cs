using FunctionsProxy.Tests.Infrastructure;

namespace FunctionsProxy.Tests.AdminConsole;

/// <summary>A keys-mode local host on Azurite with an admin key, priced models and a scripted backend listing.</summary>
internal static class ConsoleHost
{
    public const string AdminKey = "admin-SECRET-console-7777";
    public const string BackendKey = "sk-backend-SECRET-5151";

    /// <summary>org/listed is priced by the backend's listing (discovery), org/configured by MODEL_PRICES, org/free by nobody.</summary>
    public const string Listing = """
        {"object":"list","data":[
          {"id":"org/listed","object":"model","pricing":{"prompt":2,"completion":8,"input_cache_read":0.5}},
          {"id":"org/configured","object":"model"},
          {"id":"org/free","object":"model"}]}
        """;

    public static Dictionary<string, string?> Settings(string? adminKey = AdminKey)
    {
        Azurite.Storage();
        return new()
        {
            ["PROXY_AUTH"] = "keys",
            ["CHUTES_API_KEY"] = BackendKey,
            ["PROXY_ADMIN_KEY"] = adminKey,
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            ["PROXY_KEYS_TABLE"] = Azurite.UniqueTable("keys"),
            ["PROXY_USAGE_TABLE"] = Azurite.UniqueTable("usage"),
            ["SCHEMA_CACHE_TABLE"] = Azurite.UniqueTable("schemas"),
            ["MODEL_PRICES"] = """{"org/configured":{"input":1,"output":4},"org/listed":{"input":100,"output":100}}""",
        };
    }

    public static async Task<(ScriptedUpstream Upstream, ProxyServer Proxy)> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/models", _ => Reply.Json(Listing));
        var proxy = await ProxyServer.StartAsync(upstream, settings ?? Settings());
        // The host discovers at start-up; wait until the listing (and its prices) is known.
        var catalog = (FunctionsProxy.Catalog.ModelCatalog)proxy.Services.GetService(typeof(FunctionsProxy.Catalog.ModelCatalog))!;
        for (var i = 0; i < 200 && catalog.Current is null; i++) await Task.Delay(50);
        if (catalog.Current is null) await catalog.RefreshAsync(null, force: true);
        return (upstream, proxy);
    }

    public static string Message(string model) => $$"""{"model":"{{model}}","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";
}
