using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>docs/protocol.md §6.4, §6.5, §8.3: errors before the first byte keep their status; after it they are an SSE
/// <c>error</c> event and the stream ends without a fake <c>message_stop</c>; JSON/SSE answer-shape mismatches.</summary>
public sealed class StreamErrorTests
{
    private const string RateLimitBody = """{"object":"error","message":"Too many requests, slow down.","type":"RateLimitError","param":null,"code":429}""";

    [Fact] // §8.3, §8.4
    public async Task Rate_limit_with_long_retry_after_before_any_byte_is_a_429_json_with_retry_after()
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.MaxRetryAfter] = "2", [SettingNames.MaxRetryOn429] = "1" });
        h.Upstream.Enqueue(Reply.Json(429, RateLimitBody).Header("Retry-After", "7"));

        var r = await h.StreamAsync();

        Assert.Equal(429, r.Status);
        Assert.Equal("application/json", r.ContentType);
        Assert.Equal("7", r.Headers["retry-after"]);
        Assert.StartsWith("req_", r.Headers["request-id"], StringComparison.Ordinal);
        var body = JsonNode.Parse(r.Body)!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("rate_limit_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Contains("Too many requests", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(r.Headers["request-id"], body["request_id"]!.GetValue<string>());
        // 7 s is longer than PROXY_MAX_RETRY_AFTER: handed to the client at once, not retried.
        Assert.Single(h.Upstream.ChatRequests);
    }

    [Theory]
    [InlineData("Retry-After", "0")]
    [InlineData("retry-after-ms", "100")]
    public async Task Rate_limit_with_short_retry_after_is_retried_once_then_streams(string header, string value)
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.MaxRetryAfter] = "2", [SettingNames.MaxRetryOn429] = "1" });
        h.Upstream.Enqueue(Reply.Json(429, RateLimitBody).Header(header, value));
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("after the wait"), Chunks.Finish("stop"), Chunks.Usage(20, 4), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
        Assert.Equal("after the wait", r.Concat(0, "text"));
        Assert.Equal(2, h.Upstream.ChatRequests.Count);
        Assert.Equal(h.Upstream.ChatRequests[0].Body, h.Upstream.ChatRequests[1].Body);
    }

    [Fact]
    public async Task Rate_limit_retry_that_is_rate_limited_again_returns_the_second_429()
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.MaxRetryAfter] = "2", [SettingNames.MaxRetryOn429] = "1" });
        h.Upstream.Enqueue(Reply.Json(429, RateLimitBody).Header("Retry-After", "0"));
        h.Upstream.Enqueue(Reply.Json(429, RateLimitBody).Header("Retry-After", "0"));

        var r = await h.StreamAsync();

        Assert.Equal(429, r.Status);
        Assert.Equal("rate_limit_error", JsonNode.Parse(r.Body)!["error"]!["type"]!.GetValue<string>());
        Assert.Equal(2, h.Upstream.ChatRequests.Count);
    }

    [Theory] // §8.3
    [InlineData(503, 529, "overloaded_error")]
    [InlineData(502, 529, "overloaded_error")]
    [InlineData(500, 500, "api_error")]
    public async Task Server_error_before_any_byte_keeps_an_error_status_never_a_200_stream(int upstreamStatus, int status, string type)
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Json(upstreamStatus, """{"object":"error","message":"Engine is restarting","type":"ServiceUnavailableError","param":null,"code":503}"""));

        var r = await h.StreamAsync();

        Assert.Equal(status, r.Status);
        Assert.Equal("application/json", r.ContentType);
        var body = JsonNode.Parse(r.Body)!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal(type, body["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(h.Upstream.BaseUrl, r.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("event:", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_backend_is_a_529_json()
    {
        var upstream = await ScriptedUpstream.StartAsync();
        var deadUrl = upstream.BaseUrl;
        await upstream.DisposeAsync();
        await using var proxy = await ProxyServer.StartAsync(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            [SettingNames.BaseUrl] = deadUrl,
            [SettingNames.ApiKey] = "",
        });

        using var response = await proxy.PostMessagesAsync(ProxyFixture.Request());
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("overloaded_error", JsonNode.Parse(text)!["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(deadUrl, text, StringComparison.Ordinal);
    }

    [Fact] // §6.5
    public async Task Connection_reset_mid_stream_is_an_error_event_without_message_stop()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        // The pause lets the bytes before the reset reach the proxy even on a loaded machine.
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Half an ans")).Delay(TimeSpan.FromSeconds(1.5)).Abort());

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "error"], r.Shape);
        Assert.Equal("Half an ans", r.Concat(0, "text"));
        var error = r.Frames[^1].Json;
        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal("api_error", error["error"]!["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["error"]!["message"]!.GetValue<string>()));
        Assert.DoesNotContain("message_stop", r.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("message_delta", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_chunk_mid_stream_is_an_error_event_and_the_stream_ends()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Working"),
            """{"error":{"object":"error","message":"CUDA out of memory","type":"InternalServerError","param":null,"code":500}}""",
            Chunks.Content(" never seen"), Chunks.Finish("stop"), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "error"], r.Shape);
        var error = r.Frames[^1].Json["error"]!;
        Assert.Equal("api_error", error["type"]!.GetValue<string>());
        Assert.Equal("CUDA out of memory", error["message"]!.GetValue<string>());
        Assert.DoesNotContain("never seen", r.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backend_silent_past_the_idle_limit_mid_stream_is_an_error_event()
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.UpstreamTimeout] = "0.5", [SettingNames.PingInterval] = "0.2" });
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Thinking about it")).HangUntilAborted(TimeSpan.FromSeconds(30)));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "error"], r.Shape);
        var error = r.Frames[^1].Json["error"]!;
        Assert.Equal("api_error", error["type"]!.GetValue<string>());
        Assert.Equal("The backend sent nothing for 0.5 s.", error["message"]!.GetValue<string>());
        Assert.DoesNotContain("message_stop", r.Body, StringComparison.Ordinal);
        // The proxy gave up on the backend: its connection is closed too.
        await h.Upstream.ConnectionAborted.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("{\"message\":\"Upstream worker crashed\",\"code\":503}", "overloaded_error", "Upstream worker crashed")]
    [InlineData("Upstream worker crashed", "api_error", "Upstream worker crashed")]
    public async Task Named_error_event_mid_stream_is_an_error_event_not_a_clean_end(string data, string type, string message)
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Working")).Write("event: error\ndata: " + data + "\n\n"));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "error"], r.Shape);
        var error = r.Frames[^1].Json["error"]!;
        Assert.Equal(type, error["type"]!.GetValue<string>());
        Assert.Equal(message, error["message"]!.GetValue<string>());
        Assert.DoesNotContain("message_stop", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unparseable_chunk_mid_stream_is_an_error_event()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("ok"), "{\"choices\":[{\"index\":0,\"delta\":{\"content\":", Chunks.Finish("stop"), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "error"], r.Shape);
        Assert.Equal("api_error", r.Frames[^1].Json["error"]!["type"]!.GetValue<string>());
    }

    [Fact] // §6.4
    public async Task Stream_request_answered_with_json_gets_synthesized_events()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string toolCalls = """[{"id":"call_j1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"pwd\"}"}}]""";
        h.Upstream.Enqueue(Reply.Json(Chunks.Completion("Let me check.", finish: "tool_calls", reasoning: "Need the cwd.", toolCallsJson: toolCalls, prompt: 150, completion: 33)));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal("text/event-stream; charset=utf-8", r.ContentType);
        Assert.Equal(
        [
            "message_start",
            "content_block_start:0:thinking", "content_block_delta:0:thinking_delta", "content_block_delta:0:signature_delta", "content_block_stop:0",
            "content_block_start:1:text", "content_block_delta:1:text_delta", "content_block_stop:1",
            "content_block_start:2:tool_use", "content_block_delta:2:input_json_delta", "content_block_stop:2",
            "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("Need the cwd.", r.Concat(0, "thinking"));
        Assert.Equal("Let me check.", r.Concat(1, "text"));
        Assert.Equal("call_j1", r.Frames[8].Json["content_block"]!["id"]!.GetValue<string>());
        StreamEventSequenceTests.AssertSameJson("""{"command":"pwd"}""", r.Concat(2, "partial_json"));
        var delta = r.Event("message_delta");
        Assert.Equal("tool_use", delta["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Equal(33, delta["usage"]!["output_tokens"]!.GetValue<long>());
        Assert.Equal(150, delta["usage"]!["input_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Stream_request_answered_with_json_splits_an_orphan_think_close_like_a_whole_answer()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Json(Chunks.Completion("weighing options</think>Use a list.")));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start",
            "content_block_start:0:thinking", "content_block_delta:0:thinking_delta", "content_block_delta:0:signature_delta", "content_block_stop:0",
            "content_block_start:1:text", "content_block_delta:1:text_delta", "content_block_stop:1",
            "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("weighing options", r.Concat(0, "thinking"));
        Assert.Equal("Use a list.", r.Concat(1, "text"));
    }

    [Fact]
    public async Task Stream_request_answered_with_a_json_error_object_keeps_its_status()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Json("""{"error":{"object":"error","message":"This model's maximum context length is 32768 tokens. However, you requested 40000 tokens.","type":"BadRequestError","param":null,"code":400}}"""));

        var r = await h.StreamAsync();

        Assert.Equal(400, r.Status);
        Assert.Equal("application/json", r.ContentType);
        var error = JsonNode.Parse(r.Body)!["error"]!;
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.StartsWith("prompt is too long", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_request_answered_with_broken_json_is_a_502_json_error()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Json("""{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"cut"""));

        var r = await h.StreamAsync();

        Assert.Equal(502, r.Status);
        Assert.Equal("application/json", r.ContentType);
        Assert.Equal("api_error", JsonNode.Parse(r.Body)!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stream_request_answered_with_html_is_a_502_json_error()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Text(200, "text/html", "<html><body>Gateway login</body></html>"));

        var r = await h.StreamAsync();

        Assert.Equal(502, r.Status);
        Assert.Equal("application/json", r.ContentType);
        Assert.Equal("api_error", JsonNode.Parse(r.Body)!["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain("<html>", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_stream_request_answered_with_sse_is_aggregated_into_one_message()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Reasoning("Think."), Chunks.Content("Here"), Chunks.Content(" it is."),
            Chunks.ToolStart(0, "call_s1", "Read"), Chunks.ToolArgs(0, """{"file_path":"""), Chunks.ToolArgs(0, "\"/a.txt\"}"),
            Chunks.Finish("tool_calls"), Chunks.Usage(64, 21), Chunks.Done));

        using var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(stream: false));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.False(h.Upstream.ChatRequests.Single().Json!["stream"]!.GetValue<bool>());
        var m = JsonNode.Parse(text)!;
        Assert.Equal("message", m["type"]!.GetValue<string>());
        Assert.Equal(ProxyFixture.Model, m["model"]!.GetValue<string>());
        var content = m["content"]!.AsArray();
        Assert.Equal(3, content.Count);
        Assert.Equal("thinking", content[0]!["type"]!.GetValue<string>());
        Assert.Equal("Think.", content[0]!["thinking"]!.GetValue<string>());
        Assert.StartsWith("fp1.", content[0]!["signature"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("""{"type":"text","text":"Here it is."}""", content[1]!.ToJsonString());
        Assert.Equal("tool_use", content[2]!["type"]!.GetValue<string>());
        Assert.Equal("call_s1", content[2]!["id"]!.GetValue<string>());
        Assert.Equal("Read", content[2]!["name"]!.GetValue<string>());
        Assert.Equal("""{"file_path":"/a.txt"}""", content[2]!["input"]!.ToJsonString());
        Assert.Equal("tool_use", m["stop_reason"]!.GetValue<string>());
        Assert.Equal(64, m["usage"]!["input_tokens"]!.GetValue<long>());
        Assert.Equal(21, m["usage"]!["output_tokens"]!.GetValue<long>());
    }
}
