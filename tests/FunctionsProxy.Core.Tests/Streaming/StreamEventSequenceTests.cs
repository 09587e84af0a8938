using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>docs/protocol.md §6.2, §5.3–§5.8: the exact Anthropic event sequence for each upstream stream shape.</summary>
public sealed class StreamEventSequenceTests
{
    [Fact] // §6.2, §6.3
    public async Task Plain_text_stream_has_exact_sequence_and_real_usage()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content(""), Chunks.Content("Hello"), Chunks.Content(", world"), Chunks.Content("!"),
            Chunks.Finish("stop"), Chunks.Usage(1200, 57, cached: 1024), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start", "content_block_start:0:text",
            "content_block_delta:0:text_delta", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta",
            "content_block_stop:0", "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("Hello, world!", r.Concat(0, "text"));

        var start = r.Event("message_start")["message"]!;
        Assert.StartsWith("msg_", start["id"]!.GetValue<string>());
        Assert.Equal("message", start["type"]!.GetValue<string>());
        Assert.Equal("assistant", start["role"]!.GetValue<string>());
        Assert.Equal(ProxyFixture.Model, start["model"]!.GetValue<string>());
        Assert.Empty(start["content"]!.AsArray());
        Assert.Null(start["stop_reason"]);
        Assert.True(start["usage"]!["input_tokens"]!.GetValue<long>() > 0);
        Assert.Equal(1, start["usage"]!["output_tokens"]!.GetValue<long>());

        var startBlock = r.Frames[1].Json["content_block"]!;
        Assert.Equal("""{"type":"text","text":""}""", startBlock.ToJsonString());

        var delta = r.Event("message_delta");
        Assert.Equal("end_turn", delta["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Null(delta["delta"]!["stop_sequence"]);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(delta.ToJsonString()).RootElement.GetProperty("delta").GetProperty("stop_sequence").ValueKind);
        Assert.Equal(57, delta["usage"]!["output_tokens"]!.GetValue<long>());
        Assert.Equal(176, delta["usage"]!["input_tokens"]!.GetValue<long>());
        Assert.Equal(1024, delta["usage"]!["cache_read_input_tokens"]!.GetValue<long>());

        Assert.Equal("""{"type":"message_stop"}""", r.Frames[^1].Data);
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_response_headers_are_sse_with_request_id()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Content("ok"), Chunks.Finish("stop"), Chunks.Usage(10, 1), Chunks.Done));

        var r = await h.StreamAsync();

