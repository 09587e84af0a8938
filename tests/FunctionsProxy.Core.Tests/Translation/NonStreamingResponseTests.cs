using System.Net;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Translation;

/// <summary>OpenAI completion → Anthropic message (docs/protocol.md §5).</summary>
public sealed class NonStreamingResponseTests
{
    private const string Hi = """{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}""";

    private static async Task<(HttpResponseMessage Response, JsonNode Body)> Roundtrip(string upstreamJson, string request = Hi)
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(upstreamJson));
        var response = await f.Proxy.PostMessagesAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (response, body);
    }

    [Fact]
    public async Task Text_answer_has_the_exact_anthropic_shape()
    {
        var (response, body) = await Roundtrip(Chunks.Completion("Hello there", prompt: 12, completion: 5));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("req_", response.Headers.GetValues("request-id").Single());
        var id = body["id"]!.GetValue<string>();
        Assert.Matches("^msg_[A-Za-z0-9]{24}$", id);
        var expected = $$$"""{"id":"{{{id}}}","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello there"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}""";
        Assert.Equal(expected, body.Json());
    }

    [Fact]
    public async Task A_lone_utf16_surrogate_escape_in_the_answer_becomes_a_replacement_character()
    {
        // Chunks.Completion escapes the text itself; this answer carries the raw escapes a Python backend can send.
        var upstream = Chunks.Completion("PLACEHOLDER").Replace("PLACEHOLDER", "cut \\ud83d, whole \\ud83d\\ude80", StringComparison.Ordinal);
        var (response, body) = await Roundtrip(upstream);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text", body["content"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("cut \uFFFD, whole 🚀", body["content"]![0]!["text"]!.GetValue<string>());
        Assert.Single(body["content"]!.AsArray());
    }

    [Fact]
    public async Task Text_and_tool_call_give_text_then_tool_use_and_stop_reason_tool_use()
    {
        var tools = """[{"id":"call_1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]""";
        var (_, body) = await Roundtrip(Chunks.Completion("Let me look.", finish: "tool_calls", toolCallsJson: tools, prompt: 10, completion: 5));
        var content = body["content"]!.AsArray();
        Assert.Equal(2, content.Count);
        Assert.Equal("""{"type":"text","text":"Let me look."}""", content[0]!.Json());
        Assert.Equal("""{"type":"tool_use","id":"call_1","name":"Bash","input":{"command":"ls"}}""", content[1]!.Json());
        Assert.Equal("tool_use", body["stop_reason"]!.GetValue<string>());
        Assert.Equal(10, body["usage"]!["input_tokens"]!.GetValue<int>());
        Assert.Equal(5, body["usage"]!["output_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task Finish_stop_with_tool_calls_present_is_tool_use()
    {
        var tools = """[{"id":"call_9","type":"function","function":{"name":"Read","arguments":"{}"}}]""";
        var (_, body) = await Roundtrip(Chunks.Completion(null, finish: "stop", toolCallsJson: tools));
        Assert.Equal("tool_use", body["stop_reason"]!.GetValue<string>());
        Assert.Equal("""[{"type":"tool_use","id":"call_9","name":"Read","input":{}}]""", body["content"]!.Json());
    }

    [Theory]
    [InlineData("length", "max_tokens")]
    [InlineData("content_filter", "refusal")]
    [InlineData("something_new", "end_turn")]
    [InlineData("stop", "end_turn")]
    public async Task Finish_reasons_map_to_stop_reasons(string finish, string stopReason)
    {
        var (_, body) = await Roundtrip(Chunks.Completion("x", finish: finish));
        Assert.Equal(stopReason, body["stop_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Matched_stop_sequence_is_reported()
    {
        const string request = """{"model":"m","max_tokens":10,"stop_sequences":["END","STOP"],"messages":[{"role":"user","content":"count"}]}""";
        var (_, body) = await Roundtrip(Chunks.Completion("1 2 3 ", finish: "stop", stopReason: "END"), request);
        Assert.Equal("stop_sequence", body["stop_reason"]!.GetValue<string>());
        Assert.Equal("END", body["stop_sequence"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reasoning_comes_first_as_signed_thinking()
    {
        var (_, body) = await Roundtrip(Chunks.Completion("The answer is 4.", reasoning: "2+2 is 4"));
        var content = body["content"]!.AsArray();
        Assert.Equal("thinking", content[0]!["type"]!.GetValue<string>());
        Assert.Equal("2+2 is 4", content[0]!["thinking"]!.GetValue<string>());
        Assert.StartsWith("fp1.", content[0]!["signature"]!.GetValue<string>());
        Assert.Equal("""{"type":"text","text":"The answer is 4."}""", content[1]!.Json());
    }

    [Fact]
    public async Task Vllm_reasoning_field_is_read_too()
    {
        var json = """{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok","reasoning":"thought"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}}""";
        var (_, body) = await Roundtrip(json);
        Assert.Equal("thought", body["content"]![0]!["thinking"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cached_prompt_tokens_are_split_out()
    {
        var (_, body) = await Roundtrip(Chunks.Completion("ok", prompt: 1000, completion: 50, cached: 800));
        Assert.Equal("""{"input_tokens":200,"output_tokens":50,"cache_creation_input_tokens":0,"cache_read_input_tokens":800}""", body["usage"]!.Json());
    }

    [Fact]
    public async Task Missing_usage_gives_integers_never_null()
    {
        var json = """{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"abcdefgh"},"finish_reason":"stop"}]}""";
        var (_, body) = await Roundtrip(json);
        var usage = body["usage"]!;
        Assert.True(usage["input_tokens"]!.GetValue<long>() > 0);
        Assert.Equal(2, usage["output_tokens"]!.GetValue<long>());
        Assert.Equal(0, usage["cache_read_input_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Empty_answer_is_an_empty_content_list_with_end_turn_and_replays()
    {
        var (_, body) = await Roundtrip(Chunks.Completion("", finish: "stop"));
        Assert.Equal("[]", body["content"]!.Json());
        Assert.Equal("end_turn", body["stop_reason"]!.GetValue<string>());

        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("second")));
        var replay = $$$"""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":{{{body["content"]!.Json()}}}},{"role":"user","content":"again"}]}""";
        var response = await f.Proxy.PostMessagesAsync(replay);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""[{"role":"user","content":"hi"},{"role":"assistant","content":""},{"role":"user","content":"again"}]""", f.Upstream.ChatRequests[0].Json!["messages"]!.Json());
    }

    [Fact]
    public async Task Arguments_as_empty_string_or_object_become_input_objects()
    {
        var tools = """[{"id":"a","type":"function","function":{"name":"A","arguments":""}},{"id":"b","type":"function","function":{"name":"B","arguments":{"k":1}}}]""";
        var (_, body) = await Roundtrip(Chunks.Completion(null, finish: "tool_calls", toolCallsJson: tools));
        Assert.Equal("{}", body["content"]![0]!["input"]!.Json());
        Assert.Equal("""{"k":1}""", body["content"]![1]!["input"]!.Json());
    }

    [Fact]
    public async Task Missing_tool_ids_are_generated_unique()
    {
        var tools = """[{"type":"function","function":{"name":"A","arguments":"{}"}},{"type":"function","function":{"name":"B","arguments":"{}"}}]""";
        var (_, body) = await Roundtrip(Chunks.Completion(null, finish: "tool_calls", toolCallsJson: tools));
        var a = body["content"]![0]!["id"]!.GetValue<string>();
        var b = body["content"]![1]!["id"]!.GetValue<string>();
        Assert.Matches("^toolu_[A-Za-z0-9]+$", a);
        Assert.Matches("^toolu_[A-Za-z0-9]+$", b);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Model_echoes_the_requested_string_not_the_backend_id()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["MODEL_MAP"] = """{"claude-sonnet-4-5":"org/Big-Model"}""" });
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        var response = await f.Proxy.PostMessagesAsync(Hi);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("claude-sonnet-4-5", body["model"]!.GetValue<string>());
        Assert.Equal("org/Big-Model", f.Upstream.ChatRequests[0].Json!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Html_from_the_backend_is_a_502_api_error_without_markup()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Text(200, "text/html", "<html><body><h1>Bad Gateway</h1><pre>at Foo.Bar()</pre></body></html>"));
        var response = await f.Proxy.PostMessagesAsync(Hi);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text)!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("api_error", body["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain("<", text);
        Assert.DoesNotContain("Foo.Bar", text);
    }

    [Fact]
    public async Task Garbage_json_from_the_backend_is_a_502()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json("{\"choices\": [ this is not json"));
        var response = await f.Proxy.PostMessagesAsync(Hi);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("api_error", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Orphan_think_close_is_split_in_a_whole_answer_even_on_the_default_profile()
    {
        var (_, body) = await Roundtrip(Chunks.Completion("weighing options</think>Use a list."));
        Assert.Equal("""[{"type":"thinking","thinking":"weighing options","signature":""" + "\"" + body["content"]![0]!["signature"]!.GetValue<string>() + "\"" + """},{"type":"text","text":"Use a list."}]""", body["content"]!.Json());
    }
}
