
namespace FunctionsProxy.Anthropic;

/// <summary>
/// Receives the Anthropic message as a sequence of events. <c>Translation.MessageAssembler</c> drives it; the SSE writer
/// turns events into frames, the aggregator into one JSON message — so streaming and non-streaming answers share
/// one translation.
/// </summary>
public interface IAnthropicEventSink
{
    void MessageStart(string id, string model, UsageTotals usage);
    void BlockStart(int index, BlockKind kind, string? toolId, string? toolName);
    void TextDelta(int index, ReadOnlySpan<char> text);
    void ThinkingDelta(int index, ReadOnlySpan<char> text);
    void SignatureDelta(int index, string signature);
    void InputJsonDelta(int index, string partialJson);
    void BlockStop(int index);
    void MessageDelta(string stopReason, string? stopSequence, UsageTotals usage);
    void MessageStop();
}
