using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Endpoints;

/// <summary>The official Anthropic C# SDK as the client: text, image and tool round trips, non-streaming.</summary>
public sealed class SdkRoundTripTests
{
    private static AnthropicClient Client(ProxyFixture f) => new() { ApiKey = "sdk-key", BaseUrl = f.Proxy.BaseAddress.ToString().TrimEnd('/'), MaxRetries = 0 };

    [Fact]
    public async Task Text_round_trip()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("Hello from the backend", prompt: 9, completion: 4)));
        var message = await Client(f).Messages.Create(new MessageCreateParams
        {
            MaxTokens = 64,
            Model = "some-model",
            Messages = [new UserMessageParam("say hi")],
        });
        Assert.Equal("some-model", (string)message.Model);
        Assert.Single(message.Content);
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("Hello from the backend", text!.Text);
        Assert.Equal(9, message.Usage.InputTokens);
        Assert.Equal(4, message.Usage.OutputTokens);
        Assert.Equal("Bearer sdk-key", f.Upstream.ChatRequests[0].Header("authorization"));
        Assert.Equal("""[{"role":"user","content":"say hi"}]""", f.Upstream.ChatRequests[0].Json!["messages"]!.Json());
    }

    [Fact]
    public async Task Image_round_trip()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("A red pixel.")));
        const string png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
        var message = await Client(f).Messages.Create(new MessageCreateParams
        {
            MaxTokens = 64,
            Model = "vision-model",
            Messages =
            [
                new UserMessageParam(new List<ContentBlockParam>
                {
                    new TextBlockParam("What is in this image?"),
                    new ImageBlockParam(new Base64ImageSource { Data = png, MediaType = MediaType.ImagePng }),
                }),
            ],
        });
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("A red pixel.", text!.Text);
        Assert.Equal($$$"""[{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{png}}}"}}]}]""",
            f.Upstream.ChatRequests[0].Json!["messages"]!.Json());
    }

    [Fact]
    public async Task Tool_round_trip()
    {
        await using var f = await ProxyFixture.StartAsync();
        var client = Client(f);
        var tool = new Tool
        {
            Name = "get_weather",
            Description = "Weather for a city",
            InputSchema = new InputSchema
            {
                Properties = new Dictionary<string, JsonElement> { ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }) },
                Required = ["city"],
            },
        };
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion(null, finish: "tool_calls",
            toolCallsJson: """[{"id":"call_w1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Oslo\"}"}}]""")));
        var first = await client.Messages.Create(new MessageCreateParams
        {
            MaxTokens = 256,
            Model = "tool-model",
            Tools = [tool],
            Messages = [new UserMessageParam("Weather in Oslo?")],
        });
        Assert.Equal("tool_use", (string)first.StopReason!);
        Assert.True(first.Content.Single().TryPickToolUse(out var use));
        Assert.Equal("call_w1", use!.ID);
        Assert.Equal("get_weather", use.Name);
        Assert.Equal("Oslo", use.Input["city"].GetString());

        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("It is 3 °C in Oslo.")));
        var second = await client.Messages.Create(new MessageCreateParams
        {
            MaxTokens = 256,
            Model = "tool-model",
            Tools = [tool],
            Messages =
            [
                new UserMessageParam("Weather in Oslo?"),
                new AssistantMessageParam(new List<ContentBlockParam> { new ToolUseBlockParam { ID = use.ID, Name = use.Name, Input = use.Input } }),
                new UserMessageParam(new List<ContentBlockParam> { new ToolResultBlockParam(use.ID) { Content = "3 °C, cloudy" } }),
            ],
        });
        Assert.True(second.Content[0].TryPickText(out var text));
        Assert.Equal("It is 3 °C in Oslo.", text!.Text);
        Assert.Equal("end_turn", (string)second.StopReason!);
        Assert.Equal("""[{"role":"user","content":"Weather in Oslo?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_w1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},{"role":"tool","tool_call_id":"call_w1","content":"3 °C, cloudy"}]""",
            f.Upstream.ChatRequests[1].Json!["messages"]!.Json());
        Assert.Equal("""[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]""",
            f.Upstream.ChatRequests[1].Json!["tools"]!.Json());
    }
}
