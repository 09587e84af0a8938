using System.Runtime.InteropServices;
using System.Text.Json;
using FunctionsProxy.Errors;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Anthropic;

/// <summary>
/// A validated view over an Anthropic Messages request body. Values stay <see cref="JsonElement"/>s over the
/// request's own buffer, so large parts (tool schemas, long texts) are copied to the upstream body without being
/// materialised as objects. Unknown top-level fields are accepted and ignored; the fields the proxy reads are
/// checked down to the leaves it reads (<see cref="ContentValidator"/> for messages and system).
/// </summary>
public sealed class MessagesRequest
{
    public required string Model { get; init; }
    public long? MaxTokens { get; init; }
    public bool Stream { get; init; }
    public required JsonElement Messages { get; init; }
    public JsonElement? System { get; init; }
    public JsonElement? Tools { get; init; }
    public JsonElement? ToolChoice { get; init; }
    public JsonElement? StopSequences { get; init; }
    public JsonElement? Temperature { get; init; }
    public JsonElement? TopP { get; init; }
    public JsonElement? TopK { get; init; }
    public JsonElement? Metadata { get; init; }
    public JsonElement? Thinking { get; init; }
    public JsonElement? OutputConfig { get; init; }

    /// <summary>
    /// Reads and validates in one pass: the text (UTF-8, no lone surrogates), then every field the translators and
    /// the token counter read. A problem throws <see cref="ProxyErrorException"/> (400) naming the field path; after
    /// this, nothing downstream can fail on the client's input. <paramref name="logger"/> receives the warning about
    /// content blocks of unknown types, which are dropped.
    /// </summary>
    public static MessagesRequest Parse(JsonElement root, bool requireMaxTokens = true, ILogger? logger = null)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Invalid("Request body must be a JSON object.");
        if (RequestTextValidator.FindInvalidText(JsonMarshal.GetRawUtf8Value(root)) is { } textProblem) throw Invalid(textProblem);

        string? model = null;
        long? maxTokens = null;
        var stream = false;
        JsonElement? messages = null, system = null, tools = null, toolChoice = null, stop = null, temperature = null,
            topP = null, topK = null, metadata = null, thinking = null, outputConfig = null;

