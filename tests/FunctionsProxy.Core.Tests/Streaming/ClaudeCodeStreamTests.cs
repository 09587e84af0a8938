using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>Claude Code's real first streamed request (Samples/cc-2.1.330-first-stream.json) through the stream path.</summary>
public sealed class ClaudeCodeStreamTests
{
    [Fact]
    public async Task Claude_code_first_request_streams_thinking_text_and_a_bash_call()
    {
        var sample = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Samples", "cc-2.1.330-first-stream.json")))!;
        await using var h = await ProxyFixture.StartMappedAsync(new() { ["MODEL_MAP"] = """{"some-model":"org/model"}""" });
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Reasoning("The user wants a listing. "), Chunks.Reasoning("Use Bash."),
            Chunks.Content("I'll list the files."), Chunks.ToolStart(0, "chatcmpl-tool-8d1e", "Bash", ""),
            Chunks.ToolArgs(0, """{"command": "ls"""), Chunks.ToolArgs(0, """ -la", "description": "List files in """), Chunks.ToolArgs(0, """current directory"}"""),
            Chunks.Finish("tool_calls"), Chunks.Usage(14210, 61, cached: 13312), Chunks.Done));

        using var request = new HttpRequestMessage(HttpMethod.Post, sample["url"]!.GetValue<string>())
        {
            Content = new StringContent(sample["body"]!.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in sample["headers"]!.AsObject())
        {
            if (name is "content-type" or "x-api-key") continue;
            request.Headers.TryAddWithoutValidation(name, value!.GetValue<string>());
        }
        request.Headers.Add("x-api-key", "client-key");
        using var response = await h.Proxy.Client.SendAsync(request);
        var r = new StreamResult(response, await response.Content.ReadAsStringAsync());

        r.AssertWellFormed();
        Assert.Empty(response.Content.Headers.ContentEncoding); // SSE is never compressed (it would be buffered)
        Assert.Equal(
        [
            "message_start",
            "content_block_start:0:thinking", "content_block_delta:0:thinking_delta", "content_block_delta:0:thinking_delta", "content_block_delta:0:signature_delta", "content_block_stop:0",
            "content_block_start:1:text", "content_block_delta:1:text_delta", "content_block_stop:1",
            "content_block_start:2:tool_use", "content_block_delta:2:input_json_delta", "content_block_stop:2",
            "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("some-model", r.Event("message_start")["message"]!["model"]!.GetValue<string>());
        Assert.Equal("chatcmpl-tool-8d1e", r.Frames[9].Json["content_block"]!["id"]!.GetValue<string>());
        StreamEventSequenceTests.AssertSameJson("""{"command":"ls -la","description":"List files in current directory"}""", r.Concat(2, "partial_json"));
        var usage = r.Event("message_delta")["usage"]!;
        Assert.Equal(61, usage["output_tokens"]!.GetValue<long>());
        Assert.Equal(898, usage["input_tokens"]!.GetValue<long>());
        Assert.Equal(13312, usage["cache_read_input_tokens"]!.GetValue<long>());
        Assert.Equal("tool_use", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());

        var sent = h.Upstream.ChatRequests.Single().Json!;
        Assert.Equal("org/model", sent["model"]!.GetValue<string>());
        Assert.True(sent["stream"]!.GetValue<bool>());
        Assert.True(sent["stream_options"]!["include_usage"]!.GetValue<bool>());
        Assert.Contains(sent["tools"]!.AsArray(), t => t!["function"]!["name"]!.GetValue<string>() == "Bash");
    }
}
