using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Fallback;

/// <summary>MODEL_ROUTES by size and thinking, usage metered per model that answered, and the breaker's state shared
/// by two hosts through Table Storage (Azurite).</summary>
public sealed class RoutesAndSharingTests
{
    private const string Routes = """{"long_context":{"min_input_tokens":2000,"model":["org/long","org/long-b"]},"thinking":{"model":"org/think"}}""";

    private static string Request(string model, string text, string extra = "")
        => new JsonObject
        {
            ["model"] = model,
            ["max_tokens"] = 100,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
        }.ToJsonString()[..^1] + extra + "}";

    private static string[] ModelsAsked(ScriptedUpstream upstream) => upstream.ChatRequests.Select(r => r.Json!["model"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task Long_requests_and_thinking_requests_take_their_routes_before_the_map_and_others_keep_the_map()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", r => r.Json!["model"]!.GetValue<string>() == "org/long"
            ? Reply.Json(503, """{"detail":"No instances available"}""")
            : Reply.Json(Chunks.Completion("ok")));
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?>
        {
            [SettingNames.ModelMap] = """{"sonnet":["org/main","org/backup"]}""",
            [SettingNames.ModelRoutes] = Routes,
        });
        // About 3000 tokens by the count_tokens estimate; the short one about 5.
        var longText = string.Join(' ', Enumerable.Range(0, 3000).Select(i => "word" + (i % 50)));
        using (var count = await proxy.PostMessagesAsync(Request("claude-sonnet-4-5", longText), path: "/v1/messages/count_tokens"))
            Assert.InRange(JsonNode.Parse(await count.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>(), 2000, 10000);

        async Task<string> Served(string body)
        {
            using var response = await proxy.PostMessagesAsync(body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The client's own model string comes back, whichever route served it.
            Assert.Equal(JsonNode.Parse(body)!["model"]!.GetValue<string>(), JsonNode.Parse(await response.Content.ReadAsStringAsync())!["model"]!.GetValue<string>());
            return Assert.Single(response.Headers.GetValues("x-backend-model"));
        }

        Assert.Equal("org/main", await Served(Request("claude-sonnet-4-5", "hi")));
        // The long route's first model fails: its second answers, before the map's chain is reached.
        Assert.Equal("org/long-b", await Served(Request("claude-sonnet-4-5", longText)));
        Assert.Equal("org/think", await Served(Request("claude-sonnet-4-5", "think", ""","thinking":{"type":"enabled","budget_tokens":1024}""")));
        Assert.Equal("org/think", await Served(Request("claude-sonnet-4-5:thinking", "think")));
        Assert.Equal("org/main", await Served(Request("claude-sonnet-4-5", "no", ""","thinking":{"type":"disabled"}""")));
        // A backend id the client names itself is served as named, whatever its size.
        Assert.Equal("org/direct", await Served(Request("org/direct", longText)));

        Assert.Equal(["org/main", "org/long", "org/long-b", "org/think", "org/think", "org/main", "org/direct"], ModelsAsked(upstream));
    }

    [Fact]
    public async Task A_size_just_below_the_threshold_stays_on_the_map()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", _ => Reply.Json(Chunks.Completion("ok")));
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?>
        {
            [SettingNames.ModelMap] = """{"sonnet":"org/main"}""",
            [SettingNames.ModelRoutes] = Routes,
        });
        var text = string.Join(' ', Enumerable.Range(0, 3000).Select(i => "word" + (i % 50)));
        using var count = await proxy.PostMessagesAsync(Request("claude-sonnet-4-5", text), path: "/v1/messages/count_tokens");
        var tokens = JsonNode.Parse(await count.Content.ReadAsStringAsync())!["input_tokens"]!.GetValue<int>();

