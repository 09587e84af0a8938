using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Errors;
using FunctionsProxy.ModelFamilies;

namespace FunctionsProxy.Translation;

/// <summary>
/// The request's custom tools → OpenAI <c>tools</c> and <c>tool_choice</c>. Server tools (web_search_*, bash_*, …)
/// run on Anthropic's side and are left out; deferred tools (tool search) are sent only once a
/// <c>tool_reference</c> to them appeared in the conversation.
/// </summary>
internal sealed class ChatToolsWriter
{
    private const string DeferredPlaceholder = "DeferredToolPlaceholder";

    private readonly MessagesRequest _request;
    private readonly ResolvedModel _model;
    private readonly IToolNameMapper _toolNames;

    // Built on first use, as most requests need neither: custom tools by client name (a tool_reference's rendering)
    // and the tools a tool_reference names (only asked about when a tool is deferred; the scan reads every block).
    private Dictionary<string, JsonElement>? _toolsByName;
    private HashSet<string>? _referencedTools;
    private readonly HashSet<string> _sentTools = new(StringComparer.Ordinal);

    public ChatToolsWriter(MessagesRequest request, ResolvedModel model, IToolNameMapper toolNames)
    {
        _request = request;
        _model = model;
        _toolNames = toolNames;
    }

    private Dictionary<string, JsonElement> ToolsByName()
    {
        if (_toolsByName is not null) return _toolsByName;
        _toolsByName = new(StringComparer.Ordinal);
        if (_request.Tools is { } tools)
        {
            foreach (var tool in tools.EnumerateArray())
                if (IsCustom(tool)) _toolsByName[tool.GetProperty("name"u8).GetString()!] = tool;
        }
        return _toolsByName;
    }

    private HashSet<string> ReferencedTools()
    {
        if (_referencedTools is not null) return _referencedTools;
        _referencedTools = new(StringComparer.Ordinal);
        foreach (var message in _request.Messages.EnumerateArray())
        {
            var content = message.GetProperty("content"u8);
            if (content.ValueKind != JsonValueKind.Array) continue;
            foreach (var block in content.EnumerateArray())
            {
                if (!block.GetProperty("type"u8).ValueEquals("tool_result"u8) || !block.TryGetProperty("content"u8, out var c) || c.ValueKind != JsonValueKind.Array) continue;
                foreach (var part in c.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type"u8, out var pt) && pt.ValueEquals("tool_reference"u8)
                        && part.TryGetProperty("tool_name"u8, out var name) && name.ValueKind == JsonValueKind.String)
                    {
                        _referencedTools.Add(name.GetString()!);
                    }
                }
            }
        }
        return _referencedTools;
    }

    private static bool IsCustom(JsonElement tool)
        => !tool.TryGetProperty("type"u8, out var type) || type.ValueKind == JsonValueKind.Null || type.ValueEquals("custom"u8);

    /// <summary>Writes <c>tools</c> when there is at least one tool the backend can run; says whether it did.</summary>
    public bool WriteTools(Utf8JsonWriter w)
    {
        if (_request.Tools is not { } tools) return false;
        var started = false;
        foreach (var tool in tools.EnumerateArray())
        {
            if (!IsCustom(tool)) continue;
            var name = tool.GetProperty("name"u8).GetString()!;
            if (name == DeferredPlaceholder) continue;
            if (tool.TryGetProperty("defer_loading"u8, out var deferred) && deferred.ValueKind == JsonValueKind.True && !ReferencedTools().Contains(name)) continue;

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

    public void WriteToolChoice(Utf8JsonWriter w, bool wroteTools, bool toolsAllowed)
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
        // MessagesRequest.Parse (ValidateToolChoice) refused any other type, with its field path.
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
        }
        if (choice.TryGetProperty("disable_parallel_tool_use"u8, out var dp) && dp.ValueKind == JsonValueKind.True)
            w.WriteBoolean("parallel_tool_calls"u8, false);
    }

    /// <summary>What ToolSearch's description promises the model: the referenced tool's definition.</summary>
    public string ToolReferenceText(string name)
    {
        if (!ToolsByName().TryGetValue(name, out var tool)) return $"Tool {name} is loaded.";
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
}
