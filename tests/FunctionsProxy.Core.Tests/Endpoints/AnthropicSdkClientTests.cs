using Anthropic;
using Anthropic.Models.Messages;
using Anthropic.Models.Models;
using FunctionsProxy.Configuration;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Endpoints;

/// <summary>
/// The official Anthropic C# SDK (13.12.0) as a real client of the local host over a scripted OpenAI-compatible
/// upstream: the four calls an SDK user makes — create, create streaming (with a tool call), count tokens, list models.
/// The SDK's own parsers and validators are part of the assertion: a shape it rejects fails the test.
/// </summary>
public sealed class AnthropicSdkClientTests : IAsyncLifetime
{
    private const string Alias = "claude-sonnet-4-5";
    private const string BackendModel = "org/model";
    private ScriptedUpstream _upstream = null!;
    private ProxyServer _proxy = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync();
        _upstream.On("/v1/models", _ => Reply.Json(
            $$"""{"object":"list","data":[{"id":"{{BackendModel}}","object":"model","created":1732500000,"owned_by":"sglang","root":"{{BackendModel}}","max_model_len":131072}]}"""));
        _upstream.On($"/v1/models/{BackendModel}", _ => Reply.Json(
            $$"""{"id":"{{BackendModel}}","object":"model","created":1732500000,"owned_by":"sglang","root":"{{BackendModel}}","max_model_len":131072}"""));
        _proxy = await ProxyServer.StartAsync(_upstream, new Dictionary<string, string?> { [SettingNames.ModelMap] = $$"""{"{{Alias}}":"{{BackendModel}}"}""" });
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private AnthropicClient Client() => new() { ApiKey = "sdk-client-key", BaseUrl = _proxy.BaseAddress.ToString().TrimEnd('/'), MaxRetries = 0 };


    [Fact]
    public async Task Create_returns_the_backend_answer_as_an_Anthropic_message()
    {
        _upstream.Enqueue(Reply.Json(Chunks.Completion("The repository has three projects.", prompt: 31, completion: 8)));

        var message = await Client().Messages.Create(new MessageCreateParams
        {
            MaxTokens = 128,
            Model = Alias,
            System = "You are terse.",
            Messages = [new UserMessageParam("Describe the repository.")],
        });

        Assert.Equal(Alias, (string)message.Model);
        Assert.Equal(StopReason.EndTurn, message.StopReason!.Value());
        Assert.True(Assert.Single(message.Content).TryPickText(out var text));
        Assert.Equal("The repository has three projects.", text!.Text);
        Assert.Equal(31, message.Usage.InputTokens);
        Assert.Equal(8, message.Usage.OutputTokens);
        message.Validate();

        var sent = Assert.Single(_upstream.ChatRequests);
        Assert.Equal("Bearer sdk-client-key", sent.Header("authorization"));
        Assert.Equal(BackendModel, sent.Json!["model"]!.GetValue<string>());
        Assert.Equal("""[{"role":"system","content":"You are terse."},{"role":"user","content":"Describe the repository."}]""", sent.Json!["messages"]!.Json());
        Assert.Equal(128, sent.Json!["max_tokens"]!.GetValue<int>());
        Assert.False(sent.Json!["stream"]!.GetValue<bool>());
    }

    [Fact]
    public async Task CreateStreaming_relays_text_and_a_tool_call_the_SDK_aggregates()
    {
        const string args = """{"command":"cat a.txt","description":"Show a.txt"}""";
        _upstream.Enqueue(Reply.Sse(
            Chunks.Role(),
            Chunks.Content("Let me "),
            Chunks.Content("look."),
            Chunks.ToolStart(0, "call_sdk_7", "Bash"),
            Chunks.ToolArgs(0, args[..17]),
            Chunks.ToolArgs(0, args[17..]),
            Chunks.Finish("tool_calls"),
            Chunks.Usage(240, 19),
            Chunks.Done));

        var events = new List<RawMessageStreamEvent>();
        await foreach (var e in Client().Messages.CreateStreaming(new MessageCreateParams
        {
            MaxTokens = 512,
            Model = Alias,
            Tools = [SdkTools.Bash()],
            Messages = [new UserMessageParam("What is in a.txt?")],
        }))
        {
            events.Add(e);
        }

        Assert.True(events[0].TryPickStart(out var start));
        Assert.Equal(Alias, (string)start!.Message.Model);
        Assert.True(events[^1].TryPickStop(out _));
        var message = await Replay(events).Aggregate();
        Assert.Equal(2, message.Content.Count);
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("Let me look.", text!.Text);
        Assert.True(message.Content[1].TryPickToolUse(out var tool));
        Assert.Equal("call_sdk_7", tool!.ID);
        Assert.Equal("Bash", tool.Name);
        Assert.Equal("cat a.txt", tool.Input["command"].GetString());
        Assert.Equal("Show a.txt", tool.Input["description"].GetString());
        Assert.Equal(2, tool.Input.Count);
        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        Assert.Equal(240, message.Usage.InputTokens);
        Assert.Equal(19, message.Usage.OutputTokens);

        var sent = Assert.Single(_upstream.ChatRequests).Json!;
        Assert.True(sent["stream"]!.GetValue<bool>());
        Assert.Equal("Bash", sent["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal("""{"type":"object","properties":{"command":{"type":"string"},"description":{"type":"string"}},"required":["command"]}""",
            sent["tools"]![0]!["function"]!["parameters"]!.Json());
    }

    [Fact]
    public async Task CountTokens_answers_locally_with_a_positive_count_that_grows_with_the_tools()
    {
        var client = Client();
        var bare = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = Alias,
            Messages = [new UserMessageParam("foo")],
        });
        var withTool = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = Alias,
            System = "You are Claude Code, Anthropic's official CLI for Claude.",
            Messages = [new UserMessageParam("foo")],
            Tools = [SdkTools.Bash()],
        });

        Assert.True(bare.InputTokens > 0, $"input_tokens = {bare.InputTokens}");
        Assert.True(withTool.InputTokens > bare.InputTokens, $"with system and a tool {withTool.InputTokens} <= bare {bare.InputTokens}");
        bare.Validate();
        Assert.Empty(_upstream.ChatRequests);
    }

    [Fact]
    public async Task Models_List_returns_an_Anthropic_list_with_the_configured_alias()
    {
        var page = await Client().Models.List(new ModelListParams { Limit = 1000 });
        page.Validate();

        Assert.NotEmpty(page.Items);
        Assert.Contains(page.Items, m => m.ID == Alias);
        foreach (var model in page.Items)
        {
            Assert.Equal("model", model.Type.ToString());
            Assert.False(string.IsNullOrEmpty(model.DisplayName), $"{model.ID} has no display_name");
            Assert.True(model.CreatedAt > DateTimeOffset.UnixEpoch, $"{model.ID} created_at {model.CreatedAt}");
        }
        Assert.False(page.HasNext());
        Assert.Empty(_upstream.ChatRequests);
    }

    private static async IAsyncEnumerable<RawMessageStreamEvent> Replay(IEnumerable<RawMessageStreamEvent> events)
    {
        foreach (var e in events) yield return e;
        await Task.CompletedTask;
    }
}
