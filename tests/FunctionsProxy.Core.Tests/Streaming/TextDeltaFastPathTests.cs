using System.Buffers;
using System.Text;
using FunctionsProxy.Anthropic;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.OpenAi;
using FunctionsProxy.Streaming;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Translation;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>
/// The relay's fast path for text-only deltas (recognised from the chunk's bytes, text copied as UTF-8 into the SSE
/// frame) against the full path (deserialize the chunk, decode to a string, re-escape): the same upstream bytes must
/// give byte-identical Anthropic events, whatever the escapes, characters, broken text or read sizes.
/// </summary>
public sealed class TextDeltaFastPathTests
{
    private const string Head = "\"id\":\"chatcmpl-f\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"org/model\"";

    private static string Chunk(string delta, string extra = "") => $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":null{extra}}}]}}";

    private static byte[] Sse(params string[] frames)
    {
        var sb = new StringBuilder();
        foreach (var f in frames) sb.Append("data: ").Append(f).Append("\n\n");
        sb.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static readonly string Finish = $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}";

    /// <summary>Chunks the last fast relay took as text-only deltas (proves the fast path ran, not only agreed).</summary>
    private static int _lastFastChunks;

    private static async Task<string> RelayAsync(byte[] sse, bool fast, ModelProfile? profile = null, Random? splits = null)
    {
        var fastChunks = 0;
        var output = new ArrayBufferWriter<byte>();
        using (var sink = new SseEventSink(output))
        {
            var assembler = new MessageAssembler(sink, "claude-x", new ToolNameMapper(new Dictionary<string, string>()), null, 100, profile: profile);
            assembler.ContinueStarted("msg_fixed");
            await using Stream body = splits is null ? new MemoryStream(sse) : new ChoppedReadStream(sse, splits, maxRead: 9);
            await foreach (var chunk in UpstreamChunkReader.ReadAsync(body, null, reuseTextChunks: fast, CancellationToken.None))
            {
                if (chunk.Text is not null) fastChunks++;
                assembler.Accept(chunk);
            }
            assembler.Complete();
        }
        if (fast) _lastFastChunks = fastChunks;
        // Tool calls found in markup get a fresh random id: the one part that differs between two runs.
        return System.Text.RegularExpressions.Regex.Replace(Encoding.UTF8.GetString(output.WrittenSpan), "\"toolu_[A-Za-z0-9]+\"", "\"toolu_x\"");
    }

    private static async Task<string> BothAsync(byte[] sse, ModelProfile? profile = null)
    {
        var full = await RelayAsync(sse, fast: false, profile);
        var fast = await RelayAsync(sse, fast: true, profile);
        Assert.Equal(full, fast);
        return fast;
    }

    [Fact]
    public async Task Content_with_escapes_is_the_exact_text_delta()
    {
        // Quote, backslash, newline, tab, an escaped é and an escaped ASCII letter: unescaped, then written as the
        // writer writes them (relaxed encoder: é and A as themselves).
        var events = await BothAsync(Sse(Chunk("{\"role\":\"assistant\",\"content\":\"a\\\"b\\\\c\\nd\\te\\u00e9 \\u0041\"}"), Finish));
        Assert.Equal(1, _lastFastChunks);
        Assert.Equal("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\\\"b\\\\c\\nd\\teé A\"}}\n\n", Frame(events, "text_delta"));
    }

    /// <summary>The first delta frame of the given type, whole.</summary>
    private static string Frame(string events, string deltaType)
    {
        var at = events.IndexOf($"\"type\":\"{deltaType}\"", StringComparison.Ordinal);
        var start = events.LastIndexOf("event: ", at, StringComparison.Ordinal);
        return events[start..(events.IndexOf("\n\n", at, StringComparison.Ordinal) + 2)];
    }

    [Fact]
    public async Task Plain_content_is_copied_into_the_exact_frame()
    {
        var events = await BothAsync(Sse(Chunk("{\"content\":\"Hello, world. \"}"), Chunk("{\"content\":\"naïve 日本語\"}"), Finish));
        Assert.Equal(2, _lastFastChunks);
        Assert.Contains("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello, world. \"}}\n\n", events);
        Assert.Contains("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"naïve 日本語\"}}\n\n", events);
    }

