using System.Text.Json;
using System.Text.Json.Serialization;

namespace FunctionsProxy.OpenAi;

// OpenAI chat-completions shapes as vLLM, SGLang and Chutes send them. One set of types serves the full response
// (choice.message) and stream chunks (choice.delta): the fields are the same.

// Only the fields the translation reads are declared: every chunk of a stream is deserialized, and an unused
// string property (id, model, object) would be allocated per chunk.
public sealed class ChatCompletion
{
    [JsonPropertyName("choices")] public List<ChatChoice>? Choices { get; set; }
    [JsonPropertyName("usage")] public ChatUsage? Usage { get; set; }

    /// <summary>Servers report failures inside a 200 stream as a chunk with <c>error</c> and no choices.</summary>
    [JsonPropertyName("error")] public JsonElement? Error { get; set; }

    // A whole error document sent with HTTP 200 (vLLM's ErrorResponse, FastAPI's detail). Absent from every answer and
    // chunk, so they cost nothing there; "object" is compared in place rather than read into a string per chunk.
    [JsonPropertyName("object")]
    [JsonConverter(typeof(ErrorObjectMarkerConverter))]
    public bool ObjectIsError { get; set; }

    [JsonPropertyName("message")] public JsonElement? Message { get; set; }
    [JsonPropertyName("detail")] public JsonElement? Detail { get; set; }
    [JsonPropertyName("type")] public JsonElement? Type { get; set; }
    [JsonPropertyName("code")] public JsonElement? Code { get; set; }

    /// <summary>Set instead of every other member for a text-only stream delta recognised from its bytes (the relay's
    /// fast path, <see cref="TextDeltaChunk"/>); never set by deserialization.</summary>
    [JsonIgnore] public TextDelta? Text { get; internal set; }
}

public sealed class ChatChoice
{
    [JsonPropertyName("index")] public int Index { get; set; }
    [JsonPropertyName("message")] public ChatMessage? Message { get; set; }
    [JsonPropertyName("delta")] public ChatMessage? Delta { get; set; }
    [JsonPropertyName("finish_reason")] public string? FinishReason { get; set; }

    /// <summary>vLLM: the matched stop string (or a token id number).</summary>
    [JsonPropertyName("stop_reason")] public JsonElement? StopReason { get; set; }
}

public sealed class ChatMessage
{
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }

    /// <summary>vLLM since late 2025.</summary>
    [JsonPropertyName("reasoning")] public string? Reasoning { get; set; }

    /// <summary>SGLang, DeepSeek, older vLLM.</summary>
    [JsonPropertyName("reasoning_content")] public string? ReasoningContent { get; set; }

    [JsonPropertyName("tool_calls")] public List<ChatToolCall>? ToolCalls { get; set; }
}

public sealed class ChatToolCall
{
    [JsonPropertyName("index")] public int? Index { get; set; }
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("function")] public ChatFunctionCall? Function { get; set; }
}

public sealed class ChatFunctionCall
{
    [JsonPropertyName("name")] public string? Name { get; set; }

    /// <summary>JSON text (a fragment, when streaming); a few servers send an object, kept as its JSON text.</summary>
    [JsonPropertyName("arguments")]
    [JsonConverter(typeof(StringOrRawJsonConverter))]
    public string? Arguments { get; set; }
}

public sealed class ChatUsage
{
    [JsonPropertyName("prompt_tokens")] public long PromptTokens { get; set; }
    [JsonPropertyName("completion_tokens")] public long CompletionTokens { get; set; }
    [JsonPropertyName("prompt_tokens_details")] public PromptTokensDetails? PromptTokensDetails { get; set; }
}

public sealed class PromptTokensDetails
{
    [JsonPropertyName("cached_tokens")] public long? CachedTokens { get; set; }
}

/// <summary>Reads a JSON string as its value and any other JSON value as its raw text.</summary>
internal sealed class StringOrRawJsonConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return reader.GetString();
            case JsonTokenType.Null: return null;
            default:
                using (var document = JsonDocument.ParseValue(ref reader)) return document.RootElement.GetRawText();
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>Reads <c>"object"</c> as "is it <c>error</c>" without allocating the string.</summary>
internal sealed class ErrorObjectMarkerConverter : JsonConverter<bool>
{
    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return reader.ValueTextEquals("error"u8);
        reader.Skip();
        return false;
    }

    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteStringValue(value ? "error" : "");
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ChatCompletion))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
