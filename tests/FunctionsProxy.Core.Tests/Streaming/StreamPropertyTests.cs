using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using FunctionsProxy.Anthropic;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Streaming;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Translation;
using Xunit;

namespace FunctionsProxy.Tests.Streaming;

/// <summary>
/// The whole read → translate → write chain (SseParser, chunk deserialization, assembler, SSE writer) over hundreds of
/// random but realistic streams: random SSE dialect per frame, random network read sizes (splitting UTF-8 and CRLF),
/// reasoning/text with non-ASCII, 0–3 parallel tool calls with interleaved fragments, late names, repeated ids.
/// Every run must produce a grammatical Anthropic stream whose deltas concatenate to exactly what the backend sent.
/// </summary>
public sealed class StreamPropertyTests
{
    private const string Head = "\"id\":\"chatcmpl-p\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"org/model\"";
    private static readonly string[] Words = ["ls", "git status", "日本語", "naïve", "🚀", "a\"quote", "back\\slash", "tab\t", "line\nbreak", "x", "{not json}", " "];

    [Fact]
    public Task Random_streams_translate_exactly()
        => Streams.SampleAsync(RunAsync, iter: 300, print: c => c.ToString());

    /// <summary>One generated stream: what the backend says (shrinks on failure), how it says it (flags), and a seed for
    /// the wire layout (piece boundaries, SSE dialect, interleaving, read sizes).</summary>
    private sealed record Case(string Reasoning, string Content, string[] Arguments, bool UseReasoningContent, bool WithUsage,
        bool WithFinish, bool WithDone, bool WithComment, int OutputTokens, int LayoutSeed)
    {
        public override string ToString() => JsonSerializer.Serialize(this);
    }

    private static readonly Gen<string> Phrase = Gen.OneOfConst(Words).Array[1, 7].Select(ws => string.Concat(ws.Select(w => w + " ")));

    private static readonly Gen<string> MaybeEmpty = Gen.Frequency((1, (IGen<string>)Gen.Const("")), (2, Phrase));

