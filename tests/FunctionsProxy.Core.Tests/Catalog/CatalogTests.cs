using System.Net;
using System.Text.Json.Nodes;
using FunctionsProxy.Catalog;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Catalog;

/// <summary>Discovery, the casing fix, stale-while-refresh, the stores and the catalog endpoints (docs/protocol.md §2.3, §9.1, §9.2).</summary>
public sealed class CatalogTests
{
    private const string Listing = """{"object":"list","data":[{"id":"moonshotai/Kimi-K2-Instruct","object":"model","created":1752000000,"owned_by":"moonshotai","max_model_len":131072},{"id":"zai-org/GLM-4.5-Air","object":"model","created":1753000000,"owned_by":"zai","max_model_len":131072},{"id":"Qwen/Qwen3-VL-8B","object":"model","created":1754000000,"owned_by":"qwen","context_length":32768,"max_output_length":8192,"input_modalities":["text","image"],"supported_features":["tools","reasoning"]},{"id":"tiny/NoTools-1B","object":"model","created":1755000000,"owned_by":"tiny","supported_features":[],"input_modalities":["text"],"max_output_length":1024}]}""";

    private static ScriptedUpstream WithListing(ScriptedUpstream upstream)
    {
        upstream.On("/v1/models", _ => Reply.Json(Listing));
        return upstream;
    }

