using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Errors;
using FunctionsProxy.ModelFamilies;

namespace FunctionsProxy.Translation;

/// <summary>
/// Anthropic Messages request → OpenAI chat-completions request, written straight into a buffer with
/// <see cref="Utf8JsonWriter"/> (rules: shared/reference/protocol.md §1). Large values (tool schemas, texts) are
/// copied from the request's own JSON rather than rebuilt.
/// </summary>
public sealed class ChatRequestWriter
{
    private static ReadOnlySpan<byte> BillingHeaderPrefix => "x-anthropic-billing-header:"u8;
    private const string DeferredPlaceholder = "DeferredToolPlaceholder";

    private readonly MessagesRequest _request;
    private readonly ResolvedModel _model;

    /// <summary>What the request asks of the backend's reasoning (thinking, effort, a <c>:thinking</c> model id).</summary>
    private ThinkingRequest Thinking => ThinkingRequest.From(_request.Thinking, _request.OutputConfig, _model.ForceThinking);
    private readonly ProxyOptions _options;
    private readonly IToolNameMapper _toolNames;

    // Custom tools by client name (for tool_reference rendering) and the names sent upstream.
    private readonly Dictionary<string, JsonElement> _toolsByName = new(StringComparer.Ordinal);
    private readonly HashSet<string> _referencedTools = new(StringComparer.Ordinal);
    private readonly HashSet<string> _sentTools = new(StringComparer.Ordinal);
    private readonly List<UserPart> _pendingUser = [];

    public ChatRequestWriter(MessagesRequest request, ResolvedModel model, ProxyOptions options, IToolNameMapper toolNames)
    {
        _request = request;
        _model = model;
        _options = options;
        _toolNames = toolNames;
    }

    /// <summary>Writes the upstream body. Throws <see cref="ProxyErrorException"/> for requests the backend cannot serve.</summary>
    public void Write(Utf8JsonWriter w, bool stream)
    {
        var caps = _model.Capabilities;
        var toolsAllowed = caps?.SupportsTools != false;
        CollectTools();

        w.WriteStartObject();
        w.WriteString("model"u8, ReasoningSwitch.ModelId(_model.UpstreamId, _model.Profile, Thinking));
        WriteMessages(w);

        var maxTokens = _request.MaxTokens ?? 4096;
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

        if (_request.Temperature is { } temperature) { w.WritePropertyName("temperature"u8); RawJson.Write(w, temperature); }
        if (_request.TopP is { } topP) { w.WritePropertyName("top_p"u8); RawJson.Write(w, topP); }
        if (_request.TopK is { } topK && _model.Profile.AllowsTopK) { w.WritePropertyName("top_k"u8); RawJson.Write(w, topK); }
        if (_request.StopSequences is { } stop && stop.GetArrayLength() > 0) { w.WritePropertyName("stop"u8); RawJson.Write(w, stop); }

        var wroteTools = toolsAllowed && WriteTools(w);
        WriteToolChoice(w, wroteTools, toolsAllowed);

        if (UserFromMetadata() is { } user) w.WriteString("user"u8, user);
        WriteResponseFormat(w);
        ReasoningSwitch.Write(w, _model.Profile, Thinking);
        w.WriteEndObject();
    }

    // ---- messages -------------------------------------------------------------------------------------------

    private void WriteMessages(Utf8JsonWriter w)
    {
        w.WriteStartArray("messages"u8);
        if (SystemContent() is { } system)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WritePropertyName("content"u8);
            w.WriteRawValue(system, skipInputValidation: true);
            w.WriteEndObject();
        }

