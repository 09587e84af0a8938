using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Anthropic;

/// <summary>
/// Wrong input anywhere in a body is a 400 <c>invalid_request_error</c> naming the field path, the same on
/// <c>/v1/messages</c> and <c>/v1/messages/count_tokens</c>, and nothing of it reaches the backend. Unknown content
/// block types are dropped with a warning.
/// </summary>
public sealed class RequestValidationTests
{
    private const string Paths = "/v1/messages|/v1/messages/count_tokens";

    private static string Body(string messages, string extra = "")
        => $$"""{"model":"m","max_tokens":10{{extra}},"messages":{{messages}}}""";

    private static string Assistant(string block)
        => $$"""[{"role":"user","content":"hi"},{"role":"assistant","content":[{{block}}]},{"role":"user","content":"go on"}]""";

    private static string ToolResult(string part)
        => Assistant("""{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}""")[..^1]
           + $$""",{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{{part}}]}]}]""";

    private static async Task<(HttpStatusCode Status, JsonNode Body)> Post(ProxyFixture f, string path, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-api-key", "client-key");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await f.Proxy.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(text), $"{path} answered {(int)response.StatusCode} with an empty body");
        return (response.StatusCode, JsonNode.Parse(text)!);
    }

    public static TheoryData<string, string> WrongShapes => new()
    {
        // Wrong JSON types of block fields: each of these reached a GetString()/GetProperty() and answered 500.
        { Body("""[{"role":"user","content":[{"type":5,"text":"x"}]}]"""), "messages.0.content.0.type: Input should be a valid string" },
        { Body("""[{"role":"user","content":[{"type":"image","source":null}]}]"""), "messages.0.content.0.source: Input should be an object" },
        { Body("""[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":7,"data":"AA=="}}]}]"""), "messages.0.content.0.source.media_type: Input should be a valid string" },
        { Body("""[{"role":"user","content":[{"type":"document","source":{"type":["text"],"data":"x"}}]}]"""), "messages.0.content.0.source.type: Input should be a valid string" },
        { Body("""[{"role":"user","content":[{"type":"document","source":{"type":"text","data":"x"},"title":3}]}]"""), "messages.0.content.0.title: Input should be a valid string" },
        { Body(Assistant("""{"type":"tool_use","id":"toolu_1","name":42,"input":{}}""")), "messages.1.content.0.name: Input should be a valid string" },
        { Body(Assistant("""{"type":"tool_use","id":"toolu_1","name":"Bash","input":"ls"}""")), "messages.1.content.0.input: Input should be an object" },
        { Body(Assistant("""{"type":"thinking","thinking":{"a":1},"signature":"s"}""")), "messages.1.content.0.thinking: Input should be a valid string" },
        { Body(ToolResult("""{"type":"tool_reference","tool_name":5}""")), "messages.3.content.0.content.0.tool_name: Input should be a valid string" },
        { Body(ToolResult("""{"type":"image","source":{"type":"url","url":null}}""")), "messages.3.content.0.content.0.source.url: Input should be a valid string" },
        { Body(ToolResult("""{"type":"text","text":"a"}""").Replace("\"content\":[{\"type\":\"text\"", "\"is_error\":\"yes\",\"content\":[{\"type\":\"text\"")), "messages.3.content.0.is_error: Input should be a valid boolean" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","system":[{"type":"text","text":1}]"""), "system.0.text: Input should be a valid string" },
        // Tools and the other top-level fields the proxy reads.
        { Body("""[{"role":"user","content":"hi"}]""", ""","tools":[{"name":12,"input_schema":{"type":"object"}}]"""), "tools.0.name: Input should be a valid string" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","tools":[{"name":"a","type":5}]"""), "tools.0.type: Input should be a valid string" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","tools":[{"name":"a","input_schema":{},"description":["d"]}]"""), "tools.0.description: Input should be a valid string" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","tools":[{"name":"a","input_schema":{}}],"tool_choice":{"type":"tool","name":1}"""), "tool_choice.name: Input should be a valid string" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","tool_choice":{"type":7}"""), "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","stop_sequences":["END",5]"""), "stop_sequences.1: Input should be a valid string" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","metadata":{"user_id":99}"""), "metadata.user_id: Input should be a valid string" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","thinking":5"""), "thinking: Input should be an object" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","thinking":{"type":"enabled","budget_tokens":"lots"}"""), "thinking.budget_tokens: Input should be a valid integer" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","output_config":{"format":{"type":"json_schema","schema":"{}"}}"""), "output_config.format.schema: Input should be an object" },
        // Text that is not Unicode: a lone surrogate escape in a field that goes upstream, or in a property name.
        { Body("""[{"role":"user","content":[{"type":"text","text":"cut emoji \ud83d"}]}]"""), "messages.0.content.0.text: String has a lone UTF-16 surrogate escape \\ud83d" },
        { Body(Assistant("""{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"echo \udc00"}}""")), "messages.1.content.0.input.command: String has a lone UTF-16 surrogate escape \\udc00" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","system":"\ud800\ud800" """), "system: String has a lone UTF-16 surrogate escape \\ud800" },
        // Pairs as System.Text.Json writes them (upper case), a non-surrogate \uD7FF, an escaped backslash before "uD800",
        // then a lone low half: only the last one is refused.
        { Body("""[{"role":"user","content":[{"type":"text","text":"\uD83D\uDE00\uD83D\ude00 \uD7FF C:\\uD800 \uDC01"}]}]"""), "messages.0.content.0.text: String has a lone UTF-16 surrogate escape \\udc01" },
        // An escaped backslash, then a real lone surrogate escape (three backslashes in a row: the third opens \u).
        { Body("""[{"role":"user","content":[{"type":"text","text":"C:\\\ud83d and \\ud800"}]}]"""), "messages.0.content.0.text: String has a lone UTF-16 surrogate escape \\ud83d" },
        { Body("""[{"role":"user","content":"hi"}]""", ""","tools":[{"name":"a\udfff","input_schema":{}}]"""), "tools.0.name: String has a lone UTF-16 surrogate escape \\udfff" },
        { Body("""[{"role":"user","content":[{"type":"text","text":"x","k\ud800":1}]}]"""), "messages.0.content.0: Property name has a lone UTF-16 surrogate escape \\ud800" },
    };

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public async Task Wrong_shapes_are_400_with_the_field_path_on_both_routes_and_never_reach_the_backend(string body, string message)
    {
        // Backend counting translates the request too, so count_tokens exercises the same reads as /v1/messages.
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["COUNT_TOKENS_MODE"] = "backend" });
        foreach (var path in Paths.Split('|'))
        {
            var (status, json) = await Post(f, path, Encoding.UTF8.GetBytes(body));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("error", json["type"]!.GetValue<string>());
            Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
            Assert.StartsWith(message, json["error"]!["message"]!.GetValue<string>());
        }
        Assert.DoesNotContain(f.Upstream.Requests, r => r.Path != "/v1/models");
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE }, "messages.0.content.1.text: String is not valid UTF-8.")]
    [InlineData(new byte[] { 0xC3 }, "messages.0.content.1.text: String is not valid UTF-8.")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "messages.0.content.1.text: String is not valid UTF-8.")] // a surrogate encoded as UTF-8
    [InlineData(new byte[] { 0xC0, 0xAF }, "messages.0.content.1.text: String is not valid UTF-8.")] // overlong '/'
    public async Task Invalid_utf8_is_400_with_the_field_path_and_never_forwarded(byte[] bad, string message)
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["COUNT_TOKENS_MODE"] = "backend" });
        var body = Encoding.UTF8.GetBytes(Body("""[{"role":"user","content":[{"type":"text","text":"ok"},{"type":"text","text":"aBADb"}]}]"""));
        var at = body.AsSpan().IndexOf("BAD"u8);
        byte[] mutated = [.. body[..at], .. bad, .. body[(at + 3)..]];
        foreach (var path in Paths.Split('|'))
        {
            var (status, json) = await Post(f, path, mutated);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
            Assert.Equal(message, json["error"]!["message"]!.GetValue<string>());
        }
        Assert.DoesNotContain(f.Upstream.Requests, r => r.Path != "/v1/models");
    }

    [Fact]
    public async Task Surrogate_pairs_and_an_escaped_backslash_before_u_are_valid_text_and_go_upstream_unchanged()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        // \ud83d\ude00 is one emoji; \\ud800 is a backslash followed by the letters "ud800", not an escape.
        var body = Body("""[{"role":"user","content":[{"type":"text","text":"smile \ud83d\ude00 path C:\\ud800 \uDBFF\uDFFF 😀"}]}]""");
        var response = await f.Proxy.PostMessagesAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = f.Upstream.ChatRequests.Single();
        Assert.Contains("""smile \ud83d\ude00 path C:\\ud800 \uDBFF\uDFFF 😀""", Encoding.UTF8.GetString(upstream.RawBody));
        Assert.Equal("smile 😀 path C:\\ud800 \U0010FFFF 😀", upstream.Json!["messages"]![0]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_block_types_are_dropped_with_one_warning_and_the_request_goes_through()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        var body = Body("""
            [{"role":"user","content":[{"type":"text","text":"hello"},{"type":"hologram_2031","frames":[1,2]}]},
             {"role":"assistant","content":[{"type":"text","text":"hi"},{"type":"hologram_2031"},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}},{"type":"evil\ntype","x":1}]},
             {"role":"user","content":"again"}]
            """);
        var response = await f.Proxy.PostMessagesAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal("""[{"role":"user","content":"hello"},{"role":"assistant","content":"hi"},{"role":"user","content":"again"}]""",
            f.Upstream.ChatRequests.Single().Json!["messages"]!.Json());
        var warning = Assert.Single(f.Proxy.Logs.Entries, e => e.Contains("does not know"));
        Assert.StartsWith("Warning ", warning);
        // Known-but-unusable types (server_tool_use) are not reported; a type name cannot break the log line.
        Assert.Contains("BlockTypes=hologram_2031,evil?type", warning);
        Assert.Contains("Path=messages.0.content.1", warning);
        Assert.DoesNotContain("server_tool_use", warning);
    }

    [Fact]
    public async Task A_known_block_type_with_a_wrong_shape_is_not_treated_as_unknown()
    {
        await using var f = await ProxyFixture.StartAsync();
        var (status, json) = await Post(f, "/v1/messages", Encoding.UTF8.GetBytes(Body("""[{"role":"user","content":[{"type":"text"}]}]""")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("messages.0.content.0.text: Field required", json["error"]!["message"]!.GetValue<string>());
    }
}
