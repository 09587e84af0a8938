using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FunctionsProxy.Tests.Fallback;

/// <summary>Fallback chains over real HTTP: the proxy on loopback, the scripted backend answering per model id. Each
/// failure the next model may fix switches before any output, stream and non-stream; client errors and failures after
/// output do not; the client sees its own model id, the header names the backend model that answered.</summary>
public sealed class FallbackTests
{
    private const string Alias = "claude-opus-4-1";
    private const string First = "org/first";
    private const string Second = "org/second";
    private const string Chain = """{"opus":["org/first","org/second"]}""";

    private static string Hi(bool stream = false, string extra = "")
        => $$"""{"model":"{{Alias}}","max_tokens":200,"stream":{{(stream ? "true" : "false")}}{{extra}},"messages":[{"role":"user","content":"hi"}]}""";

    private static Reply Answer(bool stream, string text) => stream
        ? Reply.Sse(Chunks.Role(), Chunks.Content(text), Chunks.Finish("stop"), Chunks.Usage(20, 3), Chunks.Done)
        : Reply.Json(Chunks.Completion(text, prompt: 20, completion: 3));

    /// <summary>The backend answers by model id: <paramref name="first"/> for org/first, the fallback's answer otherwise.</summary>
    private static void Script(ScriptedUpstream upstream, Func<Reply> first, bool stream)
        => upstream.On("/v1/chat/completions", r => r.Json!["model"]!.GetValue<string>() == First ? first() : Answer(stream, "from second"));

    private static string[] ModelsAsked(ScriptedUpstream upstream) => upstream.ChatRequests.Select(r => r.Json!["model"]!.GetValue<string>()).ToArray();

    private static Task<ProxyServer> StartAsync(ScriptedUpstream upstream, Dictionary<string, string?>? extra = null, FakeTimeProvider? clock = null)
    {
        var settings = new Dictionary<string, string?> { [SettingNames.ModelMap] = Chain, [SettingNames.ModelFirstByteTimeout] = "0.5" };
        if (extra is not null) foreach (var (k, v) in extra) settings[k] = v;
        return ProxyServer.StartAsync(upstream, settings, clock is null ? null : b => b.Services.AddSingleton<TimeProvider>(clock));
    }

    public static TheoryData<string, bool> FailureKinds()
    {
        var data = new TheoryData<string, bool>();
        foreach (var kind in new[] { "500", "502", "503 no instances", "408 request timeout", "429 long retry-after", "429 after retries", "connection reset", "first-byte timeout", "404 model does not exist" })
            foreach (var stream in new[] { false, true }) data.Add(kind, stream);
        return data;
    }

