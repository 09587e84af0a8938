using System.Text;
using FunctionsProxy.Configuration;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>docs/protocol.md §6.1, §6.3, §6.6: pings while the backend is silent, cancellation reaching the backend,
/// UTF-8 across network reads, and the SSE dialects backends actually send.</summary>
public sealed class StreamTransportTests
{
    [Fact] // §6.3
    public async Task Silent_upstream_gets_pings_and_the_other_events_stay_intact()
    {
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.PingInterval] = "0.3" });
        // The role chunk carries no content: after it the backend is silent (as while a model prefills a long prompt).
        h.Upstream.Enqueue(Reply.EmptySse()
            .Data(Chunks.Role())
            .Delay(TimeSpan.FromSeconds(1.2))
            .Data(Chunks.Content("Slow "))
            .Delay(TimeSpan.FromSeconds(1.2))
            .Data(Chunks.Content("answer")).Data(Chunks.Finish("stop")).Data(Chunks.Usage(30, 2)).Data(Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        var pings = r.Frames.Where(f => f.Event == "ping").ToList();
        Assert.True(pings.Count >= 2, $"expected at least 2 pings, got {pings.Count}");
        Assert.All(pings, p => Assert.Equal("""{"type":"ping"}""", p.Data));
        Assert.Equal("message_start", r.Frames[0].Event);
        // A ping while the backend thinks before its first token, and another while the text block is open.
        var firstText = r.Frames.ToList().FindIndex(f => f.Event == "content_block_delta");
        Assert.Contains(r.Frames.Take(firstText), f => f.Event == "ping");
        Assert.Contains(r.Frames.Skip(firstText + 1), f => f.Event == "ping");
        Assert.Equal(
        [
            "message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta",
            "content_block_stop:0", "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("Slow answer", r.Concat(0, "text"));
        Assert.Equal("message_stop", r.Frames[^1].Event);
    }

    [Fact] // §6.3: first ping ≤ 15 s after message_start, then every ≤ 15 s (the checker wakes every interval/4)
    public async Task Default_ping_interval_keeps_pings_within_fifteen_seconds()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        var options = h.Proxy.Services.GetRequiredService<IOptions<ProxyOptions>>().Value;

        Assert.True(options.PingInterval > TimeSpan.Zero);
        Assert.True(options.PingInterval * 1.25 <= TimeSpan.FromSeconds(15), $"ping interval {options.PingInterval} can exceed 15 s");
    }

    [Fact]
    public async Task Pings_never_come_before_message_start_or_after_message_stop()
    {
        // A ping interval far below the chunk spacing: pings between nearly every pair of chunks.
        await using var h = await ProxyFixture.StartMappedAsync(new() { [SettingNames.PingInterval] = "0.02" });
        var reply = Reply.EmptySse().Data(Chunks.Role());
        for (var i = 0; i < 8; i++) reply.Delay(TimeSpan.FromMilliseconds(60)).Data(Chunks.Content($"t{i} "));
        reply.Data(Chunks.Finish("stop")).Delay(TimeSpan.FromMilliseconds(60)).Data(Chunks.Usage(20, 8)).Delay(TimeSpan.FromMilliseconds(60)).Data(Chunks.Done);
        h.Upstream.Enqueue(reply);

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Contains(r.Frames, f => f.Event == "ping");
        Assert.Equal("message_start", r.Frames[0].Event);
        Assert.Equal("message_stop", r.Frames[^1].Event);
        Assert.Equal("t0 t1 t2 t3 t4 t5 t6 t7 ", r.Concat(0, "text"));
        Assert.Equal(8, r.Event("message_delta")["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Message_start_arrives_before_the_backend_sends_its_first_token()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        // Only the role chunk (an empty first delta), then silence.
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role()).HangUntilAborted(TimeSpan.FromSeconds(30)));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(), completion: HttpCompletionOption.ResponseHeadersRead, ct: cts.Token);
        Assert.Equal(200, (int)response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
        var first = await ReadFrameAsync(body, cts.Token);

        Assert.StartsWith("event: message_start\ndata: {\"type\":\"message_start\"", first, StringComparison.Ordinal);
    }

    [Fact] // §6.6
    public async Task Client_disconnect_closes_the_upstream_connection()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Streaming a long answer")).HangUntilAborted(TimeSpan.FromSeconds(60)));

        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(), completion: HttpCompletionOption.ResponseHeadersRead, ct: cts.Token);
            var body = await response.Content.ReadAsStreamAsync(cts.Token);
            var seen = new StringBuilder();
            while (!seen.ToString().Contains("text_delta", StringComparison.Ordinal)) seen.Append(await ReadFrameAsync(body, cts.Token));
            Assert.False(h.Upstream.ConnectionAborted.IsCompleted);
            // Hang up mid-answer.
            await body.DisposeAsync();
            response.Dispose();
        }

        // Liveness, not a benchmark: the backend sees its connection closed.
        await h.Upstream.ConnectionAborted.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(h.Upstream.ChatRequests);
    }

    [Fact] // §6.6
    public async Task Client_disconnect_before_the_backend_answers_cancels_the_upstream_request()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        // Headers are never sent: the proxy is still waiting for the backend's answer when the client leaves.
        h.Upstream.Enqueue(Reply.EmptySse().HangUntilAborted(TimeSpan.FromSeconds(60)));

        using var cts = new CancellationTokenSource();
        var call = h.Proxy.PostMessagesAsync(ProxyFixture.Request(), completion: HttpCompletionOption.ResponseHeadersRead, ct: cts.Token);
        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            while (h.Upstream.ChatRequests.Count == 0) await Task.Delay(20, patience.Token);
        }
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        await h.Upstream.ConnectionAborted.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact] // §6.1
    public async Task Four_byte_utf8_character_split_across_network_writes_arrives_intact()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        var frame = Encoding.UTF8.GetBytes("data: " + Chunks.Content("Ship it 🚀 now, 日本語 ok") + "\n\n");
        var rocket = Encoding.UTF8.GetBytes("🚀");
        Assert.Equal(4, rocket.Length);
        var at = frame.AsSpan().IndexOf(rocket) + 2; // inside the 4-byte sequence
        h.Upstream.Enqueue(Reply.EmptySse()
            .Data(Chunks.Role())
            .WriteBytes(frame[..at]).Delay(TimeSpan.FromMilliseconds(100)).WriteBytes(frame[at..])
            .Data(Chunks.Finish("stop")).Data(Chunks.Usage(10, 9)).Data(Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal("Ship it 🚀 now, 日本語 ok", r.Concat(0, "text"));
        Assert.DoesNotContain("\uFFFD", r.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lone_utf16_surrogate_escape_becomes_a_replacement_character_and_the_stream_goes_on()
    {
        // Backends that escape text as UTF-16 (Python's ensure_ascii) can emit half of a pair; a .NET string cannot hold it.
        await using var h = await ProxyFixture.StartMappedAsync();
        const string head = "\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"org/model\"";
        string Delta(string escapedText) => "{" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + escapedText + "\"},\"finish_reason\":null}]}";
        h.Upstream.Enqueue(Reply.EmptySse()
            .Data(Chunks.Role())
            .Data(Delta("half \\ud83d here, "))                 // lone high surrogate
            .Data(Delta("pair \\ud83d\\ude80 ok, "))          // a valid escaped pair stays the emoji
            .Data(Delta("low \\ude80 and literal \\\\ud83d"))  // lone low surrogate; an escaped backslash is text
            .Data(Chunks.Finish("stop")).Data(Chunks.Usage(10, 9)).Data(Chunks.Done));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal("half \uFFFD here, pair 🚀 ok, low \uFFFD and literal \\ud83d", r.Concat(0, "text"));
        Assert.Equal("end_turn", r.Event("message_delta")["delta"]!["stop_reason"]!.GetValue<string>());
    }

    [Fact] // §6.1
    public async Task Sse_dialects_no_space_crlf_cr_comments_and_multi_line_data_are_parsed()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        const string head = "\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"org/model\"";
        var raw = string.Concat(
            ": keep-alive comment\r\n\r\n",
            "data:" + Chunks.Role() + "\r\n\r\n",
            "data:{" + head + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"no-space \"},\"finish_reason\":null}]}\r\n\r\n",
            ":another comment\n",
            "data: {" + head + ",\n",
            "data: \"choices\":[{\"index\":0,\"delta\":{\"content\":\"multi-line \"},\"finish_reason\":null}]}\n\n",
            "event: chunk\r\nid: 7\r\ndata: " + Chunks.Content("crlf ") + "\r\n\r\n",
            "data: " + Chunks.Content("cr-only") + "\r\r",
            "data:" + Chunks.Finish("stop") + "\r\n\r\n",
            "data: " + Chunks.Usage(11, 6) + "\r\n\r\n",
            "data:[DONE]\r\n\r\n");
        var bytes = Encoding.UTF8.GetBytes(raw);
        // Cut the bytes at awkward places: inside "\r\n" pairs and inside a field name.
        var cut1 = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 1;
        var cut2 = Encoding.UTF8.GetByteCount(raw[..(raw.IndexOf("data: \"choices\"", StringComparison.Ordinal) + 2)]);
        h.Upstream.Enqueue(Reply.RawSse(bytes[..cut1], bytes[cut1..cut2], bytes[cut2..]));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(
        [
            "message_start", "content_block_start:0:text",
            "content_block_delta:0:text_delta", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta",
            "content_block_stop:0", "message_delta", "message_stop",
        ], r.Shape);
        Assert.Equal("no-space multi-line crlf cr-only", r.Concat(0, "text"));
        Assert.Equal(6, r.Event("message_delta")["usage"]!["output_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Each_upstream_chunk_is_flushed_to_the_client_before_the_next_arrives()
    {
        await using var h = await ProxyFixture.StartMappedAsync();
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("first")).HangUntilAborted(TimeSpan.FromSeconds(60)));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await h.Proxy.PostMessagesAsync(ProxyFixture.Request(), completion: HttpCompletionOption.ResponseHeadersRead, ct: cts.Token);
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
        var frames = new List<string>();
        for (var i = 0; i < 3; i++) frames.Add(await ReadFrameAsync(body, cts.Token));

        // The backend is still holding its stream open: these frames were flushed per chunk, not buffered.
        Assert.StartsWith("event: message_start\n", frames[0], StringComparison.Ordinal);
        Assert.StartsWith("event: content_block_start\n", frames[1], StringComparison.Ordinal);
        Assert.Equal("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"first\"}}\n\n", frames[2]);
    }

    /// <summary>Reads one complete <c>…\n\n</c> frame (byte by byte — test-side only, so frames are never over-read).</summary>
    internal static async Task<string> ReadFrameAsync(Stream body, CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            var n = await body.ReadAsync(one, ct);
            if (n == 0) throw new EndOfStreamException("stream ended after: " + Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Add(one[0]);
            if (bytes.Count >= 2 && bytes[^1] == '\n' && bytes[^2] == '\n') return Encoding.UTF8.GetString(bytes.ToArray());
        }
    }
}