    private static string Hi(string model, string extra = "") => $$"""{"model":"{{model}}","max_tokens":100000{{extra}},"messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task A_case_insensitive_exact_match_is_sent_with_the_backends_casing_and_the_response_keeps_the_clients_string()
    {
        await using var f = await ProxyFixture.StartAsync();
        WithListing(f.Upstream).Enqueue(Reply.Json(Chunks.Completion("ok")));
        var response = await f.Proxy.PostMessagesAsync(Hi("MOONSHOTAI/kimi-k2-instruct"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("MOONSHOTAI/kimi-k2-instruct", body["model"]!.GetValue<string>());
        Assert.Equal("moonshotai/Kimi-K2-Instruct", f.Upstream.ChatRequests.Single().Json!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Never_a_prefix_match()
    {
        await using var f = await ProxyFixture.StartAsync();
        WithListing(f.Upstream).Enqueue(Reply.Json(Chunks.Completion("ok")));
        await f.Proxy.PostMessagesAsync(Hi("zai-org/glm-4.5"));
        Assert.Equal("zai-org/glm-4.5", f.Upstream.ChatRequests.Single().Json!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Casing_fix_can_be_switched_off()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["AUTO_FIX_MODEL_CASE"] = "false" });
        WithListing(f.Upstream).Enqueue(Reply.Json(Chunks.Completion("ok")));
        await f.Proxy.PostMessagesAsync(Hi("moonshotai/kimi-k2-instruct"));
        Assert.Equal("moonshotai/kimi-k2-instruct", f.Upstream.ChatRequests.Single().Json!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Capabilities_clamp_max_tokens_drop_images_and_refuse_forced_tools()
    {
        await using var f = await ProxyFixture.StartAsync();
        WithListing(f.Upstream);
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok"))).Enqueue(Reply.Json(Chunks.Completion("ok")));
        (await f.Proxy.PostMessagesAsync(Hi("Qwen/Qwen3-VL-8B"))).EnsureSuccessStatusCode();
        Assert.Equal(8192, f.Upstream.ChatRequests[0].Json!["max_tokens"]!.GetValue<int>());

        var image = """{"model":"tiny/NoTools-1B","max_tokens":10,"tools":[{"name":"Read","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}]}""";
        (await f.Proxy.PostMessagesAsync(image)).EnsureSuccessStatusCode();
        var up = f.Upstream.ChatRequests[1].Json!;
        Assert.Equal("""[{"role":"user","content":"look"}]""", up["messages"]!.Json());
        Assert.Null(up["tools"]);

        var imageOnly = await f.Proxy.PostMessagesAsync("""{"model":"tiny/NoTools-1B","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, imageOnly.StatusCode);
        Assert.Contains("does not accept images", await imageOnly.Content.ReadAsStringAsync());
        var forced = await f.Proxy.PostMessagesAsync("""{"model":"tiny/NoTools-1B","max_tokens":10,"tools":[{"name":"Read","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, forced.StatusCode);
        Assert.Contains("does not support tools", await forced.Content.ReadAsStringAsync());
        Assert.Equal(2, f.Upstream.ChatRequests.Count);
    }

    [Fact]
    public async Task A_404_for_the_model_refreshes_once_and_retries_with_the_corrected_id()
    {
        await using var f = await ProxyFixture.StartAsync();
        // The first listing does not have the model yet; the refresh after the 404 does.
        var listings = 0;
        f.Upstream.On("/v1/models", _ => Interlocked.Increment(ref listings) == 1
            ? Reply.Json("""{"data":[]}""")
            : Reply.Json("""{"data":[{"id":"deepseek-ai/DeepSeek-V3.1","created":1}]}"""));
        f.Upstream.Enqueue(Reply.Json(404, """{"object":"error","message":"The model `deepseek-ai/deepseek-v3.1` does not exist.","code":404}"""));
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("found")));
        var response = await f.Proxy.PostMessagesAsync(Hi("deepseek-ai/deepseek-v3.1"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["deepseek-ai/deepseek-v3.1", "deepseek-ai/DeepSeek-V3.1"], f.Upstream.ChatRequests.Select(r => r.Json!["model"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task A_404_without_a_better_id_is_not_retried()
    {
        await using var f = await ProxyFixture.StartAsync();
        WithListing(f.Upstream).Enqueue(Reply.Json(404, """{"object":"error","message":"The model `nope` does not exist.","code":404}"""));
        var response = await f.Proxy.PostMessagesAsync(Hi("nope"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Single(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task Fifty_simultaneous_first_requests_cause_one_discovery()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.On("/v1/models", _ => Reply.Json(Listing).Delay(TimeSpan.FromMilliseconds(300)));
        f.Upstream.On("/v1/chat/completions", _ => Reply.Json(Chunks.Completion("ok")));
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => f.Proxy.PostMessagesAsync(Hi("moonshotai/kimi-k2-instruct"))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(f.Upstream.Requests, r => r.Path == "/v1/models");
        Assert.All(f.Upstream.ChatRequests, r => Assert.Equal("moonshotai/Kimi-K2-Instruct", r.Json!["model"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_failed_discovery_keeps_the_last_good_map()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["DISCOVERY_MIN_INTERVAL"] = "0" });
        var calls = 0;
        f.Upstream.On("/v1/models", _ => Interlocked.Increment(ref calls) == 1 ? Reply.Json(Listing) : Reply.Json(503, """{"detail":"down"}"""));
        f.Upstream.On("/v1/chat/completions", _ => Reply.Json(Chunks.Completion("ok")));
        var catalog = (ModelCatalog)f.Proxy.Services.GetService(typeof(ModelCatalog))!;
        Assert.NotNull(await catalog.RefreshAsync(null, force: false));
        var after = await catalog.RefreshAsync(null, force: false);
        Assert.True(calls >= 2);
        Assert.Equal(4, after!.Models.Count);
        Assert.Equal("model listing answered HTTP 503", catalog.LastError);
        await f.Proxy.PostMessagesAsync(Hi("zai-org/glm-4.5-air"));
        Assert.Equal("zai-org/GLM-4.5-Air", f.Upstream.ChatRequests.Last().Json!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Table_store_round_trips_awkward_ids_and_a_second_instance_reads_it()
    {
        var storage = Azurite.Storage();
        var table = Azurite.UniqueTable("schemas");
        var models = new[]
        {
            new ModelCapabilities { Id = "org/model#1?x", ContextLength = 4096, SupportsTools = true },
            new ModelCapabilities { Id = @"back\slash", SupportsVision = false, Created = DateTimeOffset.FromUnixTimeSeconds(1700000000) },
        };
        var refreshedAt = new DateTimeOffset(2026, 11, 25, 4, 0, 0, TimeSpan.Zero);
        await new TableSchemaCacheStore(storage, table).SaveAsync(new CatalogSnapshot(models, refreshedAt, "discovery"), default);
        var loaded = await new TableSchemaCacheStore(new FunctionsProxy.Storage.TableStorage(new Azure.Data.Tables.TableServiceClient(Azurite.ConnectionString)), table).LoadAsync(default);
        Assert.NotNull(loaded);
        Assert.Equal(refreshedAt, loaded!.RefreshedAt);
        Assert.Equal([@"back\slash", "org/model#1?x"], loaded.Models.Select(m => m.Id).ToArray());
        Assert.Equal(models[0], loaded.Find("ORG/MODEL#1?X", fixCase: true));
        Assert.Equal(models[1], loaded.Find(@"back\slash", fixCase: false));
        // A smaller refresh removes rows of models the backend no longer serves.
        await new TableSchemaCacheStore(storage, table).SaveAsync(new CatalogSnapshot([models[1]], refreshedAt, "discovery"), default);
        Assert.Single((await new TableSchemaCacheStore(storage, table).LoadAsync(default))!.Models);
    }

    [Fact]
    public async Task The_refresher_writes_the_table_and_another_host_answers_from_it()
    {
        Azurite.Storage();
        var table = Azurite.UniqueTable("schemas");
        var settings = new Dictionary<string, string?> { ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString, ["SCHEMA_CACHE_TABLE"] = table, ["CHUTES_API_KEY"] = "server-key" };
        await using var first = await ProxyFixture.StartAsync(settings, u => WithListing(u));
        var result = await ((IModelCatalogRefresher)first.Proxy.Services.GetService(typeof(IModelCatalogRefresher))!).RefreshAsync(default);
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(4, result.ModelCount);

        await using var second = await ProxyFixture.StartAsync(settings); // its upstream has no /v1/models at all
        var list = JsonNode.Parse(await second.Proxy.Client.GetStringAsync("/v1/models?limit=1000"))!;
        Assert.Equal(["Qwen/Qwen3-VL-8B", "moonshotai/Kimi-K2-Instruct", "tiny/NoTools-1B", "zai-org/GLM-4.5-Air"], list["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task Models_list_has_the_anthropic_shape_aliases_first_and_pages()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["MODEL_MAP"] = """{"claude-sonnet-4-5":"moonshotai/Kimi-K2-Instruct"}""" });
        WithListing(f.Upstream);
        var all = JsonNode.Parse(await f.Proxy.Client.GetStringAsync("/v1/models?limit=1000"))!;
        Assert.Equal(["claude-sonnet-4-5", "Qwen/Qwen3-VL-8B", "moonshotai/Kimi-K2-Instruct", "tiny/NoTools-1B", "zai-org/GLM-4.5-Air"], all["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToArray());
        Assert.False(all["has_more"]!.GetValue<bool>());
        Assert.Equal("claude-sonnet-4-5", all["first_id"]!.GetValue<string>());
        Assert.Equal("zai-org/GLM-4.5-Air", all["last_id"]!.GetValue<string>());
        var alias = all["data"]![0]!;
        Assert.Equal("model", alias["type"]!.GetValue<string>());
        Assert.Equal("sonnet", alias["line"]!.GetValue<string>());
        Assert.Equal(131072, alias["max_input_tokens"]!.GetValue<int>());
        Assert.Equal("2025-07-08T18:40:00Z", all["data"]![2]!["created_at"]!.GetValue<string>());

        var page1 = JsonNode.Parse(await f.Proxy.Client.GetStringAsync("/v1/models?limit=2"))!;
        Assert.Equal("""["claude-sonnet-4-5","Qwen/Qwen3-VL-8B"]""", new JsonArray(page1["data"]!.AsArray().Select(m => (JsonNode)m!["id"]!.GetValue<string>()).ToArray()).Json());
        Assert.True(page1["has_more"]!.GetValue<bool>());
        var page2 = JsonNode.Parse(await f.Proxy.Client.GetStringAsync("/v1/models?limit=2&after_id=Qwen/Qwen3-VL-8B"))!;
        Assert.Equal("moonshotai/Kimi-K2-Instruct", page2["first_id"]!.GetValue<string>());
        Assert.Equal("tiny/NoTools-1B", page2["last_id"]!.GetValue<string>());
        var before = JsonNode.Parse(await f.Proxy.Client.GetStringAsync("/v1/models?limit=2&before_id=tiny/NoTools-1B"))!;
        Assert.Equal("Qwen/Qwen3-VL-8B", before["first_id"]!.GetValue<string>());
        Assert.True(before["has_more"]!.GetValue<bool>());

        var bad = await f.Proxy.Client.GetAsync("/v1/models?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var one = JsonNode.Parse(await f.Proxy.Client.GetStringAsync("/v1/models/zai-org/GLM-4.5-Air"))!;
        Assert.Equal("zai-org/GLM-4.5-Air", one["id"]!.GetValue<string>());
        var missing = await f.Proxy.Client.GetAsync("/v1/models/no/such-model");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("not_found_error", JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Schemas_show_models_and_maps_but_never_a_key_or_the_backend_address()
    {
        const string key = "cpk_backend_secret_for_schemas_0123456789";
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?>
        {
            ["CHUTES_API_KEY"] = key,
            ["MODEL_MAP"] = """{"haiku":"tiny/NoTools-1B"}""",
            ["TOOL_NAME_MAP"] = """{"Bash":"shell"}""",
        }, u => WithListing(u));
        var text = await f.Proxy.Client.GetStringAsync("/_schemas");
        var body = JsonNode.Parse(text)!;
        Assert.Equal(4, body["models"]!.AsArray().Count);
        Assert.Equal("""{"haiku":"tiny/NoTools-1B"}""", body["model_map"]!.Json());
        Assert.Equal("""{"Bash":"shell"}""", body["tool_name_map"]!.Json());
        Assert.Equal("memory", body["store"]!.GetValue<string>());
        Assert.Equal(8192, body["models"]!.AsArray().Single(m => m!["id"]!.GetValue<string>() == "Qwen/Qwen3-VL-8B")!["max_output_tokens"]!.GetValue<int>());
        Assert.DoesNotContain(key, text);
        Assert.DoesNotContain(f.Upstream.BaseAddress.Authority, text); // host:port of the backend
        Assert.Equal("Bearer " + key, f.Upstream.Requests.First(r => r.Path == "/v1/models").Header("authorization"));
    }
}
