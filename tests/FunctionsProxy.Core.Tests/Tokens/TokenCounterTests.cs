using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Endpoints;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Tokens;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace FunctionsProxy.Tests.Tokens;

/// <summary>
/// <c>count_tokens</c> cost is linear in the input: text is tokenized in bounded segments. The segmented count must
/// equal the tokenizer's count of the whole text (so the cut points are where o200k splits anyway), and long runs
/// without spaces (200 KB of backslashes took seconds of CPU) must count correctly through the endpoint.
/// </summary>
public sealed class TokenCounterTests
{
    private static string Repeat(string unit, int chars) => new StringBuilder(chars + unit.Length).Insert(0, unit, chars / unit.Length).ToString();

    [Theory]
    [InlineData("\\")]
    [InlineData("a")]
    [InlineData("7")]
    [InlineData("😀")]
    [InlineData("\"")]
    [InlineData(" ")]
    public void A_long_run_counts_as_the_whole_text_does(string unit)
    {
        // 12 000 characters: long enough for many segments, short enough for the whole-text count to stay cheap.
        var text = Repeat(unit, 12_000);
        Assert.True(text.Length > 10 * TokenCounter.SegmentLength);
        Assert.Equal(TokenCounter.O200k.CountTokens(text), TokenCounter.CountTokens(TokenCounter.O200k, text, CancellationToken.None));
    }

    [Fact]
    public void Prose_and_code_count_as_the_whole_text_does()
    {
        // Text with spaces, line breaks, punctuation before line breaks, indentation and tabs: cut only where o200k splits.
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "cc-2.1.330-first-stream.json"));
        var text = readme + "\n\tif (x) {\n\t\treturn y;\n\t}\n" + string.Concat(Enumerable.Repeat("Ende.\nNächste Zeile,  zwei  Leerzeichen\r\n", 200));
        Assert.True(text.Length > 50_000);
        Assert.Equal(TokenCounter.O200k.CountTokens(text), TokenCounter.CountTokens(TokenCounter.O200k, text, CancellationToken.None));
    }

    [Fact]
    public void Counting_stops_when_the_token_is_cancelled()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var text = Repeat("\\", 100_000);
        Assert.Throws<OperationCanceledException>(() => TokenCounter.CountTokens(TokenCounter.O200k, text, cts.Token));
    }

    [Fact]
    public async Task Count_tokens_with_200_KB_of_backslashes_in_a_tool_input_answers_with_a_count_linear_in_the_input()
    {
        await using var f = await ProxyFixture.StartAsync();
        async Task<int> Count(int backslashes)
        {
            // Each backslash is escaped in JSON, so the tool input's JSON text holds 2 × backslashes characters.
            var command = Repeat("\\\\", 2 * backslashes);
            var body = $$$"""{"model":"m","messages":[{"role":"user","content":"run it"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"{{{command}}}"}}]}]}""";
            var response = await f.Proxy.PostMessagesAsync(body, path: "/v1/messages/count_tokens");
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(text)!["input_tokens"]!.GetValue<int>();
        }

        var none = await Count(0);
        var small = await Count(10_240);
        var large = await Count(102_400); // 200 KB of JSON text in one string without a space
        Assert.True(small - none > 1000, $"{none} / {small}");
        Assert.Equal(10 * (small - none), large - none);
    }
}

/// <summary>The endpoint hands the request's abort token to the counter: a client gone during counting gets no answer
/// and the work stops (deterministic: the body stream itself signals the abort once it has been read).</summary>
public sealed class CountTokensAbortTests
{
    [Fact]
    public async Task A_client_that_goes_away_while_counting_stops_the_count()
    {
        await using var f = await ProxyFixture.StartAsync();
        using var aborted = new CancellationTokenSource();
        var run = new string('a', 50_000);
        var body = Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"user","content":"{{run}}"}]}""");
        var context = new DefaultHttpContext { RequestServices = f.Proxy.Services, RequestAborted = aborted.Token };
        context.Request.Method = "POST";
        context.Request.Headers["x-api-key"] = "client-key";
        context.Request.Body = new AbortAtEndStream(body, aborted);
        context.Response.Body = new RecordingStream();

        await EndpointRunner.RunAsync<CountTokensEndpoint>(context, (e, c, client) => e.HandleAsync(c, client));

        Assert.True(aborted.IsCancellationRequested);
        Assert.Equal(0, context.Response.Body.Length);
        Assert.DoesNotContain(f.Proxy.Logs.Entries, e => e.Contains("Unexpected failure"));
    }

    /// <summary>Keeps whatever is written, even after the abort, so an answer computed anyway would show.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => base.WriteAsync(buffer, offset, count, CancellationToken.None);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => base.WriteAsync(buffer, CancellationToken.None);
    }

    /// <summary>A request body that cancels the request's token when the reader reaches its end.</summary>
    private sealed class AbortAtEndStream(byte[] data, CancellationTokenSource abort) : MemoryStream(data)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, CancellationToken.None);
            if (read == 0) await abort.CancelAsync();
            return read;
        }
    }
}