        foreach (var message in _request.Messages.EnumerateArray())
        {
            var role = message.GetProperty("role"u8);
            var content = message.GetProperty("content"u8);
            if (role.ValueEquals("assistant"u8))
            {
                FlushUser(w);
                WriteAssistant(w, content);
            }
            else if (role.ValueEquals("user"u8))
            {
                AddUser(w, content);
            }
            else
            {
                // Mid-conversation system message (Claude Code ≥2.1.154). Many chat templates reject a system
                // message that is not first, so it becomes a <system-reminder> in the adjacent user content.
                var texts = StringParts(content);
                if (texts.Count > 0) _pendingUser.Add(UserPart.RawText(RawJson.JoinStrings(texts, "\\n\\n"u8, "<system-reminder>\\n"u8, "\\n</system-reminder>"u8)));
            }
        }
        FlushUser(w);
        w.WriteEndArray();
    }

    /// <summary>The system message's content as a JSON string value (raw bytes), or null when there is none.</summary>
    private byte[]? SystemContent()
    {
        if (_request.System is not { } system) return null;
        if (system.ValueKind == JsonValueKind.String)
            return RawJson.EscapedText(system).IsEmpty ? null : RawJson.JoinStrings([system], default);
        var texts = new List<JsonElement>();
        var first = true;
        foreach (var block in system.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("text"u8, out var t) || t.ValueKind != JsonValueKind.String) continue;
            // Claude Code's first block changes per version and conversation and defeats backend prefix caching.
            var isBillingHeader = first && _options.DropBillingHeader && RawJson.EscapedText(t).StartsWith(BillingHeaderPrefix);
            first = false;
            if (!isBillingHeader) texts.Add(t);
        }
        if (texts.Count == 0 || (texts.Count == 1 && RawJson.EscapedText(texts[0]).IsEmpty)) return null;
        return RawJson.JoinStrings(texts, "\\n\\n"u8);
    }

    private void AddUser(Utf8JsonWriter w, JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            _pendingUser.Add(UserPart.Text(content));
            return;
        }
        var visionOff = _model.Capabilities?.SupportsVision == false;
        var droppedImage = false;
        var partsBefore = _pendingUser.Count;
        foreach (var block in content.EnumerateArray())
        {
            var type = block.GetProperty("type"u8);
            if (type.ValueEquals("text"u8))
            {
                _pendingUser.Add(UserPart.Text(block.GetProperty("text"u8)));
            }
            else if (type.ValueEquals("image"u8))
            {
                // catalog: models without vision lose their images.
                if (visionOff) { droppedImage = true; continue; }
                _pendingUser.Add(UserPart.Image(ImageUrl(block)));
            }
            else if (type.ValueEquals("tool_result"u8))
            {
                // Tool results go straight after the assistant's tool_calls, before any other user content.
                WriteToolResult(w, block, visionOff);
            }
            else if (type.ValueEquals("document"u8))
            {
                _pendingUser.Add(UserPart.Text(DocumentText(block)));
            }
            // Other block types (server tool results, search results, thinking echoes…) mean nothing upstream.
        }
        if (droppedImage && _pendingUser.Count == partsBefore && !HasToolResult(content))
            throw new ProxyErrorException(ProxyError.InvalidRequest($"The model '{_model.Requested}' does not accept images, and the message has no other content."));
    }

    private static bool HasToolResult(JsonElement content)
    {
        foreach (var block in content.EnumerateArray())
            if (block.GetProperty("type"u8).ValueEquals("tool_result"u8)) return true;
        return false;
    }

    private void WriteToolResult(Utf8JsonWriter w, JsonElement block, bool visionOff)
    {
        var id = block.GetProperty("tool_use_id"u8).GetString()!;
        var isError = block.TryGetProperty("is_error"u8, out var e) && e.ValueKind == JsonValueKind.True;
        string text;
        if (!block.TryGetProperty("content"u8, out var content) || content.ValueKind == JsonValueKind.Null) text = "";
        else if (content.ValueKind == JsonValueKind.String) text = content.GetString()!;
        else
        {
            var sb = new StringBuilder();
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type"u8, out var pt)) continue;
                if (pt.ValueEquals("text"u8) && part.TryGetProperty("text"u8, out var t) && t.ValueKind == JsonValueKind.String)
                {
                    if (sb.Length > 0) sb.Append('\n');
                    sb.Append(t.GetString());
                }
                else if (pt.ValueEquals("image"u8) && !visionOff && part.TryGetProperty("source"u8, out _))
                {
                    // The tool role cannot carry images: they follow in a user message.
                    _pendingUser.Add(UserPart.Image(ImageUrl(part)));
                }
                else if (pt.ValueEquals("tool_reference"u8) && part.TryGetProperty("tool_name"u8, out var tn) && tn.GetString() is { } name)
                {
                    if (sb.Length > 0) sb.Append('\n');
                    sb.Append(ToolReferenceText(name));
                }
            }
            text = sb.ToString();
        }
        if (isError) text = "Error: " + text;

        w.WriteStartObject();
        w.WriteString("role"u8, "tool"u8);
        w.WriteString("tool_call_id"u8, ToolIdCodec.ToUpstream(id));
        w.WriteString("content"u8, text);
        w.WriteEndObject();
    }

    /// <summary>What ToolSearch's description promises the model: the referenced tool's definition.</summary>
    private string ToolReferenceText(string name)
    {
        if (!_toolsByName.TryGetValue(name, out var tool)) return $"Tool {name} is loaded.";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var jw = new Utf8JsonWriter(buffer))
        {
            jw.WriteStartObject();
            if (tool.TryGetProperty("description"u8, out var d)) { jw.WritePropertyName("description"u8); RawJson.Write(jw, d); }
            jw.WriteString("name"u8, _toolNames.ToUpstream(name));
            jw.WritePropertyName("parameters"u8);
            if (tool.TryGetProperty("input_schema"u8, out var s)) RawJson.Write(jw, s); else jw.WriteRawValue("{}"u8);
            jw.WriteEndObject();
        }
        return "<functions><function>" + Encoding.UTF8.GetString(buffer.WrittenSpan) + "</function></functions>";
    }

    private static string DocumentText(JsonElement block)
    {
        if (block.TryGetProperty("source"u8, out var source) && source.ValueKind == JsonValueKind.Object
            && source.TryGetProperty("type"u8, out var st) && st.ValueEquals("text"u8)
            && source.TryGetProperty("data"u8, out var data) && data.ValueKind == JsonValueKind.String)
        {
            var title = block.TryGetProperty("title"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return title is null ? data.GetString()! : title + "\n\n" + data.GetString();
        }
        throw new ProxyErrorException(ProxyError.InvalidRequest("Documents other than plain text are not supported by this backend."));
    }

    private static string ImageUrl(JsonElement block)
    {
        var source = block.GetProperty("source"u8);
        if (source.TryGetProperty("url"u8, out var url) && url.ValueKind == JsonValueKind.String) return url.GetString()!;
        var mediaType = source.TryGetProperty("media_type"u8, out var mt) ? mt.GetString() : "image/png";
        var data = source.TryGetProperty("data"u8, out var d) ? d.GetString() : "";
        return string.Concat("data:", mediaType, ";base64,", data);
    }

    private void FlushUser(Utf8JsonWriter w)
    {
        if (_pendingUser.Count == 0) return;
        w.WriteStartObject();
        w.WriteString("role"u8, "user"u8);
        w.WritePropertyName("content"u8);
        if (_pendingUser.Count == 1 && !_pendingUser[0].IsImage)
        {
            _pendingUser[0].WriteText(w);
        }
        else
        {
            w.WriteStartArray();
            foreach (var part in _pendingUser)
            {
                w.WriteStartObject();
                if (part.IsImage)
                {
                    w.WriteString("type"u8, "image_url"u8);
                    w.WriteStartObject("image_url"u8);
                    w.WriteString("url"u8, part.Url);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteString("type"u8, "text"u8);
                    w.WritePropertyName("text"u8);
                    part.WriteText(w);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        _pendingUser.Clear();
    }

    private void WriteAssistant(Utf8JsonWriter w, JsonElement content)
    {
        w.WriteStartObject();
        w.WriteString("role"u8, "assistant"u8);
        if (content.ValueKind == JsonValueKind.String)
        {
            w.WritePropertyName("content"u8);
            RawJson.Write(w, content);
            w.WriteEndObject();
            return;
        }

        StringBuilder? text = null, reasoning = null;
        var toolCalls = 0;
        foreach (var block in content.EnumerateArray())
        {
            var type = block.GetProperty("type"u8);
            if (type.ValueEquals("text"u8))
            {
                text ??= new StringBuilder();
                if (text.Length > 0) text.Append('\n');
                text.Append(block.GetProperty("text"u8).GetString());
            }
            else if (type.ValueEquals("thinking"u8) && _model.Profile.SendReasoningBack
                     && block.TryGetProperty("thinking"u8, out var th) && th.ValueKind == JsonValueKind.String)
            {
                reasoning ??= new StringBuilder();
                reasoning.Append(th.GetString());
            }
            else if (type.ValueEquals("tool_use"u8))
            {
                toolCalls++;
            }
        }

        if (text is { Length: > 0 }) w.WriteString("content"u8, text.ToString());
        else if (toolCalls > 0 && !_model.Profile.EmptyStringToolContent) w.WriteNull("content"u8);
        else w.WriteString("content"u8, ""u8);
        // Interleaved-thinking models need their reasoning back; never inside content.
        if (reasoning is { Length: > 0 }) w.WriteString("reasoning_content"u8, reasoning.ToString());

        if (toolCalls > 0)
        {
            w.WriteStartArray("tool_calls"u8);
            foreach (var block in content.EnumerateArray())
            {
                if (!block.GetProperty("type"u8).ValueEquals("tool_use"u8)) continue;
                w.WriteStartObject();
                w.WriteString("id"u8, ToolIdCodec.ToUpstream(block.GetProperty("id"u8).GetString()!));
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WriteString("name"u8, _toolNames.ToUpstream(block.GetProperty("name"u8).GetString()!));
                w.WriteString("arguments"u8, block.TryGetProperty("input"u8, out var input) && input.ValueKind != JsonValueKind.Null ? input.GetRawText() : "{}");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>The string elements of a content value (a string, or the texts of its blocks); empty texts left out.</summary>
    private static List<JsonElement> StringParts(JsonElement content)
    {
        var parts = new List<JsonElement>();
        if (content.ValueKind == JsonValueKind.String)
        {
            if (!RawJson.EscapedText(content).IsEmpty) parts.Add(content);
            return parts;
        }
        if (content.ValueKind != JsonValueKind.Array) return parts;
        foreach (var block in content.EnumerateArray())
            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("text"u8, out var t) && t.ValueKind == JsonValueKind.String && !RawJson.EscapedText(t).IsEmpty)
                parts.Add(t);
        return parts;
    }

    // ---- tools ----------------------------------------------------------------------------------------------

    private void CollectTools()
    {
        if (_request.Tools is not { } tools) return;
        foreach (var tool in tools.EnumerateArray())
            if (IsCustom(tool)) _toolsByName[tool.GetProperty("name"u8).GetString()!] = tool;

        // Deferred tools (tool search) are sent only once a tool_reference to them appeared in the conversation.
        foreach (var message in _request.Messages.EnumerateArray())
        {
            var content = message.GetProperty("content"u8);
            if (content.ValueKind != JsonValueKind.Array) continue;
            foreach (var block in content.EnumerateArray())
            {
                if (!block.GetProperty("type"u8).ValueEquals("tool_result"u8) || !block.TryGetProperty("content"u8, out var c) || c.ValueKind != JsonValueKind.Array) continue;
                foreach (var part in c.EnumerateArray())
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type"u8, out var pt) && pt.ValueEquals("tool_reference"u8)
                        && part.TryGetProperty("tool_name"u8, out var name) && name.ValueKind == JsonValueKind.String)
                        _referencedTools.Add(name.GetString()!);
            }
        }
    }

    private static bool IsCustom(JsonElement tool)
        => !tool.TryGetProperty("type"u8, out var type) || type.ValueKind == JsonValueKind.Null || type.ValueEquals("custom"u8);

    private bool WriteTools(Utf8JsonWriter w)
    {
        if (_request.Tools is not { } tools) return false;
        var started = false;
        foreach (var tool in tools.EnumerateArray())
        {
            // Server tools (web_search_*, bash_*, …) run on Anthropic's side; an OpenAI backend cannot run them.
            if (!IsCustom(tool)) continue;
            var name = tool.GetProperty("name"u8).GetString()!;
            if (name == DeferredPlaceholder) continue;
            if (tool.TryGetProperty("defer_loading"u8, out var deferred) && deferred.ValueKind == JsonValueKind.True && !_referencedTools.Contains(name)) continue;

            if (!started) { w.WriteStartArray("tools"u8); started = true; }
            var upstreamName = _toolNames.ToUpstream(name);
            _sentTools.Add(name);
            w.WriteStartObject();
            w.WriteString("type"u8, "function"u8);
            w.WriteStartObject("function"u8);
            w.WriteString("name"u8, upstreamName);
            if (tool.TryGetProperty("description"u8, out var description) && description.ValueKind == JsonValueKind.String)
            {
                w.WritePropertyName("description"u8);
                RawJson.Write(w, description);
            }
            w.WritePropertyName("parameters"u8);
            if (tool.TryGetProperty("input_schema"u8, out var schema) && schema.ValueKind == JsonValueKind.Object) RawJson.Write(w, schema);
            else w.WriteRawValue("""{"type":"object","properties":{}}"""u8);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (started) w.WriteEndArray();
        return started;
    }

    private void WriteToolChoice(Utf8JsonWriter w, bool wroteTools, bool toolsAllowed)
    {
        if (_request.ToolChoice is not { } choice) return;
        var type = choice.TryGetProperty("type"u8, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var forcing = type is "any" or "tool";
        if (!wroteTools)
        {
            if (!forcing) return;
            var reason = !toolsAllowed
                ? $"The model '{_model.Requested}' does not support tools, but tool_choice requires one."
                : "tool_choice requires a tool, but the request has no tool this backend can run (server tools are not supported).";
            throw new ProxyErrorException(ProxyError.InvalidRequest(reason));
        }
        switch (type)
        {
            case "auto": w.WriteString("tool_choice"u8, "auto"u8); break;
            case "any": w.WriteString("tool_choice"u8, "required"u8); break;
            case "none": w.WriteString("tool_choice"u8, "none"u8); break;
            case "tool":
                var name = choice.TryGetProperty("name"u8, out var n) ? n.GetString() : null;
                if (string.IsNullOrEmpty(name)) throw new ProxyErrorException(ProxyError.InvalidRequest("tool_choice.name: Field required"));
                if (!_sentTools.Contains(name))
                    throw new ProxyErrorException(ProxyError.InvalidRequest($"tool_choice names '{name}', which is not a tool this backend can run (server tools are not supported)."));
                w.WriteStartObject("tool_choice"u8);
                w.WriteString("type"u8, "function"u8);
                w.WriteStartObject("function"u8);
                w.WriteString("name"u8, _toolNames.ToUpstream(name));
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            default:
                throw new ProxyErrorException(ProxyError.InvalidRequest("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"));
        }
        if (choice.TryGetProperty("disable_parallel_tool_use"u8, out var dp) && dp.ValueKind == JsonValueKind.True)
            w.WriteBoolean("parallel_tool_calls"u8, false);
    }

    // ---- other fields ---------------------------------------------------------------------------------------

    /// <summary>Claude Code's <c>metadata.user_id</c> is a JSON string holding a session id; send only that (or a
    /// hash), never the device id.</summary>
    private string? UserFromMetadata()
    {
        if (_request.Metadata is not { } metadata || !metadata.TryGetProperty("user_id"u8, out var u) || u.ValueKind != JsonValueKind.String) return null;
        var raw = u.GetString();
        if (string.IsNullOrEmpty(raw)) return null;
        if (raw.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(raw);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("session_id"u8, out var s)
                    && s.ValueKind == JsonValueKind.String && s.GetString() is { Length: > 0 } session)
                    return session;
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
        if (_request.OutputConfig is not { } oc || !oc.TryGetProperty("format"u8, out var format) || format.ValueKind != JsonValueKind.Object) return;
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

    /// <summary>A part of the pending user message: text (kept as the request's JSON string when possible) or an image URL.</summary>
    private readonly struct UserPart
    {
        private readonly JsonElement _element;
        private readonly string? _text;
        private byte[]? RawString { get; init; }
        public string? Url { get; private init; }
        public bool IsImage => Url is not null;

        private UserPart(JsonElement element, string? text) { _element = element; _text = text; }

        public static UserPart Text(JsonElement element) => new(element, null);
        public static UserPart Text(string text) => new(default, text);
        public static UserPart Image(string url) => new(default, null) { Url = url };

        /// <summary>A JSON string value given as its raw bytes (quotes included).</summary>
        public static UserPart RawText(byte[] jsonString) => new(default, null) { RawString = jsonString };

        public void WriteText(Utf8JsonWriter w)
        {
            if (_text is not null) w.WriteStringValue(_text);
            else if (RawString is not null) w.WriteRawValue(RawString, skipInputValidation: true);
            else RawJson.Write(w, _element);
        }
    }
}