        await using var exact = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?>
        {
            [SettingNames.ModelMap] = """{"sonnet":"org/main"}""",
            [SettingNames.ModelRoutes] = $$$"""{"long_context":{"min_input_tokens":{{{tokens + 1}}},"model":"org/long"}}""",
        });
        using (await exact.PostMessagesAsync(Request("claude-sonnet-4-5", text))) { }
        await using var reached = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?>
        {
            [SettingNames.ModelMap] = """{"sonnet":"org/main"}""",
            [SettingNames.ModelRoutes] = $$$"""{"long_context":{"min_input_tokens":{{{tokens}}},"model":"org/long"}}""",
        });
        using (await reached.PostMessagesAsync(Request("claude-sonnet-4-5", text))) { }

        Assert.Equal(["org/main", "org/long"], ModelsAsked(upstream));
    }

    [Fact]
    public async Task Usage_is_metered_under_the_model_that_answered()
    {
        Azurite.Storage();
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", r => r.Json!["model"]!.GetValue<string>() == "org/first"
            ? Reply.Json(503, """{"detail":"No instances available"}""")
            : Reply.Sse(Chunks.Role(), Chunks.Content("ok"), Chunks.Finish("stop"), Chunks.Usage(30, 7), Chunks.Done));
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?>
        {
            ["PROXY_AUTH"] = "keys",
            ["CHUTES_API_KEY"] = "sk-backend-SECRET-4242",
            ["PROXY_ADMIN_KEY"] = "admin-SECRET-9999",
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            ["PROXY_KEYS_TABLE"] = Azurite.UniqueTable("keys"),
            ["PROXY_USAGE_TABLE"] = Azurite.UniqueTable("usage"),
            [SettingNames.SchemaCacheTable] = Azurite.UniqueTable("schemas"),
            [SettingNames.ModelMap] = """{"opus":["org/first","org/second"]}""",
        });
        var create = new HttpRequestMessage(HttpMethod.Post, "/_admin/keys") { Content = new StringContent("""{"name":"alice"}""", Encoding.UTF8, "application/json") };
        create.Headers.Add("x-api-key", "admin-SECRET-9999");
        using var created = await proxy.Client.SendAsync(create);
        var key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();

        using (var response = await proxy.PostMessagesAsync("""{"model":"claude-opus-4-1","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""", key))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var usage = new HttpRequestMessage(HttpMethod.Get, "/_admin/usage?name=alice&days=1");
        usage.Headers.Add("x-api-key", "admin-SECRET-9999");
        using var rows = await proxy.Client.SendAsync(usage);
        var row = Assert.Single(JsonNode.Parse(await rows.Content.ReadAsStringAsync())!.AsArray())!;
        Assert.Equal("org/second", row["model"]!.GetValue<string>());
        Assert.Equal(1, row["requests"]!.GetValue<long>());
        Assert.Equal(30, row["input_tokens"]!.GetValue<long>());
        Assert.Equal(7, row["output_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Two_hosts_share_a_cool_down_through_table_storage()
    {
        Azurite.Storage();
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", r => r.Json!["model"]!.GetValue<string>() == "org/first"
            ? Reply.Json(503, """{"detail":"No instances available"}""")
            : Reply.Json(Chunks.Completion("ok")));
        var settings = new Dictionary<string, string?>
        {
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            [SettingNames.SchemaCacheTable] = Azurite.UniqueTable("schemas"),
            [SettingNames.ModelMap] = """{"opus":["org/first","org/second"]}""",
            [SettingNames.ModelFailureThreshold] = "1",
            [SettingNames.ModelCooldown] = "600",
        };
        await using var a = await ProxyServer.StartAsync(upstream, settings);
        await using var b = await ProxyServer.StartAsync(upstream, settings);
        const string hi = """{"model":"claude-opus-4-1","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";

        using (var first = await a.PostMessagesAsync(hi)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(["org/first", "org/second"], ModelsAsked(upstream));

        // A wrote the trip in the background; B reads it when /_schemas asks (and on its own every few seconds).
        JsonNode? breaker = null;
        for (var i = 0; i < 100; i++)
        {
            breaker = JsonNode.Parse(await b.Client.GetStringAsync("/_schemas"))!["circuit_breaker"];
            if (breaker!["cooling_down"]!.AsArray().Count > 0) break;
            await Task.Delay(50);
        }
        Assert.Equal("table", breaker!["store"]!.GetValue<string>());
        Assert.Equal("org/first", breaker["cooling_down"]![0]!["model"]!.GetValue<string>());

        using (var second = await b.PostMessagesAsync(hi))
            Assert.Equal("org/second", Assert.Single(second.Headers.GetValues("x-backend-model")));
        // B never asked the model A found down.
        Assert.Equal(["org/first", "org/second", "org/second"], ModelsAsked(upstream));
    }
}
