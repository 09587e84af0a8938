using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Backend families through the real host and the scripted upstream: markup → tool_use (§7.5), think
/// tags (§7.4), ids and names in history (§4.4, §4.5), reasoning switches (§7.3), raw arguments (§5.5) — docs/protocol.md.</summary>
public sealed class FamilyEndToEndTests
{
    public static TheoryData<string> SampleNames => new(FamilySamples.All.Select(s => s.Name));

    private static FamilySamples.Sample Sample(string name) => FamilySamples.All.Single(s => s.Name == name);

    private static string Ask(string model, bool stream, string extra = "")
        => $$"""{"model":"{{model}}","max_tokens":1000,"stream":{{(stream ? "true" : "false")}},{{extra}}"messages":[{"role":"user","content":"go"}]}""";

    [Theory]
    [MemberData(nameof(SampleNames))]
    public async Task Markup_in_a_json_answer_becomes_tool_use_blocks(string name)
    {
        var sample = Sample(name);
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion(sample.Content, finish: "stop")));
        var response = await f.Proxy.PostMessagesAsync(Ask(FamilyResponses.ModelFor[name], stream: false));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var (events, stop) = FamilyResponses.FromMessage(body);
        Assert.Equal(FamilyResponses.ClientEvents(sample), events);
        Assert.Equal("tool_use", stop);
        Assert.All(body["content"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "tool_use"),
            b => Assert.Matches("^[a-zA-Z0-9_-]+$", b!["id"]!.GetValue<string>()));
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public async Task Markup_in_a_stream_becomes_tool_use_blocks_without_leaking(string name)
    {
        var sample = Sample(name);
        await using var f = await ProxyFixture.StartAsync();
        foreach (var size in new[] { 1, 4, 11 })
        {
            var chunks = new List<string> { Chunks.Role() };
            chunks.AddRange(FamilyResponses.Pieces(sample.Content, size).Select(Chunks.Content));
            chunks.AddRange([Chunks.Finish("stop"), Chunks.Usage(50, 40), Chunks.Done]);
            f.Upstream.Enqueue(Reply.Sse([.. chunks]));
            var response = await f.Proxy.PostMessagesAsync(Ask(FamilyResponses.ModelFor[name], stream: true));
            var text = await response.Content.ReadAsStringAsync();
            var frames = SseFrames.Parse(text);
            var (events, stop) = FamilyResponses.FromSse(frames);
            Assert.Equal(FamilyResponses.ClientEvents(sample), events);
            Assert.Equal("tool_use", stop);
            foreach (var marker in new[] { "<|", "<｜", "<tool_call", "tool_call>", "<think", "</think", "<arg_", "<function=" })
                Assert.DoesNotContain(marker, text);
            Assert.Equal("message_stop", frames[^1].Event);
        }
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Stream_split_at_every_position_matches_the_json_answer(string name)
    {
        var sample = Sample(name);
        var profile = ModelProfileTable.Builtin.Resolve(FamilyResponses.ModelFor[name]);
        var expected = FamilyResponses.ClientEvents(sample);
        var whole = FamilyResponses.FromMessage(FamilyResponses.Assemble(profile, [Chunks.Completion(sample.Content)]));
        Assert.Equal(expected, whole.Events);
        Assert.Equal("tool_use", whole.StopReason);
        for (var i = 0; i <= sample.Content.Length; i++)
        {
            var split = FamilyResponses.Assemble(profile,
                [Chunks.Role(), Chunks.Content(sample.Content[..i]), Chunks.Content(sample.Content[i..]), Chunks.Finish("stop"), Chunks.Usage(5, 5)]);
            var (events, stop) = FamilyResponses.FromMessage(split);
            Assert.True(expected.SequenceEqual(events), $"{name} split at {i}: {string.Join(" / ", events)}");
            Assert.Equal("tool_use", stop);
        }
    }

    [Fact]
    public async Task Think_tags_and_orphan_close_tags_become_thinking_then_text()
    {
        await using var f = await ProxyFixture.StartAsync();
        foreach (var content in new[] { "<think>a</think>b", "a</think>b" })
        {
            f.Upstream.Enqueue(Reply.Json(Chunks.Completion(content)));
            var body = JsonNode.Parse(await (await f.Proxy.PostMessagesAsync(Ask("some/model", false))).Content.ReadAsStringAsync())!;
            var content0 = body["content"]!.AsArray();
            Assert.Equal(2, content0.Count);
            Assert.Equal("thinking", content0[0]!["type"]!.GetValue<string>());
            Assert.Equal("a", content0[0]!["thinking"]!.GetValue<string>());
            Assert.StartsWith(FunctionsProxy.Translation.ThinkingSignature.Prefix, content0[0]!["signature"]!.GetValue<string>());
            Assert.Equal("""{"type":"text","text":"b"}""", content0[1]!.Json());
            Assert.Equal("end_turn", body["stop_reason"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Streamed_think_tags_give_a_signed_thinking_block_then_text()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("<thi"), Chunks.Content("nk>\nStep one."), Chunks.Content(" Step two.</th"),
            Chunks.Content("ink>\n\nDone."), Chunks.Finish("stop"), Chunks.Usage(9, 7), Chunks.Done));
        var frames = SseFrames.Parse(await (await f.Proxy.PostMessagesAsync(Ask("some/model", true))).Content.ReadAsStringAsync());
        Assert.Equal(
            ["message_start", "content_block_start:0:thinking", "content_block_delta:0:thinking_delta", "content_block_delta:0:thinking_delta",
             "content_block_delta:0:signature_delta", "content_block_stop:0", "content_block_start:1:text", "content_block_delta:1:text_delta",
             "content_block_stop:1", "message_delta", "message_stop"],
            SseFrames.Shape(frames));
        Assert.Equal("Step one. Step two.", SseFrames.Concat(frames, 0, "thinking"));
        Assert.Equal("Done.", SseFrames.Concat(frames, 1, "text"));
    }

    [Fact]
    public async Task Kimi_ids_and_thinking_in_history_go_back_upstream_exactly()
    {
        await using var f = await ProxyFixture.StartAsync();
        // Turn 1: Kimi writes a call whose id is not a valid Anthropic id.
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion(null, finish: "tool_calls", reasoning: "Need ls.",
            toolCallsJson: """[{"id":"functions.Bash:0","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]""")));
        var first = JsonNode.Parse(await (await f.Proxy.PostMessagesAsync(Ask("moonshotai/Kimi-K2-Instruct-0905", false))).Content.ReadAsStringAsync())!;
        var toolUse = first["content"]![1]!;
        Assert.Equal("""{"type":"tool_use","id":"toolu_xfunctions_2EBash_3A0","name":"Bash","input":{"command":"ls"}}""", toolUse.Json());
        var thinking = first["content"]![0]!;

        // Turn 2: the client replays the turn; the backend sees its own id and its reasoning again.
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        var history = new JsonArray
        {
            new JsonObject { ["role"] = "user", ["content"] = "go" },
            new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(thinking.DeepClone(), toolUse.DeepClone()) },
            new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = "toolu_xfunctions_2EBash_3A0", ["content"] = "a.txt" }) },
        };
        var request = new JsonObject { ["model"] = "moonshotai/Kimi-K2-Instruct-0905", ["max_tokens"] = 100, ["messages"] = history };
        var response = await f.Proxy.PostMessagesAsync(request.Json());
        Assert.Equal(200, (int)response.StatusCode);
        var messages = f.Upstream.ChatRequests[1].Json!["messages"]!.AsArray();
        Assert.Equal("""{"role":"assistant","content":null,"reasoning_content":"Need ls.","tool_calls":[{"id":"functions.Bash:0","type":"function","function":{"name":"Bash","arguments":"{\"command\":\"ls\"}"}}]}""", messages[1]!.Json());
        Assert.Equal("""{"role":"tool","tool_call_id":"functions.Bash:0","content":"a.txt"}""", messages[2]!.Json());
    }

    [Fact]
    public async Task Thinking_is_not_sent_back_for_profiles_that_do_not_want_it()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        var request = """{"model":"Qwen/Qwen3-32B","max_tokens":100,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"x"},{"type":"text","text":"hi"}]},{"role":"user","content":"more"}]}""";
        await f.Proxy.PostMessagesAsync(request);
        Assert.Equal("""{"role":"assistant","content":"hi"}""", f.Upstream.ChatRequests.Single().Json!["messages"]![1]!.Json());
    }

    [Fact]
    public async Task Missing_tool_ids_are_generated_unique()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion(null, finish: "tool_calls",
            toolCallsJson: """[{"type":"function","function":{"name":"Read","arguments":"{}"}},{"id":"","type":"function","function":{"name":"Glob","arguments":"{}"}}]""")));
        var body = JsonNode.Parse(await (await f.Proxy.PostMessagesAsync(Ask("m", false))).Content.ReadAsStringAsync())!;
        var ids = body["content"]!.AsArray().Select(b => b!["id"]!.GetValue<string>()).ToArray();
        Assert.Equal(2, ids.Length);
        Assert.All(ids, id => Assert.Matches("^toolu_[0-9A-Za-z]{24}$", id));
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Fact]
    public async Task Long_mcp_tool_names_are_shortened_upstream_and_restored_for_the_client()
    {
        var longName = "mcp__claude_ai_Atlassian__getConfluencePageDescendantsWithLongSuffix_abcdefghijk";
        Assert.Equal(80, longName.Length);
        var shortName = ToolNameMapper.Shorten(longName);
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { [SettingNames.ToolNameMap] = """{"Bash":"run_shell"}""" });
        f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.ToolStart(0, "call_1", shortName, "{\"page\":"), Chunks.ToolArgs(0, "\"1\"}"),
            Chunks.ToolStart(1, "call_2", "run_shell", "{\"command\":\"ls\"}"), Chunks.Finish("tool_calls"), Chunks.Usage(20, 10), Chunks.Done));
        var request = $$$"""
            {"model":"m","max_tokens":100,"stream":true,
             "tools":[{"name":"{{{longName}}}","description":"d","input_schema":{"type":"object"}},{"name":"Bash","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":"go"},
               {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"{{{longName}}}","input":{}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"none"}]}]}
            """;
        var frames = SseFrames.Parse(await (await f.Proxy.PostMessagesAsync(request)).Content.ReadAsStringAsync());

        var up = f.Upstream.ChatRequests.Single().Json!;
        Assert.Equal(64, shortName.Length);
        Assert.Equal([shortName, "run_shell"], up["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).ToArray());
        Assert.Equal(shortName, up["messages"]![1]!["tool_calls"]![0]!["function"]!["name"]!.GetValue<string>());

        var starts = frames.Where(fr => fr.Event == "content_block_start").Select(fr => fr.Json["content_block"]!).ToArray();
        Assert.Equal([longName, "Bash"], starts.Select(s => s["name"]!.GetValue<string>()).ToArray());
        Assert.Equal("""{"page":"1"}""", SseFrames.Concat(frames, 0, "partial_json"));
    }

    /// <summary>Tools as Claude Code and MCP servers declare them: string parameters whose values look like numbers or
    /// literals, typed numbers, booleans, arrays and a nullable string.</summary>
    private const string TypedTools = """
        "tools":[
          {"name":"Write","input_schema":{"type":"object","properties":{"file_path":{"type":"string"},"content":{"type":"string"}},"required":["file_path","content"]}},
          {"name":"Bash","input_schema":{"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"},"run_in_background":{"type":"boolean"}}}},
          {"name":"mcp__tracker__update","input_schema":{"type":"object","properties":{"id":{"type":"integer"},"labels":{"type":"array","items":{"type":"string"}},
            "note":{"type":["string","null"]},"state":{"enum":["open","closed"]},"meta":{"anyOf":[{"type":"object"},{"type":"null"}]},"free":{}}}}],
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Qwen3_coder_xml_values_are_typed_by_the_tool_schema(bool stream)
    {
        // String parameters keep text that looks like JSON ("42", "true", "null", "[1]"); typed ones are converted the
        // way vLLM's qwen3coder parser converts them; parameters without a type keep the value's own shape.
        const string content = "<tool_call>\n<function=Write>\n<parameter=file_path>\n/tmp/answer.txt\n</parameter>\n<parameter=content>\n42\n</parameter>\n</function>\n</tool_call>"
            + "<tool_call>\n<function=Bash>\n<parameter=command>\ntrue\n</parameter>\n<parameter=timeout>\n120000\n</parameter>\n<parameter=run_in_background>\nFalse\n</parameter>\n</function>\n</tool_call>"
            + "<tool_call>\n<function=mcp__tracker__update>\n<parameter=id>\n7\n</parameter>\n<parameter=labels>\n[\"bug\", \"p1\"]\n</parameter>\n<parameter=note>\nnull\n</parameter>\n"
            + "<parameter=state>\n[1]\n</parameter>\n<parameter=meta>\n{\"a\": 1}\n</parameter>\n<parameter=free>\n3.5\n</parameter>\n</function>\n</tool_call>";
        string[] expected =
        [
            """{"file_path":"/tmp/answer.txt","content":"42"}""",
            """{"command":"true","timeout":120000,"run_in_background":false}""",
            """{"id":7,"labels":["bug","p1"],"note":null,"state":"[1]","meta":{"a":1},"free":3.5}""",
        ];
        await using var f = await ProxyFixture.StartAsync();
        var model = FamilyResponses.ModelFor["qwen3-coder"];
        Assert.Equal(expected, (await ToolUsesAsync(f, model, content, stream, TypedTools)).Inputs);
    }

    [Fact]
    public async Task Glm_arg_values_are_typed_by_the_tool_schema_through_the_tool_name_map()
    {
        // The model writes the upstream name (TOOL_NAME_MAP Bash → run_shell); the schema is found under the client's.
        const string content = "<tool_call>run_shell\n<arg_key>command</arg_key>\n<arg_value>2024</arg_value>\n<arg_key>timeout</arg_key>\n<arg_value>30</arg_value>\n</tool_call>"
            + "<tool_call>Write\n<arg_key>file_path</arg_key>\n<arg_value>a.json</arg_value>\n<arg_key>content</arg_key>\n<arg_value>{\"k\": [1, 2]}</arg_value>\n</tool_call>";
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { [SettingNames.ToolNameMap] = """{"Bash":"run_shell"}""" });
        var (names, inputs) = await ToolUsesAsync(f, FamilyResponses.ModelFor["glm-4.5"], content, stream: true, TypedTools);
        Assert.Equal(["Bash", "Write"], names);
        Assert.Equal(["""{"command":"2024","timeout":30}""", """{"file_path":"a.json","content":"{\"k\": [1, 2]}"}"""], inputs);
    }

    [Fact]
    public async Task Xml_values_of_tools_without_a_schema_keep_their_own_shape()
    {
        const string content = "<tool_call>\n<function=Unknown>\n<parameter=n>\n42\n</parameter>\n<parameter=s>\nhello\n</parameter>\n</function>\n</tool_call>";
        await using var f = await ProxyFixture.StartAsync();
        Assert.Equal(["""{"n":42,"s":"hello"}"""], (await ToolUsesAsync(f, FamilyResponses.ModelFor["qwen3-coder"], content, stream: false, TypedTools)).Inputs);
    }

    /// <summary>The tool_use names and inputs (raw JSON) the client receives, in order, for one upstream answer carrying markup.</summary>
    private static async Task<(string[] Names, string[] Inputs)> ToolUsesAsync(ProxyFixture f, string model, string content, bool stream, string tools)
    {
        if (stream)
        {
            var chunks = new List<string> { Chunks.Role() };
            chunks.AddRange(FamilyResponses.Pieces(content, 7).Select(Chunks.Content));
            chunks.AddRange([Chunks.Finish("stop"), Chunks.Usage(50, 40), Chunks.Done]);
            f.Upstream.Enqueue(Reply.Sse([.. chunks]));
        }
        else
        {
            f.Upstream.Enqueue(Reply.Json(Chunks.Completion(content, finish: "stop")));
        }
        var response = await f.Proxy.PostMessagesAsync(Ask(model, stream, tools));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        if (stream)
        {
            var frames = SseFrames.Parse(text);
            SseFrames.AssertGrammar(frames);
            var starts = frames.Where(fr => fr.Event == "content_block_start" && fr.Json["content_block"]!["type"]!.GetValue<string>() == "tool_use").ToArray();
            return (starts.Select(fr => fr.Json["content_block"]!["name"]!.GetValue<string>()).ToArray(),
                starts.Select(fr => SseFrames.Concat(frames, fr.Json["index"]!.GetValue<int>(), "partial_json")).ToArray());
        }
        using var doc = JsonDocument.Parse(text);
        var blocks = doc.RootElement.GetProperty("content").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "tool_use").ToArray();
        return (blocks.Select(b => b.GetProperty("name").GetString()!).ToArray(), blocks.Select(b => b.GetProperty("input").GetRawText()).ToArray());
    }

    [Fact]
    public async Task Reasoning_switches_follow_the_model_profile()
    {
        await using var f = await ProxyFixture.StartAsync();
        async Task<JsonNode> Upstream(string request)
        {
            f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
            var response = await f.Proxy.PostMessagesAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
            return f.Upstream.ChatRequests[^1].Json!;
        }

        var qwen = await Upstream(Ask("Qwen/Qwen3-235B-A22B", false, """ "thinking":{"type":"enabled","budget_tokens":31999},"""));
        Assert.Equal("""{"enable_thinking":true}""", qwen["chat_template_kwargs"]!.Json());
        Assert.Null(qwen["reasoning_effort"]);

        var glmOff = await Upstream(Ask("zai-org/GLM-4.6", false, """ "thinking":{"type":"disabled"},"""));
        Assert.Equal("""{"enable_thinking":false}""", glmOff["chat_template_kwargs"]!.Json());

        var oss = await Upstream(Ask("openai/gpt-oss-120b", false, """ "thinking":{"type":"adaptive"},"output_config":{"effort":"max"},"""));
        Assert.Equal("high", oss["reasoning_effort"]!.GetValue<string>());
        Assert.Null(oss["chat_template_kwargs"]);
        Assert.Null(oss["output_config"]);

        var none = await Upstream(Ask("Qwen/Qwen3-235B-A22B", false));
        Assert.Null(none["chat_template_kwargs"]);

        // The suffix forces thinking on and is not sent upstream; the client gets its own model string back.
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        var body = JsonNode.Parse(await (await f.Proxy.PostMessagesAsync(Ask("deepseek-ai/DeepSeek-V3.1:THINKING", false))).Content.ReadAsStringAsync())!;
        var ds = f.Upstream.ChatRequests[^1].Json!;
        Assert.Equal("deepseek-ai/DeepSeek-V3.1", ds["model"]!.GetValue<string>());
        Assert.Equal("""{"thinking":true}""", ds["chat_template_kwargs"]!.Json());
        Assert.Equal("deepseek-ai/DeepSeek-V3.1:THINKING", body["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Model_suffix_profiles_from_configuration_select_the_thinking_variant()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?>
        {
            [SettingNames.ModelProfiles] = """{"acme/*":{"thinking":"model_suffix"}}""",
        });
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        await f.Proxy.PostMessagesAsync(Ask("acme/Model", false, """ "thinking":{"type":"enabled","budget_tokens":4000},"""));
        await f.Proxy.PostMessagesAsync(Ask("acme/Model", false));
        Assert.Equal(["acme/Model:THINKING", "acme/Model"], f.Upstream.ChatRequests.Select(r => r.Json!["model"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task Irreparable_arguments_reach_the_client_raw_with_a_warning_and_repairable_ones_are_fixed()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion(null, finish: "tool_calls", toolCallsJson:
            """[{"id":"c1","type":"function","function":{"name":"Write","arguments":"{\"file_path\": \"x.py\", \"content\": \"secret-ish"}},{"id":"c2","type":"function","function":{"name":"Read","arguments":"{'path': 'a.py',}"}}]""")));
        var body = JsonNode.Parse(await (await f.Proxy.PostMessagesAsync(Ask("m", false))).Content.ReadAsStringAsync())!;
        Assert.Equal("""{"_raw_arguments":"{\"file_path\": \"x.py\", \"content\": \"secret-ish"}""", body["content"]![0]!["input"]!.Json());
        Assert.Equal("""{"path":"a.py"}""", body["content"]![1]!["input"]!.Json());
        var warning = Assert.Single(f.Proxy.Logs.Entries, e => e.Contains("_raw_arguments", StringComparison.Ordinal));
        Assert.StartsWith("Warning", warning);
        Assert.Contains("Length=" + "{\"file_path\": \"x.py\", \"content\": \"secret-ish".Length, warning);
        Assert.DoesNotContain("secret-ish", f.Proxy.Logs.All);
    }
    /// <summary>Only families whose templates open &lt;think&gt; hold text back at the start; others, and any model once
    /// reasoning arrived in its own field, stream text while the backend is still generating.</summary>
    [Theory]
    [InlineData("moonshotai/Kimi-K2-Instruct-0905", false)]
    [InlineData("some/unknown-model", true)]
    public async Task Text_streams_before_the_backend_finishes(string model, bool reasoningFirst)
    {
        await using var f = await ProxyFixture.StartAsync();
        var chunks = reasoningFirst
            ? new[] { Chunks.Role(), Chunks.Reasoning("Plan."), Chunks.Content("Hello"), Chunks.Content(" there") }
            : new[] { Chunks.Role(), Chunks.Content("Hello"), Chunks.Content(" there") };
        f.Upstream.Enqueue(Reply.Sse(chunks).HangUntilAborted(TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await f.Proxy.PostMessagesAsync(Ask(model, true), completion: HttpCompletionOption.ResponseHeadersRead, ct: cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var text = new System.Text.StringBuilder();
        while (text.ToString() != "Hello there")
        {
            var line = await reader.ReadLineAsync(cts.Token);
            Assert.NotNull(line);
            if (line.StartsWith("data: ", StringComparison.Ordinal) && JsonNode.Parse(line[6..])!["delta"]?["text"] is { } t) text.Append(t.GetValue<string>());
        }
        // The backend is still "generating": nothing ended the upstream response yet.
        Assert.False(f.Upstream.ConnectionAborted.IsCompleted);
        Assert.Equal("Hello there", text.ToString());
    }
}
