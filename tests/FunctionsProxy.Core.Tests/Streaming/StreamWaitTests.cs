using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;
using Xunit.Abstractions;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>
/// Streams that wait: a backend slow to send its headers (the stream is committed after PROXY_STREAM_COMMIT_AFTER and
/// kept alive with pings; later backend errors become SSE <c>error</c> events), pings timed from the last byte, and
/// the orphan <c>&lt;/think&gt;</c> hold-back bounded in time. Ordering is forced with gates in the scripted upstream,
/// not with sleeps, so the tests hold on a loaded machine.
/// </summary>
public sealed class StreamWaitTests(ITestOutputHelper output)
{
    private const string Ping = "event: ping\ndata: {\"type\":\"ping\"}\n\n";

    private static readonly Dictionary<string, string?> CommitFast = new()
    {
        [SettingNames.StreamCommitAfter] = "0.2",
        [SettingNames.PingInterval] = "0.1",
    };

    [Fact]
    public async Task Headers_later_than_the_commit_time_get_message_start_and_pings_first_then_the_answer()
    {
        await using var h = await ProxyFixture.StartMappedAsync(CommitFast);
        var headers = new TaskCompletionSource();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Cold "), Chunks.Content("start"), Chunks.Finish("stop"), Chunks.Usage(30, 2), Chunks.Done)
            .HeadersAfter(headers.Task));
        var request = ProxyFixture.Request();

