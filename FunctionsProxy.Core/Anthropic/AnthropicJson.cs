using System.Text.Encodings.Web;
using System.Text.Json;

namespace FunctionsProxy.Anthropic;

/// <summary>Writer settings for JSON the proxy emits: UTF-8 as is (clients are JSON parsers, not HTML pages), no
/// validation on the hot path.</summary>
public static class AnthropicJson
{
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public static readonly JsonWriterOptions ValidatingWriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    internal static void WriteUsage(Utf8JsonWriter w, UsageTotals usage)
    {
        w.WriteStartObject("usage"u8);
        w.WriteNumber("input_tokens"u8, usage.InputTokens);
        w.WriteNumber("output_tokens"u8, usage.OutputTokens);
        w.WriteNumber("cache_creation_input_tokens"u8, 0);
        w.WriteNumber("cache_read_input_tokens"u8, usage.CacheReadInputTokens);
        w.WriteEndObject();
    }

    internal static ReadOnlySpan<byte> KindName(BlockKind kind) => kind switch
    {
        BlockKind.Thinking => "thinking"u8,
        BlockKind.ToolUse => "tool_use"u8,
        _ => "text"u8,
    };
}