        foreach (var p in root.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "model":
                    if (v.ValueKind != JsonValueKind.String) throw Invalid("model: Input should be a valid string");
                    model = v.GetString();
                    break;
                case "max_tokens":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var mt)) throw Invalid("max_tokens: Input should be a valid integer");
                    if (mt < 1) throw Invalid("max_tokens: Input should be greater than or equal to 1");
                    maxTokens = mt;
                    break;
                case "stream":
                    if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) stream = v.GetBoolean();
                    else if (v.ValueKind != JsonValueKind.Null) throw Invalid("stream: Input should be a valid boolean");
                    break;
                case "messages": messages = v; break;
                case "system":
                    if (v.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null)) throw Invalid("system: Input should be a valid string or a list of text blocks");
                    if (v.ValueKind != JsonValueKind.Null) system = v;
                    break;
                case "tools":
                    if (v.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null)) throw Invalid("tools: Input should be a valid list");
                    if (v.ValueKind == JsonValueKind.Array) tools = v;
                    break;
                case "tool_choice":
                    if (v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null)) throw Invalid("tool_choice: Input should be an object");
                    if (v.ValueKind == JsonValueKind.Object) toolChoice = v;
                    break;
                case "stop_sequences":
                    if (v.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null)) throw Invalid("stop_sequences: Input should be a valid list");
                    if (v.ValueKind == JsonValueKind.Array) stop = v;
                    break;
                case "temperature": temperature = Number(v, "temperature"); break;
                case "top_p": topP = Number(v, "top_p"); break;
                case "top_k": topK = Number(v, "top_k"); break;
                case "metadata": metadata = Object(v, "metadata"); break;
                case "thinking": thinking = Object(v, "thinking"); break;
                case "output_config": outputConfig = Object(v, "output_config"); break;
            }
        }

        if (model is null) throw Invalid("model: Field required");
        if (model.Length == 0) throw Invalid("model: String should have at least 1 character");
        if (messages is null) throw Invalid("messages: Field required");
        if (requireMaxTokens && maxTokens is null) throw Invalid("max_tokens: Field required");
        var content = new ContentValidator();
        content.ValidateMessages(messages.Value);
        if (system is { ValueKind: JsonValueKind.Array } s) content.ValidateSystem(s);
        if (tools is { } t) ValidateTools(t);
        if (toolChoice is { } tc) ValidateToolChoice(tc);
        if (stop is { } st) ValidateStopSequences(st);
        if (metadata is { } md) OptionalString(md, "user_id"u8, "metadata.user_id");
        if (thinking is { } th) ValidateThinking(th);
        if (outputConfig is { } oc) ValidateOutputConfig(oc);
        content.ReportUnknown(logger);

        return new MessagesRequest
        {
            Model = model,
            MaxTokens = maxTokens,
            Stream = stream,
            Messages = messages.Value,
            System = system,
            Tools = tools,
            ToolChoice = toolChoice,
            StopSequences = stop,
            Temperature = temperature,
            TopP = topP,
            TopK = topK,
            Metadata = metadata,
            Thinking = thinking,
            OutputConfig = outputConfig,
        };
    }

    private static JsonElement? Number(JsonElement v, string name) => v.ValueKind switch
    {
        JsonValueKind.Number => v,
        JsonValueKind.Null => null,
        _ => throw Invalid($"{name}: Input should be a valid number"),
    };

    private static JsonElement? Object(JsonElement v, string name) => v.ValueKind switch
    {
        JsonValueKind.Object => v,
        JsonValueKind.Null => null,
        _ => throw Invalid($"{name}: Input should be an object"),
    };

    private static void ValidateTools(JsonElement tools)
    {
        var i = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object) throw Invalid($"tools.{i}: Input should be an object");
            if (!tool.TryGetProperty("name"u8, out var name)) throw Invalid($"tools.{i}.name: Field required");
            if (name.ValueKind != JsonValueKind.String) throw Invalid($"tools.{i}.name: Input should be a valid string");
            if (name.ValueEquals(""u8)) throw Invalid($"tools.{i}.name: String should have at least 1 character");
            OptionalString(tool, "type"u8, $"tools.{i}.type");
            var isCustom = !tool.TryGetProperty("type"u8, out var type) || type.ValueKind == JsonValueKind.Null || type.ValueEquals("custom"u8);
            if (isCustom)
            {
                if (tool.TryGetProperty("input_schema"u8, out var schema) && schema.ValueKind != JsonValueKind.Object)
                    throw Invalid($"tools.{i}.input_schema: Input should be an object");
                OptionalString(tool, "description"u8, $"tools.{i}.description");
                OptionalBoolean(tool, "defer_loading"u8, $"tools.{i}.defer_loading");
            }
            i++;
        }
    }

    private static void ValidateToolChoice(JsonElement choice)
    {
        if (!choice.TryGetProperty("type"u8, out var type)) throw Invalid("tool_choice.type: Field required");
        if (type.ValueKind != JsonValueKind.String || !(type.ValueEquals("auto"u8) || type.ValueEquals("any"u8) || type.ValueEquals("tool"u8) || type.ValueEquals("none"u8)))
            throw Invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
        if (type.ValueEquals("tool"u8))
        {
            if (!choice.TryGetProperty("name"u8, out var name)) throw Invalid("tool_choice.name: Field required");
            if (name.ValueKind != JsonValueKind.String) throw Invalid("tool_choice.name: Input should be a valid string");
        }
        OptionalBoolean(choice, "disable_parallel_tool_use"u8, "tool_choice.disable_parallel_tool_use");
    }

    private static void ValidateStopSequences(JsonElement stop)
    {
        var i = 0;
        foreach (var item in stop.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw Invalid($"stop_sequences.{i}: Input should be a valid string");
            i++;
        }
    }

    /// <summary>Unknown <c>thinking.type</c> values count as absent (<see cref="Families.ThinkingRequest"/>); wrong JSON types do not.</summary>
    private static void ValidateThinking(JsonElement thinking)
    {
        OptionalString(thinking, "type"u8, "thinking.type");
        if (thinking.TryGetProperty("budget_tokens"u8, out var budget) && budget.ValueKind != JsonValueKind.Null
            && (budget.ValueKind != JsonValueKind.Number || !budget.TryGetInt64(out _)))
        {
            throw Invalid("thinking.budget_tokens: Input should be a valid integer");
        }
    }

    private static void ValidateOutputConfig(JsonElement outputConfig)
    {
        OptionalString(outputConfig, "effort"u8, "output_config.effort");
        if (!outputConfig.TryGetProperty("format"u8, out var format) || format.ValueKind == JsonValueKind.Null) return;
        if (format.ValueKind != JsonValueKind.Object) throw Invalid("output_config.format: Input should be an object");
        if (!format.TryGetProperty("type"u8, out var type)) throw Invalid("output_config.format.type: Field required");
        if (type.ValueKind != JsonValueKind.String) throw Invalid("output_config.format.type: Input should be a valid string");
        if (type.ValueEquals("json_schema"u8) && (!format.TryGetProperty("schema"u8, out var schema) || schema.ValueKind != JsonValueKind.Object))
            throw Invalid("output_config.format.schema: Input should be an object");
    }

    private static void OptionalString(JsonElement parent, ReadOnlySpan<byte> name, string path)
    {
        if (parent.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw Invalid($"{path}: Input should be a valid string");
    }

    private static void OptionalBoolean(JsonElement parent, ReadOnlySpan<byte> name, string path)
    {
        if (parent.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            throw Invalid($"{path}: Input should be a valid boolean");
    }

    private static ProxyErrorException Invalid(string message) => new(ProxyError.InvalidRequest(message));
}
