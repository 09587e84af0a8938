using Anthropic;
using Anthropic.Models.Messages;
using FunctionsProxy.Tests.Endpoints;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>The official Anthropic C# SDK's streaming API consuming the proxy's SSE: its strict parser and its
/// aggregator are the acceptance test for the event grammar.</summary>
public sealed class AnthropicSdkStreamingTests
{
    [Fact]
    public async Task Sdk_stream_reconstructs_text_and_a_tool_use_block()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string args = """{"command":"ls -la","description":"List files"}""";
        var chunks = new List<string> { Chunks.Role(), Chunks.Reasoning("Listing needs "), Chunks.Reasoning("Bash."), Chunks.Content("I'll run "), Chunks.Content("ls."), Chunks.ToolStart(0, "call_sdk_1", "Bash") };
        chunks.AddRange(StreamEventSequenceTests.Split(args, 6).Select(p => Chunks.ToolArgs(0, p)));
        chunks.AddRange([Chunks.Finish("tool_calls"), Chunks.Usage(420, 37), Chunks.Done]);
        h.Upstream.Enqueue(Reply.Sse([.. chunks]));

        var client = new AnthropicClient { ApiKey = "sk-ant-test", BaseUrl = h.Proxy.BaseAddress.ToString(), MaxRetries = 0 };
        var parameters = new MessageCreateParams
        {
            MaxTokens = 1024,
            Model = ProxyFixture.Model,
            Messages = [new UserMessageParam("List the files.")],
            Tools =
            [
                SdkTools.Bash(),
            ],
        };

        var events = new List<RawMessageStreamEvent>();
        await foreach (var e in client.Messages.CreateStreaming(parameters)) events.Add(e);
        var message = await ToAsync(events).Aggregate();

        Assert.True(events[0].TryPickStart(out _));
        Assert.True(events[^1].TryPickStop(out _));
        Assert.Equal(3, message.Content.Count);
        Assert.True(message.Content[0].TryPickThinking(out var thinking));
        Assert.Equal("Listing needs Bash.", thinking!.Thinking);
        Assert.StartsWith("fp1.", thinking.Signature, StringComparison.Ordinal);
        Assert.True(message.Content[1].TryPickText(out var text));
        Assert.Equal("I'll run ls.", text!.Text);
        Assert.True(message.Content[2].TryPickToolUse(out var tool));
        Assert.Equal("call_sdk_1", tool!.ID);
        Assert.Equal("Bash", tool.Name);
        Assert.Equal(2, tool.Input.Count);
        Assert.Equal("ls -la", tool.Input["command"].GetString());
        Assert.Equal("List files", tool.Input["description"].GetString());
        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        Assert.Equal(37, message.Usage.OutputTokens);
        Assert.Equal(420, message.Usage.InputTokens);

        var sent = h.Upstream.ChatRequests.Single().Json!;
        Assert.Equal("Bash", sent["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.True(sent["stream"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Sdk_stream_surfaces_a_mid_stream_failure_as_an_exception_not_a_message()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        // The pause lets the bytes before the reset reach the proxy even on a loaded machine (a reset before the
        // headers is a different case: a 529 before any byte).
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Half")).Delay(TimeSpan.FromSeconds(1.5)).Abort());

        var client = new AnthropicClient { ApiKey = "sk-ant-test", BaseUrl = h.Proxy.BaseAddress.ToString(), MaxRetries = 0 };
        var parameters = new MessageCreateParams { MaxTokens = 256, Model = ProxyFixture.Model, Messages = [new UserMessageParam("Hi")] };

        var events = new List<RawMessageStreamEvent>();
        var failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (var e in client.Messages.CreateStreaming(parameters)) events.Add(e);
        });

        var sse = Assert.IsType<global::Anthropic.Exceptions.AnthropicSseException>(failure);
        Assert.Contains("\"type\":\"api_error\"", sse.Message, StringComparison.Ordinal);
        Assert.Contains("The backend connection was lost mid-stream.", sse.Message, StringComparison.Ordinal);
        Assert.True(events[0].TryPickStart(out _));
        Assert.DoesNotContain(events, e => e.TryPickStop(out _));
    }

    private static async IAsyncEnumerable<RawMessageStreamEvent> ToAsync(IEnumerable<RawMessageStreamEvent> events)
    {
        foreach (var e in events) yield return e;
        await Task.CompletedTask;
    }
}
