using System.Text.Json;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.OpenAi;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Translation;
using Xunit;

namespace FunctionsProxy.Tests.Translation;

/// <summary>
/// OpenAI chunks → Anthropic events, in process: the assembler into a recording sink, no SSE and no HTTP. The
/// upstream chunks and expected outcomes are those of the streaming end-to-end tests (StreamEventSequenceTests).
/// </summary>
public sealed class MessageAssemblerTests
{
    private const string Model = "claude-sonnet-4-5";

    /// <summary>Feeds the chunks (JSON text, as the backend sends them) and returns the recorded events.</summary>
    private static RecordingEventSink Assemble(IEnumerable<string> chunks, long inputEstimate = 10, string? stopSequences = null)
    {
        var sink = new RecordingEventSink();
        using var stops = stopSequences is null ? null : JsonDocument.Parse(stopSequences);
        var assembler = new MessageAssembler(sink, Model, new ToolNameMapper(new Dictionary<string, string>()), stops?.RootElement, inputEstimate, null, ModelProfile.Default);
        assembler.Start();
        foreach (var chunk in chunks.Where(c => c != Chunks.Done)) assembler.Accept(JsonSerializer.Deserialize(chunk, WireJsonContext.Default.ChatCompletion)!);
        assembler.Complete();
        Assert.StartsWith("msg_", sink.MessageId, StringComparison.Ordinal);
        return sink;
    }

    [Fact]
    public void Text_deltas_become_one_text_block_and_the_backend_usage_ends_the_message()
    {
        var sink = Assemble([Chunks.Role(), Chunks.Content(""), Chunks.Content("Hello"), Chunks.Content(", world"), Chunks.Content("!"),
            Chunks.Finish("stop"), Chunks.Usage(1200, 57, cached: 1024), Chunks.Done], inputEstimate: 300);
        Assert.Equal(
        [
            "message_start claude-sonnet-4-5 in=300 out=1 cache_read=0",
            "block_start 0 Text", "text 0 Hello", "text 0 , world", "text 0 !", "block_stop 0",
            "message_delta end_turn null in=176 out=57 cache_read=1024",
            "message_stop",
        ], sink.Events);
    }

    [Fact]
    public void Reasoning_becomes_a_signed_thinking_block_before_the_text()
    {
        var sink = Assemble([Chunks.Role(), Chunks.Reasoning("The user wants "), Chunks.ReasoningContent("a greeting."), Chunks.Content("Hi"), Chunks.Content(" there"),
            Chunks.Finish("stop"), Chunks.Usage(40, 12), Chunks.Done]);
        Assert.Equal(
        [
            "message_start claude-sonnet-4-5 in=10 out=1 cache_read=0",
            "block_start 0 Thinking", "thinking 0 The user wants ", "thinking 0 a greeting.", "signature 0", "block_stop 0",
            "block_start 1 Text", "text 1 Hi", "text 1  there", "block_stop 1",
            "message_delta end_turn null in=40 out=12 cache_read=0",
            "message_stop",
        ], sink.Events);
        var signature = Assert.Single(sink.Signatures);
        Assert.StartsWith(ThinkingSignature.Prefix, signature, StringComparison.Ordinal);
        Assert.True(signature.Length > 20);
    }

    [Fact]
    public void Interleaved_parallel_tool_calls_are_emitted_whole_in_index_order_after_the_text()
    {
        var sink = Assemble([Chunks.Role(), Chunks.Content("Checking."),
            Chunks.ToolStart(1, "call_b", "Read", """{"path":"""), Chunks.ToolStart(0, "call_a", "Bash", """{"command":"""),
            Chunks.ToolArgs(1, "\"a.txt\"}"), Chunks.ToolArgs(0, "\"ls\"}"),
            Chunks.Finish("tool_calls"), Chunks.Usage(900, 44), Chunks.Done]);
        Assert.Equal(
        [
            "message_start claude-sonnet-4-5 in=10 out=1 cache_read=0",
            "block_start 0 Text", "text 0 Checking.", "block_stop 0",
            "block_start 1 tool_use call_a Bash", """input_json 1 {"command":"ls"}""", "block_stop 1",
            "block_start 2 tool_use call_b Read", """input_json 2 {"path":"a.txt"}""", "block_stop 2",
            "message_delta tool_use null in=900 out=44 cache_read=0",
            "message_stop",
        ], sink.Events);
    }

    [Theory]
    [InlineData("length", "max_tokens")]
    [InlineData("content_filter", "refusal")]
    [InlineData("something_new", "end_turn")]
    public void Finish_reasons_map_to_stop_reasons(string finish, string stopReason)
    {
        var sink = Assemble([Chunks.Content("x"), Chunks.Finish(finish), Chunks.Usage(5, 1)]);
        Assert.Equal($"message_delta {stopReason} null in=5 out=1 cache_read=0", sink.Events[^2]);
    }

    [Fact]
    public void A_matched_stop_sequence_is_reported()
    {
        var sink = Assemble([Chunks.Content("1 2 3 "), Chunks.Finish("stop", stopReason: "END"), Chunks.Usage(5, 4)], stopSequences: """["END","STOP"]""");
        Assert.Equal("message_delta stop_sequence END in=5 out=4 cache_read=0", sink.Events[^2]);
    }

    [Fact]
    public void Without_backend_usage_the_counts_are_estimates_never_zero_output()
    {
        var sink = Assemble([Chunks.Content("abcdefgh"), Chunks.Finish("stop")], inputEstimate: 42);
        Assert.Equal("message_delta end_turn null in=42 out=2 cache_read=0", sink.Events[^2]);
    }
}
