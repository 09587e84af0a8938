using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace FunctionsProxy.Tests.Translation;

/// <summary>
/// Thousands of seeded mutations of real Claude Code bodies against one proxy over loopback: no answer is a 5xx,
/// every 4xx is an Anthropic <c>invalid_request_error</c> with a message, and the backend never receives invalid
/// UTF-8 or a lone surrogate. <c>FUZZ_SEED</c> / <c>FUZZ_BODIES</c> reproduce or widen a run; <c>FUZZ_DUMP</c>
/// names a folder that receives failing bodies.
/// </summary>
public sealed class RequestFuzzTests(ITestOutputHelper output)
{
    private static readonly int BaseSeed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var s) ? s : 14_2026;
    private static readonly int Bodies = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_BODIES"), out var n) ? n : 4000;
    private const int Workers = 4;

    /// <summary>A conversation with the block types the captured samples lack (images, documents, thinking,
    /// server blocks, tool references, a mid-conversation system message) and every optional top-level field.</summary>
    private const string RichSeed = """
        {"model":"claude-sonnet-4-5","max_tokens":32000,"stream":true,"temperature":1,"top_p":0.9,"top_k":40,"stop_sequences":["END"],
         "metadata":{"user_id":"{\"device_id\":\"d\",\"account_uuid\":\"\",\"session_id\":\"5f1c\"}"},
         "thinking":{"type":"enabled","budget_tokens":1024},"output_config":{"effort":"high","format":{"type":"json_schema","schema":{"type":"object"}}},
         "tool_choice":{"type":"auto","disable_parallel_tool_use":true},
         "system":[{"type":"text","text":"x-anthropic-billing-header: cc_version=2.1.330;"},{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
         "tools":[{"name":"Bash","description":"Run a command","input_schema":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}},
                  {"name":"Grep","defer_loading":true,"input_schema":{"type":"object","properties":{"pattern":{"type":"string"}}}},
                  {"type":"web_search_20250305","name":"web_search","max_uses":3}],
         "messages":[
          {"role":"user","content":[{"type":"text","text":"look at this"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                                    {"type":"image","source":{"type":"url","url":"https://example.invalid/a.png"}},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc body"},"title":"notes"}]},
          {"role":"system","content":[{"type":"text","text":"<env>cwd=/repo</env>"}]},
          {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"redacted_thinking","data":"zz"},{"type":"text","text":"Let me check."},
                                         {"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls \\ \"x\""}},{"type":"tool_use","id":"toolu_02","name":"ToolSearch","input":{"query":"grep"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","is_error":true,"content":[{"type":"text","text":"a"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA=="}}]},
                                    {"type":"tool_result","tool_use_id":"toolu_02","content":[{"type":"tool_reference","tool_name":"Grep"}]},{"type":"text","text":"go on","cache_control":{"type":"ephemeral"}}]},
          {"role":"assistant","content":"ok"},
          {"role":"user","content":"thanks 😀"}]}
        """;

    [Fact]
    public async Task Mutated_claude_code_bodies_never_get_a_5xx_and_never_send_bad_text_upstream()
    {
        var seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Samples"), "*.json").Order()
            .Select(p => JsonNode.Parse(File.ReadAllText(p))!["body"]!.AsObject())
            .Append(JsonNode.Parse(RichSeed)!.AsObject())
            .ToArray();
        var tokenizeCalls = 0;
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["COUNT_TOKENS_MODE"] = "backend" }, upstream => upstream
            .On("/v1/chat/completions", r => r.Body.Contains("\"stream\":true", StringComparison.Ordinal)
                ? Reply.Sse(Chunks.Role(), Chunks.Content("hi"), Chunks.Finish("stop"), Chunks.Usage(10, 1), Chunks.Done)
                : Reply.Json(Chunks.Completion("hi")))
            // Every other tokenize call fails, so both the backend count and the local fallback see mutated bodies.
            .On("/tokenize", _ => Interlocked.Increment(ref tokenizeCalls) % 2 == 0
                ? Reply.Json("""{"count":42,"max_model_len":131072,"tokens":[]}""")
                : Reply.Json(404, """{"detail":"Not Found"}""")));

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var dump = Environment.GetEnvironmentVariable("FUZZ_DUMP");
        await Parallel.ForAsync(0, Workers, async (worker, ct) =>
        {
            var mutator = new RequestMutator(BaseSeed + worker);
            var pick = new Random(BaseSeed + worker);
            for (var i = worker; i < Bodies; i += Workers)
            {
                var seed = seeds[pick.Next(seeds.Length)];
                var body = mutator.Mutate(seed);
                var path = pick.Next(2) == 0 ? "/v1/messages?beta=true" : "/v1/messages/count_tokens?beta=true";
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add("x-api-key", "client-key");
                request.Headers.Add("anthropic-version", "2023-06-01");
                using var response = await f.Proxy.Client.SendAsync(request, ct);
                var answer = await response.Content.ReadAsByteArrayAsync(ct);
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                if (Problem(status, response.Content.Headers.ContentType?.MediaType, answer) is { } problem)
                {
                    failures.Enqueue($"#{i} seed={BaseSeed + worker} {path} [{string.Join("; ", mutator.Applied)}] -> {status}: {problem}");
                    if (dump is not null) await File.WriteAllBytesAsync(Path.Combine(dump, $"fuzz-{i}.json"), body, ct);
                }
            }
        });

        output.WriteLine($"seed {BaseSeed}, {Bodies} bodies: {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))}");
        foreach (var sent in f.Upstream.Requests)
            if (BadText(sent.RawBody) is { } bad) failures.Enqueue($"upstream {sent.Path} received {bad}");

        Assert.True(failures.IsEmpty, $"{failures.Count} failures (statuses {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))}):\n"
                                      + string.Join("\n", failures.Take(25)));
        // The run exercised both outcomes: the mutations are not all fatal, and not all harmless.
        Assert.True(statuses.GetValueOrDefault(200) > Bodies / 10, $"too few 200s: {string.Join(", ", statuses)}");
        Assert.True(statuses.GetValueOrDefault(400) > Bodies / 10, $"too few 400s: {string.Join(", ", statuses)}");
        Assert.NotEmpty(f.Upstream.ChatRequests);
    }

    /// <summary>What is wrong with an answer, or null.</summary>
    private static string? Problem(int status, string? mediaType, byte[] body)
    {
        if (status >= 500) return Head(body);
        if (status >= 400)
        {
            try
            {
                var error = JsonNode.Parse(body)!;
                if (error["type"]?.GetValue<string>() != "error") return "no error envelope: " + Head(body);
                if (error["error"]?["type"]?.GetValue<string>() != "invalid_request_error") return "wrong error type: " + Head(body);
                if (error["error"]?["message"]?.GetValue<string>() is not { Length: > 0 }) return "empty message: " + Head(body);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                return "error body is not JSON: " + Head(body);
            }
            return null;
        }
        if (status != 200) return "unexpected status";
        if (mediaType == "text/event-stream")
            return Encoding.UTF8.GetString(body).Contains("event: error", StringComparison.Ordinal) ? "SSE error event: " + Head(body) : null;
        return null;
    }

    /// <summary>Invalid UTF-8 anywhere, or a string or property name that does not decode (a lone surrogate escape).</summary>
    private static string? BadText(byte[] raw)
    {
        if (!Utf8.IsValid(raw)) return "invalid UTF-8";
        if (raw.Length == 0) return null; // GET /v1/models (model discovery)
        try
        {
            // Deep nesting inside a tool input or schema is valid JSON and goes upstream as sent.
            using var doc = JsonDocument.Parse(raw, new JsonDocumentOptions { MaxDepth = 1000 });
            return Strings(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return "undecodable JSON: " + e.Message;
        }
    }

    private static string? Strings(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                _ = e.GetString();
                return null;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    _ = p.Name;
                    if (Strings(p.Value) is { } bad) return bad;
                }
                return null;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                    if (Strings(item) is { } bad) return bad;
                return null;
            default:
                return null;
        }
    }

    private static string Head(byte[] body) => Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)));
}