    private static Func<Reply> Failure(string kind) => kind switch
    {
        "500" => () => Reply.Json(500, """{"object":"error","message":"Internal Server Error","type":"InternalServerError","code":500}"""),
        "502" => () => Reply.Text(502, "text/html", "<html><body>Bad Gateway</body></html>"),
        "503 no instances" => () => Reply.Json(503, """{"detail":"No instances available (yet) for chute_id=abc"}"""),
        "408 request timeout" => () => Reply.Json(408, """{"detail":"Request timed out"}"""),
        // Longer than PROXY_MAX_RETRY_AFTER (0.2 s in tests): the back-off does not wait for it.
        "429 long retry-after" => () => Reply.Json(429, """{"detail":"Too many requests"}""").Header("Retry-After", "30"),
        // Short: the back-off retries once (PROXY_MAX_RETRY_ON_429=1), gets 429 again, and gives up.
        "429 after retries" => () => Reply.Json(429, """{"detail":"Too many requests"}""").Header("Retry-After", "0"),
        "connection reset" => Reply.ResetBeforeHeaders,
        "first-byte timeout" => () => Reply.Json(Chunks.Completion("too late")).HeadersAfter(TimeSpan.FromSeconds(30)),
        "404 model does not exist" => () => Reply.Json(404, """{"object":"error","message":"The model `org/first` does not exist.","type":"NotFoundError","param":null,"code":404}"""),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(FailureKinds))]
    public async Task A_backend_failure_before_any_output_is_answered_by_the_next_model(string kind, bool stream)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        Script(upstream, Failure(kind), stream);
        await using var proxy = await StartAsync(upstream);

        using var response = await proxy.PostMessagesAsync(Hi(stream));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Second, Assert.Single(response.Headers.GetValues("x-backend-model")));
        var asked = ModelsAsked(upstream);
        Assert.Equal(First, asked[0]);
        Assert.Equal(Second, asked[^1]);
        Assert.Equal(kind == "429 after retries" ? 3 : 2, asked.Length); // the back-off's own retry stays on the first model
        if (stream)
        {
            var frames = SseFrames.Parse(body);
            SseFrames.AssertGrammar(frames);
            Assert.Single(frames, f => f.Event == "message_start");
            Assert.Equal(Alias, frames[0].Json["message"]!["model"]!.GetValue<string>());
            Assert.Equal("from second", SseFrames.Concat(frames, 0, "text"));
            Assert.Equal("message_stop", frames[^1].Event);
        }
        else
        {
            var message = JsonNode.Parse(body)!;
            Assert.Equal(Alias, message["model"]!.GetValue<string>());
            Assert.Equal("from second", message["content"]![0]!["text"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData(400, """{"object":"error","message":"This model's maximum context length is 131072 tokens. However, you requested 200000 tokens.","type":"BadRequestError","code":400}""", "invalid_request_error", "prompt is too long")]
    [InlineData(400, """{"object":"error","message":"temperature must be between 0 and 2","type":"BadRequestError","code":400}""", "invalid_request_error", "temperature")]
    [InlineData(401, """{"detail":"Invalid token"}""", "authentication_error", "HTTP 401")]
    [InlineData(403, """{"detail":"Forbidden"}""", "permission_error", "HTTP 403")]
    public async Task Errors_the_client_caused_are_answered_as_they_are_without_asking_another_model(int status, string json, string type, string message)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        Script(upstream, () => Reply.Json(status, json), stream: false);
        await using var proxy = await StartAsync(upstream);

        using var response = await proxy.PostMessagesAsync(Hi());
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(type, error["type"]!.GetValue<string>());
        Assert.Contains(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal([First], ModelsAsked(upstream));
        Assert.Equal(First, Assert.Single(response.Headers.GetValues("x-backend-model")));
    }

    [Fact]
    public async Task Once_output_has_started_the_model_never_changes_the_client_gets_the_partial_answer_and_an_error_event()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        // The connection drops only once the client holds the partial text (a reset racing the first bytes could
        // discard them on the proxy's side, which then rightly sees a failure before output).
        var delivered = new TaskCompletionSource();
        Script(upstream, () => Reply.Sse(Chunks.Role(), Chunks.Content("partial ")).WaitFor(delivered.Task).Abort(), stream: true);
        await using var proxy = await StartAsync(upstream);

        using var response = await proxy.PostMessagesAsync(Hi(stream: true), completion: HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("partial ", StringComparison.Ordinal)) seen.Append((char)reader.Read());
        delivered.SetResult();
        var frames = SseFrames.Parse(seen + await reader.ReadToEndAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("partial ", SseFrames.Concat(frames, 0, "text"));
        Assert.Equal("error", frames[^1].Event);
        Assert.Equal("api_error", frames[^1].Json["error"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(frames, f => f.Event == "message_stop");
        Assert.Equal([First], ModelsAsked(upstream));
    }

    [Fact]
    public async Task A_stream_committed_before_the_backend_answered_still_switches_models_as_no_content_was_written()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var release = new TaskCompletionSource();
        // The first model holds its headers past the commit time, then fails: message_start and pings are out by then.
        Script(upstream, () => Reply.Json(503, """{"detail":"No instances available"}""").HeadersAfter(release.Task), stream: true);
        await using var proxy = await StartAsync(upstream, new()
        {
            [SettingNames.StreamCommitAfter] = "0",
            [SettingNames.PingInterval] = "0.05",
            [SettingNames.ModelFirstByteTimeout] = "30",
        });

        using var response = await proxy.PostMessagesAsync(Hi(stream: true), completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Committed before any backend answer: the header cannot name a model yet.
        Assert.False(response.Headers.Contains("x-backend-model"));
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("event: ping", StringComparison.Ordinal)) seen.Append((char)reader.Read());
        release.SetResult();
        seen.Append(await reader.ReadToEndAsync());

        var frames = SseFrames.Parse(seen.ToString());
        SseFrames.AssertGrammar(frames);
        Assert.Single(frames, f => f.Event == "message_start");
        Assert.Equal(Alias, frames[0].Json["message"]!["model"]!.GetValue<string>());
        Assert.Equal("from second", SseFrames.Concat(frames, 0, "text"));
        Assert.Equal("message_stop", frames[^1].Event);
        Assert.Equal([First, Second], ModelsAsked(upstream));
        Assert.Contains(proxy.Logs.Entries, e => e.Contains("messages claude-opus-4-1 -> org/second", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_404_is_retried_with_the_catalogs_casing_first_and_then_the_next_model_answers()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var listings = 0;
        // Discovery knows the model only after the 404 forces a refresh, with other casing; that id fails too.
        upstream.On("/v1/models", _ => Reply.Json(Interlocked.Increment(ref listings) == 1
            ? """{"object":"list","data":[]}"""
            : """{"object":"list","data":[{"id":"Org/First","object":"model","created":1752000000,"owned_by":"org"}]}"""));
        upstream.On("/v1/chat/completions", r => r.Json!["model"]!.GetValue<string>() == Second
            ? Answer(false, "from second")
            : Reply.Json(404, """{"object":"error","message":"The model does not exist.","type":"NotFoundError","code":404}"""));
        await using var proxy = await StartAsync(upstream);

        using var response = await proxy.PostMessagesAsync(Hi());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["org/first", "Org/First", Second], ModelsAsked(upstream));
        Assert.Equal(Second, Assert.Single(response.Headers.GetValues("x-backend-model")));
    }

    [Fact]
    public async Task Every_model_failing_gives_the_last_ones_error()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", r => r.Json!["model"]!.GetValue<string>() == First
            ? Reply.Json(500, """{"detail":"first broke"}""")
            : Reply.Json(503, """{"detail":"second has no instances"}"""));
        await using var proxy = await StartAsync(upstream);

        using var response = await proxy.PostMessagesAsync(Hi());
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("overloaded_error", error["type"]!.GetValue<string>());
        Assert.Contains("second has no instances", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal([First, Second], ModelsAsked(upstream));
    }

    [Fact]
    public async Task A_model_that_cannot_serve_the_request_is_skipped_not_sent()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/models", _ => Reply.Json("""{"object":"list","data":[{"id":"tiny/NoTools-1B","object":"model","owned_by":"tiny","supported_features":[],"input_modalities":["text"]},{"id":"Qwen/Qwen3-VL-8B","object":"model","owned_by":"qwen","input_modalities":["text","image"],"supported_features":["tools"]}]}"""));
        upstream.On("/v1/chat/completions", _ => Answer(false, "ok"));
        await using var proxy = await StartAsync(upstream, new() { [SettingNames.ModelMap] = """{"opus":["tiny/NoTools-1B","Qwen/Qwen3-VL-8B"]}""" });
        const string image = """{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}""";
        const string tool = ""","tools":[{"name":"Read","description":"read a file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}]""";

        using (var plain = await proxy.PostMessagesAsync(Hi()))
            Assert.Equal("tiny/NoTools-1B", Assert.Single(plain.Headers.GetValues("x-backend-model")));
        using (var withImage = await proxy.PostMessagesAsync($$"""{"model":"{{Alias}}","max_tokens":50,"messages":[{"role":"user","content":[{{image}},{"type":"text","text":"what is this?"}]}]}"""))
            Assert.Equal("Qwen/Qwen3-VL-8B", Assert.Single(withImage.Headers.GetValues("x-backend-model")));
        using (var screenshot = await proxy.PostMessagesAsync($$$"""{"model":"{{{Alias}}}","max_tokens":50{{{tool}}},"messages":[{"role":"user","content":"look"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Read","input":{"path":"a.png"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{{{image}}}]}]}]}"""))
            Assert.Equal("Qwen/Qwen3-VL-8B", Assert.Single(screenshot.Headers.GetValues("x-backend-model")));
        using (var forced = await proxy.PostMessagesAsync($$"""{"model":"{{Alias}}","max_tokens":50{{tool}},"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"read it"}]}"""))
            Assert.Equal("Qwen/Qwen3-VL-8B", Assert.Single(forced.Headers.GetValues("x-backend-model")));
        // Tools offered but not forced: the tool-less model may still answer in text.
        using (var offered = await proxy.PostMessagesAsync($$"""{"model":"{{Alias}}","max_tokens":50{{tool}},"messages":[{"role":"user","content":"hi"}]}"""))
            Assert.Equal("tiny/NoTools-1B", Assert.Single(offered.Headers.GetValues("x-backend-model")));

        Assert.Equal(["tiny/NoTools-1B", "Qwen/Qwen3-VL-8B", "Qwen/Qwen3-VL-8B", "Qwen/Qwen3-VL-8B", "tiny/NoTools-1B"], ModelsAsked(upstream));
        // The vision model got the image it was chosen for.
        Assert.Contains("image_url", upstream.ChatRequests[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_model_cools_down_after_N_failures_then_one_request_probes_it()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2025-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var upstream = await ScriptedUpstream.StartAsync();
        var firstUp = false;
        upstream.On("/v1/chat/completions", r => r.Json!["model"]!.GetValue<string>() == First && !Volatile.Read(ref firstUp)
            ? Reply.Json(503, """{"detail":"No instances available"}""")
            : Answer(false, "ok"));
        await using var proxy = await StartAsync(upstream, new() { [SettingNames.ModelFailureThreshold] = "2", [SettingNames.ModelCooldown] = "60" }, clock);

        async Task<string> Served()
        {
            using var response = await proxy.PostMessagesAsync(Hi());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Assert.Single(response.Headers.GetValues("x-backend-model"));
        }
        int Asked() => upstream.ChatRequests.Count;

        Assert.Equal(Second, await Served());   // failure 1
        Assert.Equal(Second, await Served());   // failure 2: cools down
        Assert.Equal(4, Asked());
        Assert.Equal(Second, await Served());   // skipped: one backend call
        Assert.Equal(5, Asked());
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(Second, await Served());
        Assert.Equal(6, Asked());
        Assert.Contains("org/first", await SchemasCoolingAsync(proxy), StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromSeconds(1));   // cool-down over: this request probes, fails, and it cools down again
        Assert.Equal(Second, await Served());
        Assert.Equal([First, Second], ModelsAsked(upstream)[6..]);
        Assert.Equal(Second, await Served());
        Assert.Equal(9, Asked());

        Volatile.Write(ref firstUp, true);
        clock.Advance(TimeSpan.FromSeconds(60));  // the next probe succeeds and closes the breaker
        Assert.Equal(First, await Served());
        Assert.Equal(First, await Served());
        Assert.Equal("[]", await SchemasCoolingAsync(proxy));
        Assert.Contains(proxy.Logs.Entries, e => e.Contains("Model org/first cools down for 60 s after 2 consecutive failures", StringComparison.Ordinal));
        Assert.Contains(proxy.Logs.Entries, e => e.Contains("Model org/first answers again", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_goes_away_while_the_model_is_silent_is_not_a_failure_of_the_model(bool stream)
    {
        // One model, cooled down after a single failure: a client pressing Esc (twice) must not take it away from the
        // rest of the team.
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", _ => Answer(stream, "late").HeadersAfter(TimeSpan.FromSeconds(30)));
        await using var proxy = await StartAsync(upstream, new() { [SettingNames.ModelMap] = """{"opus":"org/first"}""", [SettingNames.ModelFailureThreshold] = "1" });

        for (var i = 0; i < 2; i++)
        {
            using var gone = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => proxy.PostMessagesAsync(Hi(stream), ct: gone.Token));
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (proxy.Logs.Entries.Count(e => e.Contains("Client disconnected", StringComparison.Ordinal)) < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        Assert.Equal(2, proxy.Logs.Entries.Count(e => e.Contains("Client disconnected", StringComparison.Ordinal)));
        Assert.Equal("[]", await SchemasCoolingAsync(proxy));
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Contains("cools down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_every_model_is_cooling_down_they_are_still_tried_in_order_rather_than_refusing()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", _ => Reply.Json(503, """{"detail":"No instances available"}"""));
        await using var proxy = await StartAsync(upstream, new() { [SettingNames.ModelFailureThreshold] = "1" });

        using (var first = await proxy.PostMessagesAsync(Hi())) Assert.Equal(529, (int)first.StatusCode);
        upstream.On("/v1/chat/completions", _ => Answer(false, "back"));
        using var second = await proxy.PostMessagesAsync(Hi());

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal([First, Second, First], ModelsAsked(upstream));
    }

    [Theory]
    [InlineData("org/m\u00f6del")]
    [InlineData("org/model\u0000x")]
    [InlineData("org/model name")]
    public async Task A_model_id_that_cannot_be_a_header_value_is_answered_without_the_header(string id)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", _ => Answer(false, "ok"));
        await using var proxy = await StartAsync(upstream);

        using var response = await proxy.PostMessagesAsync(new JsonObject
        {
            ["model"] = id,
            ["max_tokens"] = 10,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }),
        }.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("x-backend-model"));
        Assert.Equal(id, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["model"]!.GetValue<string>());
    }

    private static async Task<string> SchemasCoolingAsync(ProxyServer proxy)
        => JsonNode.Parse(await proxy.Client.GetStringAsync("/_schemas"))!["circuit_breaker"]!["cooling_down"]!.ToJsonString();
}
