using System.Net;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Translation;

/// <summary>Anthropic request → the exact OpenAI body the backend receives (docs/protocol.md §2–§4).</summary>
public sealed class RequestTranslationTests
{
    /// <summary>Sends <paramref name="request"/> through the proxy and returns the upstream body it produced.</summary>
    private static async Task<JsonNode> Upstream(string request, IReadOnlyDictionary<string, string?>? settings = null)
    {
        await using var f = await ProxyFixture.StartAsync(settings);
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        var response = await f.Proxy.PostMessagesAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return f.Upstream.ChatRequests.Single().Json!;
    }

    private static string Messages(JsonNode upstream) => upstream["messages"]!.Json();

    [Fact]
    public async Task System_string_and_user_text_become_system_and_user_strings()
    {
        var up = await Upstream("""{"model":"m","max_tokens":100,"system":"S","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("""{"model":"m","messages":[{"role":"system","content":"S"},{"role":"user","content":"hi"}],"max_tokens":100,"stream":false}""", up.Json());
    }

    [Fact]
    public async Task System_blocks_are_joined_with_a_blank_line_and_lose_cache_control()
    {
        var up = await Upstream("""{"model":"m","max_tokens":10,"system":[{"type":"text","text":"A"},{"type":"text","text":"B","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("""[{"role":"system","content":"A\n\nB"},{"role":"user","content":"hi"}]""", Messages(up));
        Assert.DoesNotContain("cache_control", up.Json());
    }

    [Fact]
    public async Task Claude_code_billing_header_block_is_dropped_by_default()
    {
        const string request = """{"model":"m","max_tokens":10,"system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.330.52d; cc_entrypoint=sdk-cli;"},{"type":"text","text":"You are Claude Code."}],"messages":[{"role":"user","content":"hi"}]}""";
        Assert.Equal("""[{"role":"system","content":"You are Claude Code."},{"role":"user","content":"hi"}]""", Messages(await Upstream(request)));
        var kept = await Upstream(request, new Dictionary<string, string?> { ["PROXY_DROP_BILLING_HEADER"] = "false" });
        Assert.StartsWith("x-anthropic-billing-header:", kept["messages"]![0]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Mid_array_system_message_becomes_a_system_reminder_in_the_user_turn()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"first"}]},{"role":"system","content":[{"type":"text","text":"env info","cache_control":{"type":"ephemeral"}}]},{"role":"assistant","content":"ok"},{"role":"system","content":[]},{"role":"user","content":"next"}]}""";
        Assert.Equal("""[{"role":"user","content":[{"type":"text","text":"first"},{"type":"text","text":"<system-reminder>\nenv info\n</system-reminder>"}]},{"role":"assistant","content":"ok"},{"role":"user","content":"next"}]""", Messages(await Upstream(request)));
    }

    [Fact]
    public async Task Base64_and_url_images_become_image_url_parts()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}]}""";
        Assert.Equal("""[{"role":"user","content":[{"type":"text","text":"what is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]""", Messages(await Upstream(request)));
    }

    [Fact]
    public async Task Assistant_text_and_tool_uses_become_one_message_with_tool_calls()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"text","text":"ok"},{"type":"tool_use","id":"toolu_1","name":"A","input":{"x":1}},{"type":"tool_use","id":"toolu_2","name":"B","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"r1"},{"type":"tool_result","tool_use_id":"toolu_2","content":"r2"}]}]}""";
        Assert.Equal("""[{"role":"user","content":"go"},{"role":"assistant","content":"ok","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"A","arguments":"{\"x\":1}"}},{"id":"toolu_2","type":"function","function":{"name":"B","arguments":"{}"}}]},{"role":"tool","tool_call_id":"toolu_1","content":"r1"},{"role":"tool","tool_call_id":"toolu_2","content":"r2"}]""", Messages(await Upstream(request)));
    }

    [Fact]
    public async Task Assistant_with_only_tool_use_has_null_content()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"A","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"done"}]}]}""";
        var up = await Upstream(request);
        Assert.Equal("""{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"A","arguments":"{}"}}]}""", up["messages"]![1]!.Json());
    }

    [Fact]
    public async Task Tool_results_come_right_after_the_assistant_and_before_user_text()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"id1","name":"A","input":{}},{"type":"tool_use","id":"id2","name":"B","input":{}}]},{"role":"user","content":[{"type":"text","text":"<system-reminder>note</system-reminder>"},{"type":"tool_result","tool_use_id":"id1","content":"one"},{"type":"tool_result","tool_use_id":"id2","content":"two"}]}]}""";
        var messages = (await Upstream(request))["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool", "tool", "user"], messages.Select(m => m!["role"]!.GetValue<string>()).ToArray());
        Assert.Equal("id1", messages[2]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("id2", messages[3]!["tool_call_id"]!.GetValue<string>());
        Assert.Equal("<system-reminder>note</system-reminder>", messages[4]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tool_result_blocks_errors_images_and_missing_content()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"A","input":{}},{"type":"tool_use","id":"b","name":"B","input":{}},{"type":"tool_use","id":"c","name":"C","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},{"type":"tool_result","tool_use_id":"b","is_error":true,"content":"boom"},{"type":"tool_result","tool_use_id":"c","content":[{"type":"text","text":"see"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/AA=="}}]},{"type":"tool_result","tool_use_id":"d"}]}]}""";
        var messages = (await Upstream(request))["messages"]!.AsArray();
        Assert.Equal("""{"role":"tool","tool_call_id":"a","content":"a\nb"}""", messages[2]!.Json());
        Assert.Equal("""{"role":"tool","tool_call_id":"b","content":"Error: boom"}""", messages[3]!.Json());
        Assert.Equal("""{"role":"tool","tool_call_id":"c","content":"see"}""", messages[4]!.Json());
        Assert.Equal("""{"role":"tool","tool_call_id":"d","content":""}""", messages[5]!.Json());
        Assert.Equal("""{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/AA=="}}]}""", messages[6]!.Json());
    }

    [Fact]
    public async Task History_thinking_and_unknown_blocks_are_not_sent_as_content()
    {
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"secret plan","signature":"fp1.x"},{"type":"redacted_thinking","data":"xx"},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}},{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},{"type":"text","text":"answer"}]},{"role":"user","content":[{"type":"search_result","source":"s","title":"t","content":[]},{"type":"text","text":"more"}]}]}""";
        var up = await Upstream(request);
        Assert.Equal("""[{"role":"user","content":"q"},{"role":"assistant","content":"answer"},{"role":"user","content":"more"}]""", Messages(up));
    }

    [Fact]
    public async Task Text_documents_become_text_and_others_are_a_clear_400()
    {
        var up = await Upstream("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","title":"Notes","source":{"type":"text","media_type":"text/plain","data":"hello doc"}}]}]}""");
        Assert.Equal("""[{"role":"user","content":"Notes\n\nhello doc"}]""", Messages(up));

        await using var f = await ProxyFixture.StartAsync();
        var response = await f.Proxy.PostMessagesAsync("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="}}]}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("not supported by this backend", body["error"]!["message"]!.GetValue<string>());
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task Custom_tools_become_functions_with_the_schema_unchanged()
    {
        const string schema = """{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"command":{"type":"string","description":"The command"}},"required":["command"],"additionalProperties":false}""";
        var up = await Upstream($$$"""{"model":"m","max_tokens":10,"tools":[{"name":"Bash","description":"Run","input_schema":{{{schema}}},"cache_control":{"type":"ephemeral"},"type":"custom"}],"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal($$$"""[{"type":"function","function":{"name":"Bash","description":"Run","parameters":{{{schema}}}}}]""", up["tools"]!.Json());
        Assert.Null(up["tool_choice"]);
    }

    [Fact]
    public async Task Server_tools_are_omitted_and_forcing_one_is_a_400()
    {
        var up = await Upstream("""{"model":"m","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":5},{"name":"Read","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("""[{"type":"function","function":{"name":"Read","parameters":{"type":"object"}}}]""", up["tools"]!.Json());

        await using var f = await ProxyFixture.StartAsync();
        var response = await f.Proxy.PostMessagesAsync("""{"model":"m","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"tool","name":"web_search"},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("server tools are not supported", await response.Content.ReadAsStringAsync());
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task Deferred_tools_are_sent_only_after_a_tool_reference_and_the_placeholder_never()
    {
        const string tools = """[{"name":"ToolSearch","input_schema":{"type":"object"}},{"name":"WebFetch","description":"Fetch","input_schema":{"type":"object","properties":{"url":{"type":"string"}}},"defer_loading":true},{"name":"NotebookEdit","input_schema":{"type":"object"},"defer_loading":true},{"name":"DeferredToolPlaceholder","description":"Reserved placeholder that keeps deferred tool loading active; never call this tool.","input_schema":{"type":"object","properties":{}},"defer_loading":true}]""";
        var up = await Upstream($$$"""{"model":"m","max_tokens":10,"tools":{{{tools}}},"messages":[{"role":"user","content":"fetch it"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"ToolSearch","input":{"query":"select:WebFetch"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"tool_reference","tool_name":"WebFetch"}]}]}]}""");
        Assert.Equal(["ToolSearch", "WebFetch"], up["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).ToArray());
        Assert.Equal("""<functions><function>{"description":"Fetch","name":"WebFetch","parameters":{"type":"object","properties":{"url":{"type":"string"}}}}</function></functions>""", up["messages"]![2]!["content"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"", null)]
    [InlineData("""{"type":"any"}""", "\"required\"", null)]
    [InlineData("""{"type":"none"}""", "\"none\"", null)]
    [InlineData("""{"type":"tool","name":"Read"}""", """{"type":"function","function":{"name":"Read"}}""", null)]
    [InlineData("""{"type":"auto","disable_parallel_tool_use":true}""", "\"auto\"", false)]
    public async Task Tool_choice_maps_per_the_table(string choice, string expected, bool? parallel)
    {
        var up = await Upstream($$$"""{"model":"m","max_tokens":10,"tools":[{"name":"Read","input_schema":{"type":"object"}}],"tool_choice":{{{choice}}},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(expected, up["tool_choice"]!.Json());
        Assert.Equal(parallel, up["parallel_tool_calls"]?.GetValue<bool>());
    }

    [Fact]
    public async Task Sampling_fields_stop_sequences_and_max_tokens_are_forwarded()
    {
        var up = await Upstream("""{"model":"m","max_tokens":64000,"temperature":0.2,"top_p":0.9,"top_k":40,"stop_sequences":["END"],"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(64000, up["max_tokens"]!.GetValue<int>());
        Assert.Equal(0.2, up["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, up["top_p"]!.GetValue<double>());
        Assert.Equal(40, up["top_k"]!.GetValue<int>());
        Assert.Equal("""["END"]""", up["stop"]!.Json());
    }

    [Fact]
    public async Task Metadata_user_id_sends_only_the_session_id()
    {
        var up = await Upstream("""{"model":"m","max_tokens":10,"metadata":{"user_id":"{\"device_id\":\"abcdef0123\",\"account_uuid\":\"\",\"session_id\":\"00000000-0000-4000-8000-000000000001\"}"},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("00000000-0000-4000-8000-000000000001", up["user"]!.GetValue<string>());
        Assert.Null(up["metadata"]);
        Assert.DoesNotContain("abcdef0123", up.Json());
        var legacy = await Upstream("""{"model":"m","max_tokens":10,"metadata":{"user_id":"user_abc_account_1_session_5e1b"},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("5e1b", legacy["user"]!.GetValue<string>());
    }

    [Fact]
    public async Task Fields_without_openai_meaning_are_not_forwarded()
    {
        var up = await Upstream("""{"model":"m","max_tokens":10,"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},"service_tier":"auto","container":"c1","mcp_servers":[],"anthropic_beta":["x"],"output_config":{"effort":"high"},"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":10,"stream":false}""", up.Json());
    }

    [Fact]
    public async Task Structured_output_format_becomes_response_format()
    {
        var up = await Upstream("""{"model":"m","max_tokens":10,"output_config":{"effort":"high","format":{"type":"json_schema","schema":{"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false}}},"messages":[{"role":"user","content":"title?"}]}""");
        Assert.Equal("""{"type":"json_schema","json_schema":{"name":"output","schema":{"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false},"strict":true}}""", up["response_format"]!.Json());
    }

    [Fact]
    public async Task Beta_query_and_anthropic_headers_change_nothing()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("a"))).Enqueue(Reply.Json(Chunks.Completion("a")));
        const string request = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";
        var plain = await f.Proxy.PostMessagesAsync(request);
        var beta = new HttpRequestMessage(HttpMethod.Post, "/v1/messages?beta=true") { Content = new StringContent(request, System.Text.Encoding.UTF8, "application/json") };
        beta.Headers.Add("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14");
        beta.Headers.Add("anthropic-version", "2026-10-21");
        var withBeta = await f.Proxy.Client.SendAsync(beta);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withBeta.StatusCode);
        Assert.Equal(f.Upstream.ChatRequests[0].Body, f.Upstream.ChatRequests[1].Body);
    }

    [Fact]
    public async Task Model_map_exact_and_claude_family_keys()
    {
        var settings = new Dictionary<string, string?> { ["MODEL_MAP"] = """{"claude-opus-4-8":"org/Exact","haiku":"org/Small","sonnet":"org/Mid"}""" };
        Assert.Equal("org/Exact", (await Upstream("""{"model":"claude-opus-4-8","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", settings))["model"]!.GetValue<string>());
        Assert.Equal("org/Small", (await Upstream("""{"model":"claude-3-5-haiku-20241022","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", settings))["model"]!.GetValue<string>());
        Assert.Equal("org/Mid", (await Upstream("""{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", settings))["model"]!.GetValue<string>());
        Assert.Equal("other/model", (await Upstream("""{"model":"other/model","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", settings))["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Streaming_requests_ask_for_usage()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Sse(Chunks.Content("x"), Chunks.Finish("stop"), Chunks.Usage(3, 1), Chunks.Done));
        var response = await f.Proxy.PostMessagesAsync("""{"model":"m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        await response.Content.ReadAsStringAsync();
        var up = f.Upstream.ChatRequests.Single().Json!;
        Assert.True(up["stream"]!.GetValue<bool>());
        Assert.Equal("""{"include_usage":true}""", up["stream_options"]!.Json());
    }
}