    [Fact]
    public async Task Reasoning_with_unicode_and_surrogate_pairs_is_the_exact_thinking_delta()
    {
        // The rocket raw (4 UTF-8 bytes) and as an escaped surrogate pair: the encoder writes both as an escaped pair.
        var events = await BothAsync(Sse(
            Chunk("{\"reasoning_content\":\"plan 🚀 \\ud83d\\ude80 ok\"}"),
            Chunk("{\"reasoning\":\"ü\\\"\"}"),
            Chunk("{\"content\":\"done\"}"),
            Finish));
        Assert.Contains("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"plan \\uD83D\\uDE80 \\uD83D\\uDE80 ok\"}}\n\n", events);
        Assert.Contains("\"thinking\":\"ü\\\"\"}}", events);
        // The signature hashes the UTF-16 text: identical in both paths (compared above), present here.
        Assert.Contains("\"type\":\"signature_delta\",\"signature\":\"fp1.", events);
        Assert.Contains("\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"done\"}", events);
    }

    [Fact]
    public async Task Lone_surrogate_and_invalid_utf8_are_repaired_as_on_the_full_path()
    {
        var lone = await BothAsync(Sse(Chunk("{\"content\":\"a\\ud83d b\"}"), Finish));
        Assert.Equal(0, _lastFastChunks);
        Assert.Contains("\"text\":\"a\uFFFD b\"", lone);

        // "x" + the first two bytes of 日 (E6 97: a token cut inside the character) + "y": U+FFFD, as the full path gives.
        var framed = Encoding.UTF8.GetBytes("data: " + Chunk("{\"content\":\"xCUTy\"}") + "\n\n");
        var cut = framed.AsSpan().IndexOf("CUT"u8);
        byte[] sse = [.. framed.AsSpan(0, cut), 0xE6, 0x97, .. framed.AsSpan(cut + 3), .. Sse(Finish)];
        var invalid = await BothAsync(sse);
        Assert.Contains("\"text\":\"x\uFFFDy\"", invalid);
    }

    [Fact]
    public async Task A_chunk_split_across_reads_gives_the_same_bytes()
    {
        var sse = Sse(Chunk("{\"reasoning\":\"think ü 🚀\"}"), Chunk("{\"content\":\"日本語 and \\\"quotes\\\"\"}"), Chunk("{\"content\":\" more\"}"), Finish);
        var whole = await RelayAsync(sse, fast: false);
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal(whole, await RelayAsync(sse, fast: true, splits: new Random(seed)));
    }

    [Fact]
    public async Task Markup_and_held_back_text_still_reach_the_content_parser()
    {
        // Think tags and tool markup in content, and an orphan </think> hold-back: the text must go through the
        // demultiplexer, so the fast path copies only text it would pass through unchanged.
        var profile = ModelProfile.Default with { ParseThinkTags = true, ParseToolMarkup = true, OrphanThinkCloseWindow = 4096 };
        var sse = Sse(
            Chunk("{\"content\":\"pondering \"}"),
            Chunk("{\"content\":\"more</thi\"}"),
            Chunk("{\"content\":\"nk>Answer \"}"),
            Chunk("{\"content\":\"with <think>inner</think> and \"}"),
            Chunk("{\"content\":\"<tool_call>{\\\"name\\\":\\\"Bash\\\",\\\"arguments\\\":{\\\"command\\\":\\\"ls\\\"}}</tool_call>\"}"),
            Chunk("{\"content\":\" tail\"}"),
            Finish);
        var events = await BothAsync(sse, profile);
        Assert.Contains("\"thinking\":\"pondering more\"", events);
        Assert.Contains("\"name\":\"Bash\"", events);
        for (var seed = 0; seed < 10; seed++)
            Assert.Equal(await RelayAsync(sse, fast: false, profile), await RelayAsync(sse, fast: true, profile, new Random(seed)));
    }