        await using var s = await OpenAsync(h, request);
        // The backend has not even sent its status line, and the client already has a 200 stream.
        Assert.Equal(200, s.Status);
        Assert.Equal("text/event-stream; charset=utf-8", s.ContentType);
        var start = await s.NextAsync();
        Assert.StartsWith("event: message_start\n", start, StringComparison.Ordinal);
        var message = Data(start)["message"]!;
        Assert.StartsWith("msg_", message["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(ProxyFixture.Model, message["model"]!.GetValue<string>());
        // The input estimate the proxy uses until the backend reports usage (request bytes / 4).
        Assert.Equal(Encoding.UTF8.GetByteCount(request) / 4, message["usage"]!["input_tokens"]!.GetValue<long>());
        Assert.Equal(1, message["usage"]!["output_tokens"]!.GetValue<long>());
        Assert.Empty(message["content"]!.AsArray());
        Assert.Equal(Ping, await s.NextAsync());
        Assert.Equal(Ping, await s.NextAsync());
        Assert.Single(h.Upstream.ChatRequests);

        headers.SetResult();
        var rest = await s.RestAsync();

        var r = Parse(start + Ping + Ping + rest);
        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta",
            "content_block_stop:0", "message_delta", "message_stop",
        ], WithoutPings(r));
        Assert.Equal("Cold start", r.Concat(0, "text"));
        Assert.Equal(message["id"]!.GetValue<string>(), r.Event("message_start")["message"]!["id"]!.GetValue<string>());
        Assert.Equal(2, r.Event("message_delta")["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(500, """{"object":"error","message":"Internal server error","type":"InternalServerError","code":500}""", "api_error", "Internal server error")]
    [InlineData(429, """{"object":"error","message":"Too many requests, slow down.","type":"RateLimitError","code":429}""", "rate_limit_error", "Too many requests")]
    [InlineData(401, """{"detail":"Invalid API key."}""", "authentication_error", "Invalid API key")]
    [InlineData(503, """{"detail":"No instances available."}""", "overloaded_error", "")]
    public async Task A_backend_error_after_the_commit_is_an_sse_error_event_with_the_mapped_type(int status, string body, string type, string message)
    {
        await using var h = await ProxyFixture.StartMappedAsync(CommitFast);
        var headers = new TaskCompletionSource();
        // Retry-After longer than PROXY_MAX_RETRY_AFTER: the 429 goes back to the client, not retried.
        h.Upstream.Enqueue(Reply.Json(status, body).Header("Retry-After", "7").HeadersAfter(headers.Task));

        await using var s = await OpenAsync(h, ProxyFixture.Request());
        var start = await s.NextAsync();
        Assert.Equal(Ping, await s.NextAsync());
        headers.SetResult();
        var r = Parse(start + Ping + await s.RestAsync());

        Assert.Equal(200, r.Status);
        Assert.Equal(["message_start", "error"], WithoutPings(r));
        var error = r.Event("error");
        Assert.Equal("error", error["type"]!.GetValue<string>());
        Assert.Equal(type, error["error"]!["type"]!.GetValue<string>());
        Assert.Contains(message, error["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(r.Frames, f => f.Event == "message_stop");
        Assert.Equal("error", r.Frames[^1].Event);
        Assert.Single(h.Upstream.ChatRequests);
    }

    [Fact]
    public async Task A_backend_error_before_the_commit_time_keeps_its_http_status()
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.StreamCommitAfter] = "30", [SettingNames.PingInterval] = "0.1" });
        h.Upstream.Enqueue(Reply.Json(401, """{"detail":"Invalid API key."}""").HeadersAfter(TimeSpan.FromMilliseconds(300)));

        var r = await h.StreamAsync();

        Assert.Equal(401, r.Status);
        Assert.Equal("application/json", r.ContentType);
        var body = JsonNode.Parse(r.Body)!;
        Assert.Equal("authentication_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Equal(r.Headers["request-id"], body["request_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Commit_after_zero_commits_at_once_so_even_an_immediate_error_is_an_event()
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.StreamCommitAfter] = "0" });
        h.Upstream.Enqueue(Reply.Json(401, """{"detail":"Invalid API key."}"""));

        var r = await h.StreamAsync();

        Assert.Equal(200, r.Status);
        Assert.Equal(["message_start", "error"], r.Shape);
        Assert.Equal("authentication_error", r.Event("error")["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_429_after_the_commit_is_still_retried_behind_the_committed_stream()
    {
        var settings = new Dictionary<string, string?>(CommitFast) { [SettingNames.MaxRetryAfter] = "2", [SettingNames.MaxRetryOn429] = "1" };
        await using var h = await ProxyFixture.StartMappedAsync(settings);
        var headers = new TaskCompletionSource();
        h.Upstream.Enqueue(Reply.Json(429, """{"object":"error","message":"busy","type":"RateLimitError","code":429}""").Header("Retry-After", "0").HeadersAfter(headers.Task));
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("after the wait"), Chunks.Finish("stop"), Chunks.Usage(20, 4), Chunks.Done));

        await using var s = await OpenAsync(h, ProxyFixture.Request());
        var start = await s.NextAsync();
        Assert.Equal(Ping, await s.NextAsync());
        headers.SetResult();
        var r = Parse(start + Ping + await s.RestAsync());

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_stop:0", "message_delta", "message_stop"], WithoutPings(r));
        Assert.Equal("after the wait", r.Concat(0, "text"));
        Assert.Equal(2, h.Upstream.ChatRequests.Count);
    }

    [Fact]
    public async Task A_404_after_the_commit_still_retries_with_the_corrected_model_id()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var listings = 0;
        upstream.On("/v1/models", _ => Interlocked.Increment(ref listings) == 1
            ? Reply.Json("""{"data":[]}""")
            : Reply.Json("""{"data":[{"id":"deepseek-ai/DeepSeek-V3.1","created":1}]}"""));
        await using var proxy = await ProxyServer.StartAsync(upstream, CommitFast);
        var headers = new TaskCompletionSource();
        upstream.Enqueue(Reply.Json(404, """{"object":"error","message":"The model `deepseek-ai/deepseek-v3.1` does not exist.","code":404}""").HeadersAfter(headers.Task));
        upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("found"), Chunks.Finish("stop"), Chunks.Usage(9, 1), Chunks.Done));
        const string request = """{"model":"deepseek-ai/deepseek-v3.1","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        await using var s = await OpenAsync(proxy, request);
        var start = await s.NextAsync();
        Assert.Equal(Ping, await s.NextAsync());
        headers.SetResult();
        var r = Parse(start + Ping + await s.RestAsync());

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_stop:0", "message_delta", "message_stop"], WithoutPings(r));
        Assert.Equal("found", r.Concat(0, "text"));
        Assert.Equal("deepseek-ai/deepseek-v3.1", r.Event("message_start")["message"]!["model"]!.GetValue<string>());
        Assert.Equal(["deepseek-ai/deepseek-v3.1", "deepseek-ai/DeepSeek-V3.1"], upstream.ChatRequests.Select(q => q.Json!["model"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task The_backend_timing_out_after_the_commit_is_a_timeout_error_event()
    {
        var settings = new Dictionary<string, string?>(CommitFast) { [SettingNames.UpstreamTimeout] = "0.6" };
        await using var h = await ProxyFixture.StartMappedAsync(settings);
        h.Upstream.Enqueue(Reply.EmptySse().HeadersAfter(TimeSpan.FromSeconds(30)));

        var r = await h.StreamAsync();

        Assert.Equal(200, r.Status);
        Assert.Equal(["message_start", "error"], WithoutPings(r));
        Assert.Equal("timeout_error", r.Event("error")["error"]!["type"]!.GetValue<string>());
        await h.Upstream.ConnectionAborted.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    public async Task The_host_refuses_an_invalid_commit_time(string value)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            ProxyServer.StartAsync(upstream, new Dictionary<string, string?> { [SettingNames.StreamCommitAfter] = value }));
        Assert.Contains("PROXY_STREAM_COMMIT_AFTER must be a number of seconds.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_default_commit_time_is_five_seconds()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        Assert.Equal(TimeSpan.FromSeconds(5), h.Proxy.Services.GetRequiredService<IOptions<ProxyOptions>>().Value.StreamCommitAfter);
    }

    [Fact]
    public async Task A_ping_comes_exactly_one_interval_after_the_last_byte()
    {
        // The host's clock is a FakeTimeProvider: the test decides when time passes, so the bounds are exact.
        var clock = new FakeTimeProvider();
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?> { [SettingNames.ModelMap] = """{"sonnet":"org/model"}""" },
            b => b.Services.AddSingleton<TimeProvider>(clock));
        var content = new TaskCompletionSource();
        upstream.Enqueue(Reply.Sse(Chunks.Role()).WaitFor(content.Task).Data(Chunks.Content("late text")).HangUntilAborted(TimeSpan.FromSeconds(60)));

        await using var s = await OpenAsync(proxy, ProxyFixture.Request());
        Assert.StartsWith("event: message_start\n", await s.NextAsync(), StringComparison.Ordinal);
        // 6 s after message_start the text arrives: the next ping is due 10 s after the text, not 10 s after message_start.
        clock.Advance(TimeSpan.FromSeconds(6));
        content.SetResult();
        Assert.StartsWith("event: content_block_start\n", await s.NextAsync(), StringComparison.Ordinal);
        Assert.Contains("late text", await s.NextAsync(), StringComparison.Ordinal);

        await Task.Delay(100); // let the relay finish its bookkeeping for the text (it stamps the last write after the flush)
        clock.Advance(TimeSpan.FromSeconds(4));
        await s.AssertNothingWithinAsync(TimeSpan.FromMilliseconds(300));
        clock.Advance(TimeSpan.FromSeconds(6) - TimeSpan.FromMilliseconds(1));
        await s.AssertNothingWithinAsync(TimeSpan.FromMilliseconds(300));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Ping, await s.NextAsync());
        // And the next one a whole interval after that ping.
        clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        await s.AssertNothingWithinAsync(TimeSpan.FromMilliseconds(300));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(Ping, await s.NextAsync());
    }

    [Theory]
    [InlineData("Qwen/Qwen3-235B-A22B-Instruct-2507")]
    [InlineData("deepseek-ai/DeepSeek-V3.1")]
    public async Task A_slow_plain_answer_of_a_hold_back_family_starts_streaming_before_the_backend_finishes(string upstreamModel)
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.ModelMap] = $$"""{"sonnet":"{{upstreamModel}}"}""" });
        var more = new TaskCompletionSource();
        // A plain answer (no </think>) whose model then pauses: nothing decides the orphan check but the clock.
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Hello"), Chunks.Content(" there"))
            .WaitFor(more.Task)
            .Data(Chunks.Content(", again.")).Data(Chunks.Finish("stop")).Data(Chunks.Usage(12, 4)).Data(Chunks.Done));

