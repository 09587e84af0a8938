using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FunctionsProxy.Anthropic;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.OpenAi;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Translation;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Turns client-visible answers (SSE frames or a message JSON) into the normalised event list of
/// <see cref="RecordingSink"/>, with generated tool ids blanked, so family samples can be compared end to end.</summary>
public static partial class FamilyResponses
{
    [GeneratedRegex("^toolu_[0-9A-Za-z]{24}$")]
    private static partial Regex GeneratedId();

    public static readonly Dictionary<string, string> ModelFor = new()
    {
        ["kimi"] = "moonshotai/Kimi-K2-Instruct-0905",
        ["deepseek-v3"] = "deepseek-ai/DeepSeek-V3-0324",
        ["deepseek-v3.1"] = "deepseek-ai/DeepSeek-V3.1",
        ["deepseek-r1-orphan"] = "deepseek-ai/DeepSeek-R1-0528",
        ["hermes"] = "Qwen/Qwen3-32B",
        ["qwen3-coder"] = "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
        ["glm-4.5"] = "zai-org/GLM-4.5-Air",
    };

    /// <summary>The sample's expected events as the client sees them: model ids encoded with <see cref="ToolIdCodec"/>.</summary>
    public static string[] ClientEvents(FamilySamples.Sample sample) => sample.Events.Select(e =>
    {
        if (!e.StartsWith("tool:", StringComparison.Ordinal)) return e;
        var bar = e.IndexOf('|');
        var id = e[5..bar];
        return "tool:" + (id.Length == 0 ? "" : ToolIdCodec.ToAnthropic(id)) + e[bar..];
    }).ToArray();

    private static string Event(string kind, string? id, string? name, string text) => kind switch
    {
        "tool_use" => $"tool:{(GeneratedId().IsMatch(id!) ? "" : id)}|{name}|{JsonNode.Parse(text)!.ToJsonString()}",
        _ => kind + ":" + text,
    };

    public static (string[] Events, string StopReason) FromSse(IReadOnlyList<SseFrame> frames)
    {
        var blocks = new List<(string Kind, string? Id, string? Name, StringBuilder Text)>();
        var stop = "";
        foreach (var f in frames)
        {
            var j = f.Json;
            switch (f.Event)
            {
                case "content_block_start":
                    var cb = j["content_block"]!;
                    blocks.Add((cb["type"]!.GetValue<string>(), cb["id"]?.GetValue<string>(), cb["name"]?.GetValue<string>(), new StringBuilder()));
                    break;
                case "content_block_delta":
                    var d = j["delta"]!;
                    var field = d["type"]!.GetValue<string>() switch
                    {
                        "text_delta" => "text",
                        "thinking_delta" => "thinking",
                        "input_json_delta" => "partial_json",
                        _ => null,
                    };
                    if (field is not null) blocks[j["index"]!.GetValue<int>()].Text.Append(d[field]!.GetValue<string>());
                    break;
                case "message_delta":
                    stop = j["delta"]!["stop_reason"]!.GetValue<string>();
                    break;
            }
        }
        return (blocks.Select(b => Event(b.Kind, b.Id, b.Name, b.Text.ToString())).ToArray(), stop);
    }

    public static (string[] Events, string StopReason) FromMessage(JsonNode message)
    {
        var events = message["content"]!.AsArray().Select(b => b!["type"]!.GetValue<string>() switch
        {
            "text" => "text:" + b["text"]!.GetValue<string>(),
            "thinking" => "thinking:" + b["thinking"]!.GetValue<string>(),
            _ => Event("tool_use", b["id"]!.GetValue<string>(), b["name"]!.GetValue<string>(), b["input"]!.ToJsonString()),
        }).ToArray();
        return (events, message["stop_reason"]!.GetValue<string>());
    }

    /// <summary>Runs upstream chunks (JSON text) through the real assembler and aggregator, without HTTP.</summary>
    public static JsonNode Assemble(ModelProfile profile, IEnumerable<string> upstreamChunks)
    {
        var aggregator = new MessageAggregator();
        var assembler = new MessageAssembler(aggregator, "claude-sonnet-4-5", new ToolNameMapper(new Dictionary<string, string>()), null, 10, null, profile);
        foreach (var chunk in upstreamChunks) assembler.Accept(JsonSerializer.Deserialize(chunk, WireJsonContext.Default.ChatCompletion)!);
        assembler.Complete();
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) aggregator.WriteTo(w);
        return JsonNode.Parse(buffer.WrittenSpan)!;
    }

    public static IEnumerable<string> Pieces(string content, int size)
    {
        for (var i = 0; i < content.Length; i += size) yield return content.Substring(i, Math.Min(size, content.Length - i));
    }
}