    [Theory]
    [InlineData("{\"content\":\"hi\"}", "")]
    [InlineData("{\"role\":\"assistant\",\"content\":\"hi\",\"tool_calls\":null}", "")]
    [InlineData("{\"reasoning_content\":\"hm\",\"content\":null}", ",\"stop_reason\":null")]
    [InlineData("{\"reasoning\":\"hm\",\"reasoning_content\":null}", "")]
    public void Text_only_deltas_are_recognised(string delta, string extra)
    {
        using var text = new TextDelta();
        Assert.True(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(Chunk(delta, extra)), text));
        Assert.True(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(Chunk(delta, extra)[..^1] + ",\"usage\":null,\"error\":null}"), text));
    }

    [Theory]
    [InlineData("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")]
    [InlineData("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"length\"}]}")]
    [InlineData("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"reasoning_content\":\"b\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"\",\"reasoning_content\":\"b\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"a\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}},{\"index\":1,\"delta\":{\"content\":\"b\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],\"error\":{\"message\":\"boom\"}}")]
    [InlineData("{\"object\":\"error\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":7}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]} trailing")]
    [InlineData("[DONE]")]
    public void Everything_else_takes_the_full_path(string chunk)
    {
        using var text = new TextDelta();
        Assert.False(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(chunk), text));
    }

    [Fact]
    public void A_chunk_like_the_last_is_read_through_the_template()
    {
        using var text = new TextDelta();
        Assert.True(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(Chunk("{\"content\":\"first\"}")), text));
        Assert.Equal(0, text.TemplateHits);
        Assert.True(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(Chunk("{\"content\":\"line\\nbreak \\\"q\\\" \\u00e9 日本\"}")), text));
        Assert.Equal(1, text.TemplateHits);
        Assert.Equal("line\nbreak \"q\" é 日本", Encoding.UTF8.GetString(text.Utf8));
        Assert.False(text.IsReasoning);

        // Another field is another template: the full recognition runs once, then the new template serves.
        Assert.True(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(Chunk("{\"reasoning_content\":\"hm\"}")), text));
        Assert.True(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(Chunk("{\"reasoning_content\":\"hmm\"}")), text));
        Assert.Equal(2, text.TemplateHits);
        Assert.True(text.IsReasoning);
        Assert.Equal("hmm", Encoding.UTF8.GetString(text.Utf8));
    }

    /// <summary>A chunk with the template's bytes on both sides of the hole but something other than one string in it
    /// (an attacker's or a broken backend's) must get exactly the full recognition's answer.</summary>
    [Theory]
    [InlineData("\"ok\"", true, 1)]
    [InlineData("\"\"", true, 1)]
    [InlineData("\"a\",\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"x\"}}],\"b\":\"c\"", false, 0)]
    [InlineData("\"a\"},\"finish_reason\":\"stop\",\"x\":{\"y\":\"z\"", false, 0)]
    [InlineData("\"a\",\"content\":\"b\"", false, 0)]
    [InlineData("null", false, 0)]
    [InlineData("7", false, 0)]
    [InlineData("\"\\ud800\"", false, 0)]
    [InlineData("\"a\" ", true, 0)]
    [InlineData("\"unterminated", false, 0)]
    [InlineData("\"bad \\x escape\"", false, 0)]
    public void The_template_answers_as_the_full_recognition_would(string hole, bool recognised, int templateHits)
    {
        const string prefix = $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":";
        const string suffix = "},\"logprobs\":null,\"finish_reason\":null}]}";
        var chunk = Encoding.UTF8.GetBytes(prefix + hole + suffix);
        using var primed = new TextDelta();
        Assert.True(TextDeltaChunk.TryRead(Encoding.UTF8.GetBytes(prefix + "\"first\"" + suffix), primed));
        using var fresh = new TextDelta();

        Assert.Equal(recognised, TextDeltaChunk.TryRead(chunk, fresh));
        Assert.Equal(recognised, TextDeltaChunk.TryRead(chunk, primed));
        Assert.Equal(templateHits, primed.TemplateHits);
        if (recognised) Assert.Equal(Encoding.UTF8.GetString(fresh.Utf8), Encoding.UTF8.GetString(primed.Utf8));
    }

    [Fact]
    public async Task Random_streams_give_identical_bytes_on_both_paths()
    {
        string[] words = ["ls", "日本語", "naïve", "🚀", "a\"quote", "back\\slash", "tab\t", "line\nbreak", "<", "</think>", "<think>", "x", "\u2028", "\u007f", " ", "&<>'+"];
        for (var seed = 0; seed < 150; seed++)
        {
            var r = new Random(seed);
            var frames = new List<string>();
            var n = r.Next(1, 12);
            for (var i = 0; i < n; i++)
            {
                var piece = string.Concat(Enumerable.Range(0, r.Next(0, 4)).Select(_ => words[r.Next(words.Length)]));
                var field = r.Next(4) switch { 0 => "reasoning", 1 => "reasoning_content", _ => "content" };
                var quoted = r.Next(2) == 0 ? System.Text.Json.JsonSerializer.Serialize(piece) : AsciiEscaped(piece);
                frames.Add(Chunk($"{{\"{field}\":{quoted}}}"));
            }
            if (r.Next(2) == 0) frames.Add(Finish);
            var profile = r.Next(3) switch
            {
                0 => ModelProfile.Default with { ParseThinkTags = false, ParseToolMarkup = false },
                1 => ModelProfile.Default with { OrphanThinkCloseWindow = 64 },
                _ => ModelProfile.Default,
            };
            var sse = Sse([.. frames]);
            Assert.Equal(await RelayAsync(sse, fast: false, profile), await RelayAsync(sse, fast: true, profile, new Random(seed)));
        }
    }

    /// <summary>Python's ensure_ascii form: every non-ASCII character as \uXXXX (pairs for astral characters).</summary>
    private static string AsciiEscaped(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            if (c == '"') sb.Append("\\\"");
            else if (c == '\\') sb.Append("\\\\");
            else if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }
}