        await using var s = await OpenAsync(h, ProxyFixture.Request());
        var start = await s.NextAsync();
        var clock = Stopwatch.StartNew();
        var blockStart = await s.NextAsync();
        var first = await s.NextAsync();
        output.WriteLine($"{upstreamModel}: first text_delta {clock.ElapsedMilliseconds} ms after message_start, backend still mid-answer");
        // The backend has not finished (it waits for the test): the held text went out on the clock.
        Assert.False(more.Task.IsCompleted);
        Assert.Equal("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello there\"}}\n\n", first);
        more.SetResult();
        var r = Parse(start + blockStart + first + await s.RestAsync());

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta",
            "content_block_stop:0", "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("Hello there, again.", r.Concat(0, "text"));
    }

    [Fact]
    public async Task An_orphan_think_close_within_the_hold_back_time_still_makes_a_thinking_block()
    {
        // The host's clock is a FakeTimeProvider and the backend pauses on a gate: the close comes 1 ms inside the
        // hold-back time however slow the machine is.
        var clock = new FakeTimeProvider();
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?> { [SettingNames.ModelMap] = """{"sonnet":"Qwen/Qwen3-235B-A22B-Instruct-2507"}""" },
            b => b.Services.AddSingleton<TimeProvider>(clock));
        var more = new TaskCompletionSource();
        upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("The user greets"))
            .WaitFor(more.Task)
            .Data(Chunks.Content(" me.</think>\n\nHi!")).Data(Chunks.Finish("stop")).Data(Chunks.Usage(12, 6)).Data(Chunks.Done));

        await using var s = await OpenAsync(proxy, ProxyFixture.Request());
        var start = await s.NextAsync();
        // The start of the reasoning is held, not sent as text, up to the last moment of the hold-back time.
        await s.AssertNothingWithinAsync(TimeSpan.FromMilliseconds(300));
        clock.Advance(global::FunctionsProxy.ModelFamilies.ModelProfileTable.PlainAnswerHoldBack - TimeSpan.FromMilliseconds(1));
        await s.AssertNothingWithinAsync(TimeSpan.FromMilliseconds(300));
        more.SetResult();
        var r = Parse(start + await s.RestAsync());

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start", "content_block_start:0:thinking", "content_block_delta:0:thinking_delta", "content_block_delta:0:signature_delta",
            "content_block_stop:0", "content_block_start:1:text", "content_block_delta:1:text_delta", "content_block_stop:1", "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("The user greets me.", r.Concat(0, "thinking"));
        Assert.Equal("Hi!", r.Concat(1, "text"));
    }

    [Fact]
    public async Task With_thinking_requested_the_hold_back_waits_for_the_orphan_close_however_long_the_reasoning_takes()
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.ModelMap] = """{"sonnet":"Qwen/Qwen3-235B-A22B-Thinking-2507"}""" });
        var more = new TaskCompletionSource();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Reasoning about it"))
            .WaitFor(more.Task)
            .Data(Chunks.Content(", done.</think>\n\nAnswer.")).Data(Chunks.Finish("stop")).Data(Chunks.Usage(12, 6)).Data(Chunks.Done));
        var request = $$"""{"model":"{{ProxyFixture.Model}}","max_tokens":2048,"stream":true,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}""";

        await using var s = await OpenAsync(h, request);
        var start = await s.NextAsync();
        // Well past the 1 s plain-answer bound, the reasoning is still held (it would otherwise leak out as text).
        await s.AssertNothingWithinAsync(TimeSpan.FromSeconds(2));
        more.SetResult();
        var r = Parse(start + await s.RestAsync());

        r.AssertWellFormed();
        Assert.Equal("Reasoning about it, done.", r.Concat(0, "thinking"));
        Assert.Equal("Answer.", r.Concat(1, "text"));
    }

    private static string[] WithoutPings(StreamResult r) => r.Shape.Where(e => e != "ping").ToArray();

    private static JsonNode Data(string frame) => JsonNode.Parse(frame[(frame.IndexOf("data: ", StringComparison.Ordinal) + 6)..])!;

    private static StreamResult Parse(string body)
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("") };
        response.Content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return new StreamResult(response, body);
    }

    private static Task<OpenStream> OpenAsync(ProxyFixture h, string request) => OpenAsync(h.Proxy, request);

    private static async Task<OpenStream> OpenAsync(ProxyServer proxy, string request)
    {
        var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var response = await proxy.PostMessagesAsync(request, completion: HttpCompletionOption.ResponseHeadersRead, ct: cts.Token);
        var body = await response.Content.ReadAsStreamAsync(cts.Token);
        return new OpenStream(response, body, cts);
    }

    /// <summary>A stream read frame by frame while the test controls the backend.</summary>
    private sealed class OpenStream(HttpResponseMessage response, Stream body, CancellationTokenSource cts) : IAsyncDisposable
    {
        private Task<string>? _pending;

        public int Status => (int)response.StatusCode;
        public string? ContentType => response.Content.Headers.ContentType?.ToString();

        public Task<string> NextAsync()
        {
            var next = _pending ?? StreamTransportTests.ReadFrameAsync(body, cts.Token);
            _pending = null;
            return next.WaitAsync(TimeSpan.FromSeconds(20));
        }

        /// <summary>No frame arrives within <paramref name="wait"/> (the read stays pending for the next call).</summary>
        public async Task AssertNothingWithinAsync(TimeSpan wait)
        {
            _pending ??= StreamTransportTests.ReadFrameAsync(body, cts.Token);
            var winner = await Task.WhenAny(_pending, Task.Delay(wait));
            Assert.True(winner != _pending, winner == _pending ? "unexpected frame: " + await _pending : null);
        }

        public async Task<string> RestAsync()
        {
            var sb = new StringBuilder();
            if (_pending is not null) sb.Append(await _pending.WaitAsync(TimeSpan.FromSeconds(20)));
            _pending = null;
            using var reader = new StreamReader(body, Encoding.UTF8);
            sb.Append(await reader.ReadToEndAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(30)));
            return sb.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            await cts.CancelAsync();
            if (_pending is not null) await Task.WhenAny(_pending);
            await body.DisposeAsync();
            response.Dispose();
            cts.Dispose();
        }
    }
}
