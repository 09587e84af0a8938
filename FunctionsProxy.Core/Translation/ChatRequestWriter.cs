using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Errors;
using FunctionsProxy.ModelFamilies;

namespace FunctionsProxy.Translation;

/// <summary>
/// Anthropic Messages request → OpenAI chat-completions request, written straight into a buffer with
/// <see cref="Utf8JsonWriter"/> (rules: docs/protocol.md §2–§4). Large values (tool schemas, texts) are copied from
/// the request's own JSON rather than rebuilt. This type writes the top level; <see cref="ChatMessagesWriter"/>
/// writes the conversation and <see cref="ChatToolsWriter"/> the tools and tool choice.
/// </summary>
/// <param name="dropBillingHeader">Leave out Claude Code's per-conversation billing-header system block
/// (<c>PROXY_DROP_BILLING_HEADER</c>), which defeats backend prefix caching.</param>
public sealed class ChatRequestWriter(MessagesRequest request, ResolvedModel model, bool dropBillingHeader, IToolNameMapper toolNames)
{
    /// <summary>Writes the upstream body. Throws <see cref="ProxyErrorException"/> for requests the backend cannot serve.</summary>
    public void Write(Utf8JsonWriter w, bool stream)
    {
        var caps = model.Capabilities;
        var toolsAllowed = caps?.SupportsTools != false;
        var thinking = ThinkingRequest.From(request.Thinking, request.OutputConfig, model.ForceThinking);
        var tools = new ChatToolsWriter(request, model, toolNames);

        w.WriteStartObject();
        w.WriteString("model"u8, ReasoningSwitch.ModelId(model.UpstreamId, model.Profile, thinking));
        new ChatMessagesWriter(request, model, tools, toolNames, dropBillingHeader).Write(w);

        var maxTokens = request.MaxTokens ?? 4096;
        // catalog: clamp to the model's output limit when discovery knows it.
        if (caps?.MaxOutputTokens is int cap && cap > 0 && maxTokens > cap) maxTokens = cap;
        w.WriteNumber("max_tokens"u8, maxTokens);

        if (stream)
        {
            w.WriteBoolean("stream"u8, true);
            w.WriteStartObject("stream_options"u8);
            w.WriteBoolean("include_usage"u8, true);
            w.WriteEndObject();
        }
        else
        {
            w.WriteBoolean("stream"u8, false);
        }

        if (request.Temperature is { } temperature) { w.WritePropertyName("temperature"u8); RawJson.Write(w, temperature); }
        if (request.TopP is { } topP) { w.WritePropertyName("top_p"u8); RawJson.Write(w, topP); }
        if (request.TopK is { } topK && model.Profile.AllowsTopK) { w.WritePropertyName("top_k"u8); RawJson.Write(w, topK); }
        if (request.StopSequences is { } stop && stop.GetArrayLength() > 0) { w.WritePropertyName("stop"u8); RawJson.Write(w, stop); }

        var wroteTools = toolsAllowed && tools.WriteTools(w);
        tools.WriteToolChoice(w, wroteTools, toolsAllowed);

        if (UserFromMetadata() is { } user) w.WriteString("user"u8, user);
        WriteResponseFormat(w);
        ReasoningSwitch.Write(w, model.Profile, thinking);
        w.WriteEndObject();
    }

    /// <summary>Claude Code's <c>metadata.user_id</c> is a JSON string holding a session id; send only that (or a
    /// hash), never the device id.</summary>
    private string? UserFromMetadata()
    {
        if (request.Metadata is not { } metadata || !metadata.TryGetProperty("user_id"u8, out var u) || u.ValueKind != JsonValueKind.String) return null;
        var raw = u.GetString();
        if (string.IsNullOrEmpty(raw)) return null;
        if (raw.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(raw);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("session_id"u8, out var s)
                    && s.ValueKind == JsonValueKind.String && s.GetString() is { Length: > 0 } session)
                {
                    return session;
                }
            }
            catch (JsonException)
            {
            }
        }
        var marker = raw.LastIndexOf("_session_", StringComparison.Ordinal);
        if (marker >= 0 && marker + 9 < raw.Length) return raw[(marker + 9)..];
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(raw)))[..32];
    }

    private void WriteResponseFormat(Utf8JsonWriter w)
    {
        if (request.OutputConfig is not { } oc || !oc.TryGetProperty("format"u8, out var format) || format.ValueKind != JsonValueKind.Object) return;
        if (!format.TryGetProperty("type"u8, out var t) || !t.ValueEquals("json_schema"u8) || !format.TryGetProperty("schema"u8, out var schema)) return;
        w.WriteStartObject("response_format"u8);
        w.WriteString("type"u8, "json_schema"u8);
        w.WriteStartObject("json_schema"u8);
        w.WriteString("name"u8, "output"u8);
        w.WritePropertyName("schema"u8);
        RawJson.Write(w, schema);
        w.WriteBoolean("strict"u8, true);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
