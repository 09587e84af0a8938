using FunctionsProxy.Anthropic;

namespace FunctionsProxy.Tests.Translation;

/// <summary>Records the Anthropic events an assembler emits, one line each, so a test can compare the whole sequence
/// (indices, kinds, every delta, stop reason and usage) with one assertion.</summary>
internal sealed class RecordingEventSink : IAnthropicEventSink
{
    private readonly List<string> _events = [];

    public IReadOnlyList<string> Events => _events;

    /// <summary>The id of <c>message_start</c> (random per message, so kept out of <see cref="Events"/>).</summary>
    public string? MessageId { get; private set; }

    public void MessageStart(string id, string model, UsageTotals usage)
    {
        MessageId = id;
        _events.Add($"message_start {model} {Usage(usage)}");
    }

    public void BlockStart(int index, BlockKind kind, string? toolId, string? toolName)
        => _events.Add(kind == BlockKind.ToolUse ? $"block_start {index} tool_use {toolId} {toolName}" : $"block_start {index} {kind}");

    public void TextDelta(int index, ReadOnlySpan<char> text) => _events.Add($"text {index} {text}");

    public void ThinkingDelta(int index, ReadOnlySpan<char> text) => _events.Add($"thinking {index} {text}");

    /// <summary>Signatures are hashes of the thinking: recorded by shape, their value is checked where it matters.</summary>
    public void SignatureDelta(int index, string signature)
    {
        Signatures.Add(signature);
        _events.Add($"signature {index}");
    }

    public List<string> Signatures { get; } = [];

    public void InputJsonDelta(int index, string partialJson) => _events.Add($"input_json {index} {partialJson}");

    public void BlockStop(int index) => _events.Add($"block_stop {index}");

    public void MessageDelta(string stopReason, string? stopSequence, UsageTotals usage)
        => _events.Add($"message_delta {stopReason} {stopSequence ?? "null"} {Usage(usage)}");

    public void MessageStop() => _events.Add("message_stop");

    private static string Usage(UsageTotals u) => $"in={u.InputTokens} out={u.OutputTokens} cache_read={u.CacheReadInputTokens}";
}
