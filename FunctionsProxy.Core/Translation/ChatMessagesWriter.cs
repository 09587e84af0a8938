using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Errors;
using FunctionsProxy.ModelFamilies;

namespace FunctionsProxy.Translation;

/// <summary>
/// The system prompt and the conversation → OpenAI <c>messages</c>: tool results become <c>tool</c> messages right
/// after the assistant's <c>tool_calls</c>, user content is gathered in a <see cref="PendingUserMessage"/>, assistant
/// turns carry their text, their reasoning (when the model wants it back) and their tool calls.
/// </summary>
internal sealed class ChatMessagesWriter(MessagesRequest request, ResolvedModel model, ChatToolsWriter tools, IToolNameMapper toolNames, bool dropBillingHeader)
{
    private static ReadOnlySpan<byte> BillingHeaderPrefix => "x-anthropic-billing-header:"u8;

    private readonly PendingUserMessage _pendingUser = new();

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartArray("messages"u8);
        if (SystemTexts() is { } system)
        {
            w.WriteStartObject();
            w.WriteString("role"u8, "system"u8);
            w.WritePropertyName("content"u8);
            if (system.Count == 1) RawJson.Write(w, system[0]);
            else RawJson.WriteJoinedString(w, system, "\\n\\n"u8);
            w.WriteEndObject();
        }

        foreach (var message in request.Messages.EnumerateArray())
        {
            var role = message.GetProperty("role"u8);
            var content = message.GetProperty("content"u8);
            if (role.ValueEquals("assistant"u8))
            {
                _pendingUser.Flush(w);
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
                if (texts.Count > 0) _pendingUser.AddRawText(RawJson.JoinStrings(texts, "\\n\\n"u8, "<system-reminder>\\n"u8, "\\n</system-reminder>"u8));
            }
        }
        _pendingUser.Flush(w);
        w.WriteEndArray();
    }

    /// <summary>The texts the system message is made of (joined with a blank line), or null when there is none.</summary>
    private List<JsonElement>? SystemTexts()
    {
        if (request.System is not { } system) return null;
        if (system.ValueKind == JsonValueKind.String) return RawJson.EscapedText(system).IsEmpty ? null : [system];
        var texts = new List<JsonElement>();
        var first = true;
        foreach (var block in system.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("text"u8, out var t) || t.ValueKind != JsonValueKind.String) continue;
            // Claude Code's first block changes per version and conversation and defeats backend prefix caching.
            var isBillingHeader = first && dropBillingHeader && RawJson.EscapedText(t).StartsWith(BillingHeaderPrefix);
            first = false;
            if (!isBillingHeader) texts.Add(t);
        }
        if (texts.Count == 0 || (texts.Count == 1 && RawJson.EscapedText(texts[0]).IsEmpty)) return null;
        return texts;
    }

    private void AddUser(Utf8JsonWriter w, JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            _pendingUser.AddText(content);
            return;
        }
        var visionOff = model.Capabilities?.SupportsVision == false;
        var droppedImage = false;
        var partsBefore = _pendingUser.Count;
        foreach (var block in content.EnumerateArray())
        {
            var type = block.GetProperty("type"u8);
            if (type.ValueEquals("text"u8))
            {
                _pendingUser.AddText(block.GetProperty("text"u8));
            }
            else if (type.ValueEquals("image"u8))
            {
                // catalog: models without vision lose their images.
                if (visionOff) { droppedImage = true; continue; }
                _pendingUser.AddImage(ImageUrl(block));
            }
            else if (type.ValueEquals("tool_result"u8))
            {
                // Tool results go straight after the assistant's tool_calls, before any other user content.
                WriteToolResult(w, block, visionOff);
            }
            else if (type.ValueEquals("document"u8))
            {
                _pendingUser.AddText(DocumentText(block));
            }
            // Other block types (server tool results, search results, thinking echoes…) mean nothing upstream.
        }
        if (droppedImage && _pendingUser.Count == partsBefore && !HasToolResult(content))
            throw new ProxyErrorException(ProxyError.InvalidRequest($"The model '{model.Requested}' does not accept images, and the message has no other content."));
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
        if (!block.TryGetProperty("content"u8, out var content) || content.ValueKind == JsonValueKind.Null)
        {
            text = "";
        }
        else if (content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString()!;
        }
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
                    _pendingUser.AddImage(ImageUrl(part));
                }
                else if (pt.ValueEquals("tool_reference"u8) && part.TryGetProperty("tool_name"u8, out var tn) && tn.GetString() is { } name)
                {
                    if (sb.Length > 0) sb.Append('\n');
                    sb.Append(tools.ToolReferenceText(name));
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
            else if (type.ValueEquals("thinking"u8) && model.Profile.SendReasoningBack
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
        else if (toolCalls > 0 && !model.Profile.EmptyStringToolContent) w.WriteNull("content"u8);
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
                w.WriteString("name"u8, toolNames.ToUpstream(block.GetProperty("name"u8).GetString()!));
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
        {
            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("text"u8, out var t) && t.ValueKind == JsonValueKind.String && !RawJson.EscapedText(t).IsEmpty)
                parts.Add(t);
        }

        return parts;
    }
}
