using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>Answers that are not whole are errors, never a normal end: a stream cut without finish_reason and [DONE],
/// a tool call whose arguments were cut, an error document sent with HTTP 200; and bytes that are not UTF-8 cost only
/// the broken character (U+FFFD), not the answer.</summary>
public sealed class IncompleteAnswerTests
{
    private static JsonNode ErrorOf(string body) => JsonNode.Parse(body)!["error"]!;

    [Fact]
    public async Task Stream_cut_inside_a_tool_call_never_emits_the_tool_use()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Cleaning up."), Chunks.ToolStart(0, "call_1", "Bash"),
            Chunks.ToolArgs(0, """{"command":"rm -rf /tmp/build"""), Chunks.ToolArgs(0, "/cache")));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "error"], r.Shape);
        Assert.DoesNotContain("tool_use", r.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("rm -rf", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_call_cut_by_max_tokens_is_dropped_and_the_answer_ends_as_max_tokens()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Cleaning up."), Chunks.ToolStart(0, "call_1", "Bash"),
            Chunks.ToolArgs(0, """{"command":"rm -rf /tmp/build"""), Chunks.Finish("length"), Chunks.Usage(40, 16), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
        Assert.Equal("max_tokens", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.DoesNotContain("tool_use", r.Body, StringComparison.Ordinal);
        Assert.Contains(h.Proxy.Logs.Entries, e => e.StartsWith("Warning", StringComparison.Ordinal) && e.Contains("cut off by max_tokens", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Complete_tool_call_at_max_tokens_is_kept()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.ToolStart(0, "call_1", "Bash", """{"command":"ls"}"""), Chunks.Finish("length"), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:tool_use", "content_block_delta:0:input_json_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Finish_without_done_or_done_without_finish_is_a_whole_answer(bool finish, bool done)
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        var items = new List<string> { Chunks.Role(), Chunks.Content("All of it.") };
        if (finish) items.Add(Chunks.Finish("stop"));
        if (done) items.Add(Chunks.Done);
        h.Upstream.Enqueue(Reply.Sse([.. items]));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
        Assert.Equal("end_turn", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Non_stream_answer_cut_without_finish_or_done_is_a_502()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Partial"), Chunks.ToolStart(0, "call_1", "Bash", """{"command":""")));

        using var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(stream: false));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("api_error", ErrorOf(body)["type"]!.GetValue<string>());
        Assert.DoesNotContain("tool_use", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_stream_json_answer_without_choices_is_a_502()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Json("""{"id":"chatcmpl-1","object":"chat.completion","created":1732500000,"model":"org/model"}"""));

        using var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(stream: false));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("api_error", ErrorOf(body)["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"object":"error","message":"'messages' must alternate","type":"BadRequestError","param":null,"code":400}""", 400, "invalid_request_error")]
    [InlineData("""{"object":"error","message":"This model's maximum context length is 32768 tokens.","type":"BadRequestError","code":400}""", 400, "invalid_request_error")]
    [InlineData("""{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}""", 429, "rate_limit_error")]
    [InlineData("""{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}""", 401, "authentication_error")]
    [InlineData("""{"detail":"No instances available for this chute, try again later"}""", 529, "overloaded_error")]
    [InlineData("""{"error":{"message":"Insufficient balance","code":402}}""", 402, "billing_error")]
    [InlineData("""{"error":{"message":"upstream request timed out","code":408}}""", 504, "timeout_error")]
    [InlineData("""{"error":{"message":"CUDA error: an illegal memory access was encountered","code":500}}""", 502, "api_error")]
    [InlineData("""{"error":"something went wrong"}""", 502, "api_error")]
    public async Task Error_document_with_http_200_keeps_a_fitting_status(string body, int status, string type)
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Json(200, body));
        h.Upstream.Enqueue(Reply.Json(200, body));

        using var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(stream: false));
        var text = await response.Content.ReadAsStringAsync();
        var streamed = await h.StreamAsync(); // a stream request answered with the same JSON: the status still counts

        foreach (var (actual, json) in new[] { ((int)response.StatusCode, text), (streamed.Status, streamed.Body) })
        {
            Assert.Equal(status, actual);
            Assert.Equal(type, ErrorOf(json)["type"]!.GetValue<string>());
            Assert.DoesNotContain("end_turn", json, StringComparison.Ordinal);
        }
        if (body.Contains("context length", StringComparison.Ordinal))
            Assert.StartsWith("prompt is too long", ErrorOf(text)["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>"café" with the second byte of "é" missing, then more text: what a tokenizer cut inside a character sends.</summary>
    private static byte[] WithBrokenCharacter(string json) => Encoding.UTF8.GetBytes(json) is var bytes && Array.IndexOf(bytes, (byte)'@') is var at and >= 0
        ? [.. bytes[..at], 0xC3, .. bytes[(at + 1)..]]
        : throw new ArgumentException("no placeholder");

    [Fact]
    public async Task Invalid_utf8_in_a_json_answer_becomes_a_replacement_character()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(new Reply().WriteBytes(WithBrokenCharacter(Chunks.Completion("caf@ au lait"))));

        using var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(stream: false));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("caf\uFFFD au lait", JsonNode.Parse(body)!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_utf8_in_a_stream_chunk_becomes_a_replacement_character()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.RawSse(
            Encoding.UTF8.GetBytes("data: " + Chunks.Role() + "\n\n"),
            WithBrokenCharacter("data: " + Chunks.Content("caf@") + "\n\n"),
            Encoding.UTF8.GetBytes("data: " + Chunks.Content(" au lait") + "\n\ndata: " + Chunks.Finish("stop") + "\n\ndata: [DONE]\n\n")));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal("caf\uFFFD au lait", r.Concat(0, "text"));
        Assert.Equal("message_stop", r.Frames[^1].Event);
    }

    [Fact]
    public async Task Invalid_utf8_in_an_event_error_frame_is_still_reported()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.RawSse(
            Encoding.UTF8.GetBytes("data: " + Chunks.Role() + "\n\n"),
            WithBrokenCharacter("event: error\ndata: worker caf@ crashed\n\n")));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "error"], r.Shape);
        Assert.Equal("worker caf\uFFFD crashed", r.Frames[^1].Json["error"]!["message"]!.GetValue<string>());
    }
}