        Assert.Equal(200, r.Status);
        Assert.Equal("text/event-stream; charset=utf-8", r.ContentType);
        Assert.Equal("no-cache", r.Headers["cache-control"]);
        Assert.StartsWith("req_", r.Headers["request-id"], StringComparison.Ordinal);
        Assert.False(r.Headers.ContainsKey("content-length"));
    }

    [Fact] // §5.8
    public async Task Upstream_request_asks_for_usage_and_usage_chunk_after_finish_lands_in_message_delta()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Done."), Chunks.Finish("stop"), Chunks.Usage(3000, 321), Chunks.Done));

        var r = await h.StreamAsync();

        var sent = h.Upstream.ChatRequests.Single().Json!;
        Assert.True(sent["stream"]!.GetValue<bool>());
        Assert.True(sent["stream_options"]!["include_usage"]!.GetValue<bool>());
        Assert.Equal("org/model", sent["model"]!.GetValue<string>());

        r.AssertWellFormed();
        var usage = r.Event("message_delta")["usage"]!;
        Assert.Equal(321, usage["output_tokens"]!.GetValue<long>());
        Assert.Equal(3000, usage["input_tokens"]!.GetValue<long>());
        Assert.Equal(0, usage["cache_read_input_tokens"]!.GetValue<long>());
    }

    [Theory] // §5.3, §5.6
    [InlineData("reasoning")]
    [InlineData("reasoning_content")]
    public async Task Reasoning_then_content_gives_signed_thinking_block_then_text_block(string field)
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        Func<string, string> think = field == "reasoning" ? Chunks.Reasoning : Chunks.ReasoningContent;
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), think("The user wants "), think("a greeting."), Chunks.Content("Hi"), Chunks.Content(" there"),
            Chunks.Finish("stop"), Chunks.Usage(40, 12), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start", "content_block_start:0:thinking",
            "content_block_delta:0:thinking_delta", "content_block_delta:0:thinking_delta", "content_block_delta:0:signature_delta",
            "content_block_stop:0",
            "content_block_start:1:text", "content_block_delta:1:text_delta", "content_block_delta:1:text_delta", "content_block_stop:1",
            "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("""{"type":"thinking","thinking":"","signature":""}""", r.Frames[1].Json["content_block"]!.ToJsonString());
        Assert.Equal("The user wants a greeting.", r.Concat(0, "thinking"));
        var signature = r.Concat(0, "signature");
        Assert.StartsWith("fp1.", signature, StringComparison.Ordinal);
        Assert.True(signature.Length > 20);
        Assert.Equal("Hi there", r.Concat(1, "text"));
        Assert.Equal("end_turn", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Equal(12, r.Event("message_delta")["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact] // §5.4
    public async Task One_tool_call_with_arguments_over_many_chunks_is_one_tool_use_block()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string args = """{"command":"ls -la /tmp","description":"List files in /tmp","timeout":120000}""";
        var parts = Split(args, 7);
        var chunks = new List<string> { Chunks.Role(), Chunks.ToolStart(0, "call_9f2c", "Bash") };
        chunks.AddRange(parts.Select(p => Chunks.ToolArgs(0, p)));
        chunks.AddRange([Chunks.Finish("tool_calls"), Chunks.Usage(900, 44), Chunks.Done]);
        h.Upstream.Enqueue(Reply.Sse([.. chunks]));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:tool_use", "content_block_delta:0:input_json_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
        var block = r.Frames[1].Json["content_block"]!;
        Assert.Equal("tool_use", block["type"]!.GetValue<string>());
        Assert.Equal("call_9f2c", block["id"]!.GetValue<string>());
        Assert.Equal("Bash", block["name"]!.GetValue<string>());
        Assert.Equal("{}", block["input"]!.ToJsonString());
        AssertSameJson(args, r.Concat(0, "partial_json"));
        var delta = r.Event("message_delta");
        Assert.Equal("tool_use", delta["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Equal(44, delta["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact] // §5.4
    public async Task Arguments_before_the_name_and_a_late_id_are_kept()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string args = """{"file_path":"/src/app/Program.cs","limit":200}""";
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(),
            Chunks.ToolArgs(0, """{"file_path":"""),
            Chunks.ToolArgs(0, "\"/src/app/"),
            Chunks.ToolName(0, "Read"),
            Chunks.ToolArgs(0, "Program.cs\",", id: "call_late_1"),
            Chunks.ToolArgs(0, "\"limit\":200}"),
            Chunks.Finish("tool_calls"), Chunks.Usage(500, 30), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:tool_use", "content_block_delta:0:input_json_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
        var block = r.Frames[1].Json["content_block"]!;
        Assert.Equal("call_late_1", block["id"]!.GetValue<string>());
        Assert.Equal("Read", block["name"]!.GetValue<string>());
        AssertSameJson(args, r.Concat(0, "partial_json"));
        Assert.Equal("tool_use", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
    }

    [Fact] // §5.4
    public async Task Id_repeated_on_every_delta_still_gives_one_block()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string args = """{"pattern":"**/*.cs","path":"/src"}""";
        var chunks = new List<string> { Chunks.Role(), Chunks.ToolStart(0, "call_qx_0", "Glob") };
        chunks.AddRange(Split(args, 5).Select(p => Chunks.ToolArgs(0, p, id: "call_qx_0")));
        chunks.AddRange([Chunks.Finish("tool_calls"), Chunks.Usage(300, 20), Chunks.Done]);
        h.Upstream.Enqueue(Reply.Sse([.. chunks]));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:tool_use", "content_block_delta:0:input_json_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
        Assert.Equal("call_qx_0", r.Frames[1].Json["content_block"]!["id"]!.GetValue<string>());
        AssertSameJson(args, r.Concat(0, "partial_json"));
    }

    [Fact] // §5.4
    public async Task Two_parallel_calls_interleaved_become_two_sequential_blocks()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string args0 = """{"command":"git status","description":"Show status"}""";
        const string args1 = """{"file_path":"/repo/README.md"}""";
        var p0 = Split(args0, 3);
        var p1 = Split(args1, 3);
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(),
            Chunks.ToolStart(0, "call_a", "Bash"), Chunks.ToolStart(1, "call_b", "Read"),
            Chunks.ToolArgs(0, p0[0]), Chunks.ToolArgs(1, p1[0]),
            Chunks.ToolArgs(0, p0[1]), Chunks.ToolArgs(1, p1[1]),
            Chunks.ToolArgs(0, p0[2]), Chunks.ToolArgs(1, p1[2]),
            Chunks.Finish("tool_calls"), Chunks.Usage(800, 60), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start",
            "content_block_start:0:tool_use", "content_block_delta:0:input_json_delta", "content_block_stop:0",
            "content_block_start:1:tool_use", "content_block_delta:1:input_json_delta", "content_block_stop:1",
            "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("call_a", r.Frames[1].Json["content_block"]!["id"]!.GetValue<string>());
        Assert.Equal("Bash", r.Frames[1].Json["content_block"]!["name"]!.GetValue<string>());
        Assert.Equal("call_b", r.Frames[4].Json["content_block"]!["id"]!.GetValue<string>());
        Assert.Equal("Read", r.Frames[4].Json["content_block"]!["name"]!.GetValue<string>());
        AssertSameJson(args0, r.Concat(0, "partial_json"));
        AssertSameJson(args1, r.Concat(1, "partial_json"));
        Assert.Equal("tool_use", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
    }

    [Fact] // §5.3
    public async Task Text_then_tool_closes_text_before_tool_use()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string args = """{"command":"ls"}""";
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("I'll list "), Chunks.Content("the files."),
            Chunks.ToolStart(0, "call_t1", "Bash"), Chunks.ToolArgs(0, """{"comm"""), Chunks.ToolArgs(0, """and":"ls"}"""),
            Chunks.Finish("tool_calls"), Chunks.Usage(210, 25), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start",
            "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta", "content_block_stop:0",
            "content_block_start:1:tool_use", "content_block_delta:1:input_json_delta", "content_block_stop:1",
            "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("I'll list the files.", r.Concat(0, "text"));
        AssertSameJson(args, r.Concat(1, "partial_json"));
        Assert.Equal("tool_use", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Equal(25, r.Event("message_delta")["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact] // §5.7, §6.1: an answer cut without finish_reason and [DONE] is not passed on as a whole one
    public async Task Eof_without_finish_or_done_is_an_error_event_not_a_normal_end()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Partial "), Chunks.Content("answer")));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta", "error"], r.Shape);
        Assert.Equal("Partial answer", r.Concat(0, "text"));
        var error = r.Frames[^1].Json["error"]!;
        Assert.Equal("api_error", error["type"]!.GetValue<string>());
        Assert.Contains("ended before it was complete", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", r.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("end_turn", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_call_without_id_or_arguments_gets_a_valid_id_and_an_empty_object()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        var head = "\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"org/model\"";
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(),
            $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"type\":\"function\",\"function\":{{\"name\":\"TodoRead\"}}}}]}},\"finish_reason\":null}}]}}",
            Chunks.Finish("tool_calls"), Chunks.Usage(100, 8), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:tool_use", "content_block_delta:0:input_json_delta", "content_block_stop:0", "message_delta", "message_stop"], r.Shape);
        var id = r.Frames[1].Json["content_block"]!["id"]!.GetValue<string>();
        Assert.Matches("^toolu_[a-zA-Z0-9_-]+$", id);
        Assert.Equal("TodoRead", r.Frames[1].Json["content_block"]!["name"]!.GetValue<string>());
        Assert.Equal("{}", r.Concat(0, "partial_json"));
    }

    [Fact]
    public async Task Thinking_then_tool_call_signs_and_closes_thinking_before_the_tool()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Reasoning("I should look."), Chunks.ToolStart(0, "call_k", "Grep"),
            Chunks.ToolArgs(0, """{"pattern":"TODO"}"""), Chunks.Finish("tool_calls"), Chunks.Usage(50, 10), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start",
            "content_block_start:0:thinking", "content_block_delta:0:thinking_delta", "content_block_delta:0:signature_delta", "content_block_stop:0",
            "content_block_start:1:tool_use", "content_block_delta:1:input_json_delta", "content_block_stop:1",
            "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("I should look.", r.Concat(0, "thinking"));
        AssertSameJson("""{"pattern":"TODO"}""", r.Concat(1, "partial_json"));
    }

    [Fact]
    public async Task Finish_with_length_maps_to_max_tokens_and_usage_null_chunks_are_ignored()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        var head = "\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"org/model\"";
        h.Upstream.Enqueue(Reply.Sse(
            $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":null}}],\"usage\":null}}",
            $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"Trunc\"}},\"finish_reason\":null}}],\"usage\":null}}",
            // A chunk with content and finish_reason: content first.
            $"{{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"ated\"}},\"finish_reason\":\"length\"}}],\"usage\":null}}",
            Chunks.Usage(77, 1024), Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal("Truncated", r.Concat(0, "text"));
        Assert.Equal("max_tokens", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
        Assert.Equal(1024, r.Event("message_delta")["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Matched_stop_sequence_is_reported_in_message_delta()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("1, 2, 3"), Chunks.Finish("stop", stopReason: "<END>"), Chunks.Usage(30, 7), Chunks.Done));

        var r = await h.StreamAsync($$"""{"model":"{{ProxyFixture.Model}}","max_tokens":64,"stream":true,"stop_sequences":["<END>","###"],"messages":[{"role":"user","content":"Count to 3"}]}""");

        r.AssertWellFormed();
        Assert.Equal(["<END>", "###"], h.Upstream.ChatRequests.Single().Json!["stop"]!.AsArray().Select(n => n!.GetValue<string>()));
        var delta = r.Event("message_delta")["delta"]!;
        Assert.Equal("stop_sequence", delta["stop_reason"]!.GetValue<string>());
        Assert.Equal("<END>", delta["stop_sequence"]!.GetValue<string>());
    }

    internal static string[] Split(string s, int parts)
    {
        var result = new string[parts];
        var size = (s.Length + parts - 1) / parts;
        for (var i = 0; i < parts; i++)
        {
            var start = Math.Min(s.Length, i * size);
            result[i] = s.Substring(start, Math.Min(size, s.Length - start));
        }
        return result;
    }

    internal static void AssertSameJson(string expected, string actual)
    {
        var a = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), a), $"expected {expected} but got {actual}");
    }
}
