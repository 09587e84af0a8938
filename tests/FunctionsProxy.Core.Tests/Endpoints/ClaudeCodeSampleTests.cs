using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Endpoints;

/// <summary>Captured Claude Code and SDK requests (Samples/, described in docs/samples.md) go through the proxy as sent.</summary>
public sealed class ClaudeCodeSampleTests
{
    private static JsonNode Sample(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", name)))!;

    private static async Task<(HttpResponseMessage Response, string Body, RecordedRequest Upstream)> Replay(string name)
    {
        var sample = Sample(name);
        await using var f = await ProxyFixture.StartAsync();
        var stream = sample["body"]!["stream"]?.GetValue<bool>() == true;
        f.Upstream.Enqueue(stream
            ? Reply.Sse(Chunks.Role(), Chunks.Content("hello"), Chunks.Finish("stop"), Chunks.Usage(20000, 3, 18000), Chunks.Done)
            : Reply.Json(Chunks.Completion("hello", prompt: 20000, completion: 3)));
        var request = new HttpRequestMessage(HttpMethod.Post, sample["url"]!.GetValue<string>())
        {
            Content = new StringContent(sample["body"]!.Json(), Encoding.UTF8, "application/json"),
        };
        foreach (var (k, v) in sample["headers"]!.AsObject())
        {
            if (k is "content-type" or "content-length" or "accept-encoding" or "host") continue;
            var value = v!.GetValue<string>() == "<removed>" ? (k == "authorization" ? "Bearer test-key" : "test-key") : v.GetValue<string>();
            request.Headers.TryAddWithoutValidation(k, value);
        }
        var response = await f.Proxy.Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync(), f.Upstream.ChatRequests.Single());
    }

    [Theory]
    [InlineData("cc-2.1.330-first-stream.json")]
    [InlineData("cc-2.1.330-nonstream-retry.json")]
    [InlineData("cc-2.1.330-tool-result-followup.json")]
    [InlineData("cc-2.1.330-toolsearch-followup.json")]
    [InlineData("sdk-csharp-13.12-nonstream.json")]
    public async Task Sample_translates_and_answers(string name)
    {
        var (response, body, upstream) = await Replay(name);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var up = upstream.Json!;
        var messages = up["messages"]!.AsArray();
        Assert.NotEmpty(messages);
        // No Anthropic-only vocabulary leaks upstream.
        var text = upstream.Body;
        foreach (var leaked in new[] { "cache_control", "context_management", "x-anthropic-billing-header", "\"defer_loading\"", "DeferredToolPlaceholder", "\"metadata\"", "\"thinking\":{", "output_config" })
            Assert.DoesNotContain(leaked, text);
        Assert.Equal("test-key", upstream.Header("authorization")?["Bearer ".Length..]);
        if (response.Content.Headers.ContentType!.MediaType == "text/event-stream")
            Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", body);
        else
            Assert.Equal("hello", JsonNode.Parse(body)!["content"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task First_stream_keeps_the_system_prompt_and_the_mid_array_system_message_in_place()
    {
        var (_, _, upstream) = await Replay("cc-2.1.330-first-stream.json");
        var messages = upstream.Json!["messages"]!.AsArray();
        Assert.Equal("system", messages[0]!["role"]!.GetValue<string>());
        Assert.StartsWith("You are a Claude agent, built on Anthropic's Claude Agent SDK.\n\n\nYou are an agent working", messages[0]!["content"]!.GetValue<string>());
        Assert.Equal("user", messages[1]!["role"]!.GetValue<string>());
        var parts = messages[1]!["content"]!.AsArray();
        Assert.StartsWith("<system-reminder>\n# Environment", parts[^1]!["text"]!.GetValue<string>());
        var tools = upstream.Json!["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).ToArray();
        Assert.Equal(["Agent", "Bash", "Edit", "ListAgents", "Read", "ReportFindings", "ScheduleWakeup", "Skill", "ToolSearch", "Workflow", "Write"], tools);
        Assert.Equal("00000000-0000-4000-8000-000000000001", upstream.Json!["user"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tool_result_follow_up_places_the_tool_message_after_the_assistant_call()
    {
        var (_, _, upstream) = await Replay("cc-2.1.330-tool-result-followup.json");
        var messages = upstream.Json!["messages"]!.AsArray();
        var roles = messages.Select(m => m!["role"]!.GetValue<string>()).ToArray();
        Assert.Equal(["system", "user", "assistant", "tool"], roles);
        Assert.Equal("""[{"id":"toolu_jfq7mz20cts","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\",\"description\":\"List files in current directory\"}"}}]""", messages[2]!["tool_calls"]!.Json());
        Assert.Equal("""{"role":"tool","tool_call_id":"toolu_jfq7mz20cts","content":"a.txt\nb.txt"}""", messages[3]!.Json());
    }

    [Fact]
    public async Task Tool_search_follow_up_loads_the_referenced_deferred_tool()
    {
        var (_, _, upstream) = await Replay("cc-2.1.330-toolsearch-followup.json");
        var tools = upstream.Json!["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).ToArray();
        Assert.Contains("WebFetch", tools);
        Assert.DoesNotContain("DeferredToolPlaceholder", tools);
        var toolMessage = upstream.Json!["messages"]!.AsArray().Single(m => m!["role"]!.GetValue<string>() == "tool");
        Assert.StartsWith("<functions><function>{\"description\":", toolMessage!["content"]!.GetValue<string>());
        Assert.Contains("\"name\":\"WebFetch\"", toolMessage["content"]!.GetValue<string>());
    }
}
