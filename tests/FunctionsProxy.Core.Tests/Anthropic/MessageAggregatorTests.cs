using System.Buffers;
using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using Xunit;

namespace FunctionsProxy.Tests.Anthropic;

/// <summary>
/// Anthropic events → one Anthropic message (non-streaming answers), in process. The expected JSON is what
/// NonStreamingResponseTests receives from the host for the same answers.
/// </summary>
public sealed class MessageAggregatorTests
{
    private static string Json(MessageAggregator aggregator)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, AnthropicJson.WriterOptions)) aggregator.WriteTo(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Fact]
    public void A_text_answer_is_the_exact_anthropic_message()
    {
        var a = new MessageAggregator();
        a.MessageStart("msg_0123456789abcdefghijklmn", "claude-sonnet-4-5", new UsageTotals(30, 1, 0));
        a.BlockStart(0, BlockKind.Text, null, null);
        a.TextDelta(0, "Hello");
        a.TextDelta(0, " there");
        a.BlockStop(0);
        a.MessageDelta("end_turn", null, new UsageTotals(12, 5, 0));
        a.MessageStop();

        Assert.Equal("""{"id":"msg_0123456789abcdefghijklmn","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello there"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}""",
            Json(a));
        Assert.Equal(new UsageTotals(12, 5, 0), a.Usage);
    }

    [Fact]
    public void Thinking_text_and_tool_use_blocks_keep_their_order_signature_and_input()
    {
        var a = new MessageAggregator();
        a.MessageStart("msg_x", "m", new UsageTotals(10, 1, 0));
        a.BlockStart(0, BlockKind.Thinking, null, null);
        a.ThinkingDelta(0, "2+2 ");
        a.ThinkingDelta(0, "is 4");
        a.SignatureDelta(0, "fp1.sig");
        a.BlockStop(0);
        a.BlockStart(1, BlockKind.Text, null, null);
        a.TextDelta(1, "Let me look.");
        a.BlockStop(1);
        a.BlockStart(2, BlockKind.ToolUse, "call_1", "Bash");
        a.InputJsonDelta(2, """{"command":""");
        a.InputJsonDelta(2, "\"ls\"}");
        a.BlockStop(2);
        a.BlockStart(3, BlockKind.ToolUse, "call_9", "Read");
        a.BlockStop(3);
        a.MessageDelta("tool_use", null, new UsageTotals(200, 50, 800));
        a.MessageStop();

        Assert.Equal("""{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[{"type":"thinking","thinking":"2+2 is 4","signature":"fp1.sig"},{"type":"text","text":"Let me look."},{"type":"tool_use","id":"call_1","name":"Bash","input":{"command":"ls"}},{"type":"tool_use","id":"call_9","name":"Read","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":200,"output_tokens":50,"cache_creation_input_tokens":0,"cache_read_input_tokens":800}}""",
            Json(a));
    }

    [Fact]
    public void A_matched_stop_sequence_is_a_string()
    {
        var a = new MessageAggregator();
        a.MessageStart("msg_x", "m", new UsageTotals(1, 1, 0));
        a.BlockStart(0, BlockKind.Text, null, null);
        a.TextDelta(0, "1 2 3 ");
        a.BlockStop(0);
        a.MessageDelta("stop_sequence", "END", new UsageTotals(5, 4, 0));
        a.MessageStop();

        Assert.Equal("""{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"1 2 3 "}],"stop_reason":"stop_sequence","stop_sequence":"END","usage":{"input_tokens":5,"output_tokens":4,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}""",
            Json(a));
    }
}
