using System.Text;
using System.Text.Json;

namespace FunctionsProxy.Anthropic;

/// <summary>Collects the event sequence into one Anthropic message (non-streaming answers).</summary>
public sealed class MessageAggregator : IAnthropicEventSink
{
    private readonly List<Block> _blocks = [];
    private string _id = "";
    private string _model = "";
    private string _stopReason = "end_turn";
    private string? _stopSequence;
    private UsageTotals _usage;

    public UsageTotals Usage => _usage;

    public void MessageStart(string id, string model, UsageTotals usage) { _id = id; _model = model; _usage = usage; }

    public void BlockStart(int index, BlockKind kind, string? toolId, string? toolName)
        => _blocks.Add(new Block(kind) { Id = toolId, Name = toolName });

    public void TextDelta(int index, ReadOnlySpan<char> text) => _blocks[^1].Text.Append(text);

    public void ThinkingDelta(int index, ReadOnlySpan<char> text) => _blocks[^1].Text.Append(text);

    public void SignatureDelta(int index, string signature) => _blocks[^1].Signature = signature;

    public void InputJsonDelta(int index, string partialJson) => _blocks[^1].Text.Append(partialJson);

    public void BlockStop(int index) { }

    public void MessageDelta(string stopReason, string? stopSequence, UsageTotals usage)
    {
        _stopReason = stopReason;
        _stopSequence = stopSequence;
        _usage = usage;
    }

    public void MessageStop() { }

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id"u8, _id);
        w.WriteString("type"u8, "message"u8);
        w.WriteString("role"u8, "assistant"u8);
        w.WriteString("model"u8, _model);
        w.WriteStartArray("content"u8);
        foreach (var block in _blocks)
        {
            w.WriteStartObject();
            w.WriteString("type"u8, AnthropicJson.KindName(block.Kind));
            switch (block.Kind)
            {
                case BlockKind.Text:
                    w.WriteString("text"u8, block.Text.ToString());
                    break;
                case BlockKind.Thinking:
                    w.WriteString("thinking"u8, block.Text.ToString());
                    w.WriteString("signature"u8, block.Signature ?? "");
                    break;
                case BlockKind.ToolUse:
                    w.WriteString("id"u8, block.Id);
                    w.WriteString("name"u8, block.Name);
                    w.WritePropertyName("input"u8);
                    w.WriteRawValue(block.Text.Length == 0 ? "{}" : block.Text.ToString());
                    break;
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("stop_reason"u8, _stopReason);
        if (_stopSequence is null) w.WriteNull("stop_sequence"u8); else w.WriteString("stop_sequence"u8, _stopSequence);
        AnthropicJson.WriteUsage(w, _usage);
        w.WriteEndObject();
    }

    private sealed class Block(BlockKind kind)
    {
        public BlockKind Kind { get; } = kind;
        public StringBuilder Text { get; } = new();
        public string? Id { get; init; }
        public string? Name { get; init; }
        public string? Signature { get; set; }
    }
}
