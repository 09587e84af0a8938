using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Translation;

/// <summary>Backends often write a blank line before their tool calls ("\n\n" then <c>tool_calls</c>, or
/// "\n&lt;tool_call&gt;" in markup). That whitespace is no text block of its own: Anthropic never answers with a blank
/// text block before a tool_use (and refuses one in a request's history). Whitespace followed by text, or all an answer
/// had, is kept as the backend sent it. Real HTTP both ways, JSON and stream, the blank split across chunks.</summary>
public sealed class BlankTextBeforeToolCallsTests
{
    private const string Call = """[{"id":"call_1","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]""";
    private const string HermesCall = "<tool_call>\n{\"name\": \"Bash\", \"arguments\": {\"command\": \"ls\"}}\n</tool_call>";

    private static readonly string[] ToolUseOnly =
        ["message_start", "content_block_start:0:tool_use", "content_block_delta:0:input_json_delta", "content_block_stop:0", "message_delta:tool_use", "message_stop"];

    private static string Ask(string model, bool stream)
        => $$"""{"model":"{{model}}","max_tokens":1000,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"list the files"}]}""";

    private static async Task<JsonNode> JsonAnswerAsync(ProxyFixture f, string model)
    {
        using var response = await f.Proxy.PostMessagesAsync(Ask(model, stream: false));
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static async Task<IReadOnlyList<SseFrame>> StreamAnswerAsync(ProxyFixture f, string model)
    {
        using var response = await f.Proxy.PostMessagesAsync(Ask(model, stream: true));
        var frames = SseFrames.Parse(await response.Content.ReadAsStringAsync());
        SseFrames.AssertGrammar(frames);
        return frames;
    }

    private static string[] Shape(IReadOnlyList<SseFrame> frames)
        => [.. SseFrames.Shape(frames).Select(s => s == "message_delta" ? "message_delta:" + frames.Single(f => f.Event == "message_delta").Json["delta"]!["stop_reason"]!.GetValue<string>() : s)];

    private static string[] BlockTypes(JsonNode message) => [.. message["content"]!.AsArray().Select(b => b!["type"]!.GetValue<string>())];

    [Theory]
    [InlineData("\n\n")]
    [InlineData(" \n\t")]
    public async Task Blank_content_before_native_tool_calls_is_no_text_block(string blank)
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion(blank, finish: "tool_calls", toolCallsJson: Call)));
        var message = await JsonAnswerAsync(f, "org/model");
        Assert.Equal(["tool_use"], BlockTypes(message));
        Assert.Equal("{\"command\":\"ls\"}", message["content"]![0]!["input"]!.ToJsonString());

        f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content(blank[..1]), Chunks.Content(blank[1..]),
            Chunks.ToolStart(0, "call_1", "Bash", "{\"command\":"), Chunks.ToolArgs(0, "\"ls\"}"), Chunks.Finish("tool_calls"), Chunks.Usage(10, 5), Chunks.Done));
        var frames = await StreamAnswerAsync(f, "org/model");
        Assert.Equal(ToolUseOnly, Shape(frames));
        Assert.Equal("{\"command\":\"ls\"}", SseFrames.Concat(frames, 0, "partial_json"));
    }

    [Fact]
    public async Task A_blank_line_before_tool_call_markup_is_no_text_block()
    {
        const string model = "Qwen/Qwen3-32B"; // hermes markup is parsed for this family
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("\n" + HermesCall, finish: "stop")));
        var message = await JsonAnswerAsync(f, model);
        Assert.Equal(["tool_use"], BlockTypes(message));
        Assert.Equal("Bash", message["content"]![0]!["name"]!.GetValue<string>());

        f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("\n"), Chunks.Content(HermesCall[..9]), Chunks.Content(HermesCall[9..]),
            Chunks.Finish("stop"), Chunks.Usage(10, 5), Chunks.Done));
        var frames = await StreamAnswerAsync(f, model);
        Assert.Equal(ToolUseOnly, Shape(frames));
    }

    [Fact]
    public async Task Whitespace_before_text_and_an_answer_of_only_whitespace_are_kept()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("\n"), Chunks.Content("\n"), Chunks.Content("Hello"), Chunks.Finish("stop"), Chunks.Usage(10, 5), Chunks.Done));
        var frames = await StreamAnswerAsync(f, "org/model");
        Assert.Equal("\n\nHello", SseFrames.Concat(frames, 0, "text"));
        Assert.Single(frames, fr => fr.Event == "content_block_start");

        f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("\n"), Chunks.Finish("stop"), Chunks.Usage(10, 1), Chunks.Done));
        frames = await StreamAnswerAsync(f, "org/model");
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_stop:0", "message_delta:end_turn", "message_stop"], Shape(frames));
        Assert.Equal("\n", SseFrames.Concat(frames, 0, "text"));

        // A long run of blanks is content: past 256 held characters the block opens, and nothing is lost on the way.
        f.Upstream.Enqueue(Reply.Sse([Chunks.Role(), .. Enumerable.Repeat(Chunks.Content("\n"), 300), Chunks.Content("Hi"), Chunks.Finish("stop"), Chunks.Usage(10, 5), Chunks.Done]));
        frames = await StreamAnswerAsync(f, "org/model");
        Assert.Equal(new string('\n', 300) + "Hi", SseFrames.Concat(frames, 0, "text"));
        Assert.Single(frames, fr => fr.Event == "content_block_start");

        f.Upstream.Enqueue(Reply.Json(Chunks.Completion(" ", finish: "stop")));
        var message = await JsonAnswerAsync(f, "org/model");
        Assert.Equal(["text"], BlockTypes(message));
        Assert.Equal(" ", message["content"]![0]!["text"]!.GetValue<string>());
    }
}