    private static readonly Gen<string> Arguments = Gen.OneOf(Phrase.Select(p => (object)p), Gen.Int[0, 99999].Select(i => (object)i)).Array[0, 3]
        .Select(values => JsonSerializer.Serialize(values.Select((v, i) => (Key: "f" + i, Value: v)).ToDictionary(f => f.Key, f => f.Value),
            new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    private static readonly Gen<Case> Streams =
        Gen.Select(MaybeEmpty, MaybeEmpty, Arguments.Array[0, 3], Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 4], Gen.Bool, Gen.Int[0, 2])
            .SelectMany(t => Gen.Select(Gen.Int[40, 400], Gen.Int).Select(u => new Case(t.Item1, t.Item2, t.Item3, t.Item4,
                WithUsage: t.Item5 != 0, WithFinish: t.Item6 != 0, WithDone: t.Item7, WithComment: t.Item8 == 0, u.Item1, u.Item2)));

    private static async Task RunAsync(Case c)
    {
        var r = new Random(c.LayoutSeed);
        var reasoning = c.Reasoning;
        var content = c.Content;
        var toolCount = c.Arguments.Length;
        var calls = c.Arguments.Select((arguments, i) => new Call(i, $"call_{c.LayoutSeed}_{i}", "Tool" + i, arguments)).ToList();
        var useReasoningContent = c.UseReasoningContent;
        var withUsage = c.WithUsage;
        var withFinish = c.WithFinish;

        var frames = new List<string> { Chunk("{\"role\":\"assistant\",\"content\":\"\"}") };
        foreach (var piece in Pieces(r, reasoning)) frames.Add(Chunk($"{{\"{(useReasoningContent ? "reasoning_content" : "reasoning")}\":{Q(piece)}}}"));
        foreach (var piece in Pieces(r, content)) frames.Add(Chunk($"{{\"content\":{Q(piece)}}}"));
        frames.AddRange(ToolFrames(r, calls));
        if (withFinish) frames.Add($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"{(toolCount > 0 ? "tool_calls" : "stop")}\"}}]}}");
        if (withUsage) frames.Add($"{{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":500,\"completion_tokens\":{c.OutputTokens},\"total_tokens\":1}}}}");
        if (withFinish && c.WithDone) frames.Add("[DONE]");

        var sse = new StringBuilder();
        if (c.WithComment) sse.Append(": hello\n\n");
        foreach (var f in frames)
        {
            var nl = r.Next(3) switch { 0 => "\n", 1 => "\r\n", _ => "\r" };
            sse.Append(r.Next(2) == 0 ? "data: " : "data:").Append(f).Append(nl).Append(nl);
        }

        var output = new ArrayBufferWriter<byte>();
        using (var sink = new SseEventSink(output))
        {
            var assembler = new MessageAssembler(sink, "claude-x", new ToolNameMapper(new Dictionary<string, string>()), null, 100);
            assembler.Start();
            await using var body = new ChoppedReadStream(Encoding.UTF8.GetBytes(sse.ToString()), r, maxRead: 7);
            await foreach (var chunk in UpstreamChunkReader.ReadAsync(body, CancellationToken.None)) assembler.Accept(chunk);
            assembler.Complete();
        }

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        var result = SseFrames.Parse(text);
        AssertGrammar(result);

        var index = 0;
        var shape = SseFrames.Shape(result);
        if (reasoning.Length > 0)
        {
            Assert.Equal("content_block_start:" + index + ":thinking", shape.First(s => s.StartsWith("content_block_start:" + index + ":", StringComparison.Ordinal)));
            Assert.Equal(reasoning, SseFrames.Concat(result, index, "thinking"));
            Assert.StartsWith("fp1.", SseFrames.Concat(result, index, "signature"), StringComparison.Ordinal);
            index++;
        }
        // Blank content straight before tool calls is no text block: Anthropic never sends a blank one.
        if (content.Length > 0 && !(toolCount > 0 && content.AsSpan().IndexOfAnyExcept(" \t\r\n") < 0))
        {
            Assert.Contains("content_block_start:" + index + ":text", shape);
            Assert.Equal(content, SseFrames.Concat(result, index, "text"));
            index++;
        }
        foreach (var call in calls)
        {
            var start = result.Single(f => f.Event == "content_block_start" && f.Json["index"]!.GetValue<int>() == index).Json["content_block"]!;
            Assert.Equal("tool_use", start["type"]!.GetValue<string>());
            Assert.Equal(call.Id, start["id"]!.GetValue<string>());
            Assert.Equal(call.Name, start["name"]!.GetValue<string>());
            Assert.Equal(call.Arguments, SseFrames.Concat(result, index, "partial_json"));
            index++;
        }
        Assert.Equal(index, result.Count(f => f.Event == "content_block_start"));

        var delta = result.Single(f => f.Event == "message_delta").Json;
        Assert.Equal(toolCount > 0 ? "tool_use" : "end_turn", delta["delta"]!["stop_reason"]!.GetValue<string>());
        if (withUsage) Assert.Equal(c.OutputTokens, delta["usage"]!["output_tokens"]!.GetValue<long>());
        else Assert.True(delta["usage"]!["output_tokens"]!.GetValue<long>() >= (index > 0 ? 1 : 0));
    }

    private static void AssertGrammar(IReadOnlyList<SseFrame> frames)
    {
        SseFrames.AssertGrammar(frames);
        Assert.Equal("message_delta", frames[^2].Event);
        Assert.Equal("message_stop", frames[^1].Event);
    }

    private sealed record Call(int Index, string Id, string Name, string Arguments);

    private static IEnumerable<string> ToolFrames(Random r, List<Call> calls)
    {
        // Each call: a list of deltas (id/name placement varies), then all calls' deltas interleaved at random.
        var queues = calls.Select(c =>
        {
            var pieces = Pieces(r, c.Arguments).ToList();
            if (pieces.Count == 0) pieces.Add("");
            var style = r.Next(3); // 0: id+name first, 1: name late and id late, 2: id repeated on every delta
            var list = new List<string>();
            for (var i = 0; i < pieces.Count; i++)
            {
                var hasName = style == 1 ? i == pieces.Count / 2 : i == 0;
                var hasId = style switch { 0 => i == 0, 1 => i == pieces.Count - 1, _ => true };
                list.Add(Chunk($"{{\"tool_calls\":[{{\"index\":{c.Index}{(hasId ? $",\"id\":{Q(c.Id)},\"type\":\"function\"" : "")},\"function\":{{{(hasName ? $"\"name\":{Q(c.Name)}," : "")}\"arguments\":{Q(pieces[i])}}}}}]}}"));
            }
            return new Queue<string>(list);
        }).ToList();
        while (queues.Any(q => q.Count > 0))
        {
            var live = queues.Where(q => q.Count > 0).ToList();
            yield return live[r.Next(live.Count)].Dequeue();
        }
    }

    private static string Chunk(string delta) => $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{delta},\"logprobs\":null,\"finish_reason\":null}}]}}";

    private static string Q(string s) => JsonSerializer.Serialize(s);

    /// <summary>Splits on text elements so no surrogate pair is cut inside a JSON string (backends never do that).</summary>
    private static IEnumerable<string> Pieces(Random r, string s)
    {
        if (s.Length == 0) yield break;
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(s);
        var current = new StringBuilder();
        while (elements.MoveNext())
        {
            current.Append(elements.GetTextElement());
            if (r.Next(3) == 0) { yield return current.ToString(); current.Clear(); }
        }
        if (current.Length > 0) yield return current.ToString();
    }
}
