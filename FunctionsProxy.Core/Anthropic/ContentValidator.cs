using System.Text.Json;
using FunctionsProxy.Errors;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Anthropic;

/// <summary>
/// The shape of <c>messages</c> and <c>system</c>: every field the translators and the token counter read has the
/// JSON type they read it as, so nothing after validation can throw on a client's input. A problem is a 400 naming
/// the field (<c>messages.3.content.0.source: Input should be an object</c>).
/// Block types the proxy does not know are accepted and later dropped, with one warning per request: Claude Code
/// adds block types over time, and a newer client should keep working rather than fail. A block of a known type
/// with a wrong shape is an error.
/// </summary>
internal sealed class ContentValidator
{
    // Known types the backend cannot use (Anthropic server tools and their results, search results): dropped
    // silently by the translator, so their inner shape is not checked.
    private static readonly HashSet<string> IgnoredTypes = new(StringComparer.Ordinal)
    {
        "redacted_thinking", "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
        "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "tool_search_tool_result", "mcp_tool_use",
        "mcp_tool_result", "container_upload", "search_result",
    };
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> IgnoredLookup = IgnoredTypes.GetAlternateLookup<ReadOnlySpan<char>>();

    private List<string>? _unknownTypes;
    private string? _firstUnknownPath;

    /// <summary>Logs the unknown block types seen (one warning per request).</summary>
    public void ReportUnknown(ILogger? logger)
    {
        if (_unknownTypes is null || logger is null) return;
        RequestLog.UnknownBlocksDropped(logger, string.Join(",", _unknownTypes), _firstUnknownPath!);
    }

    public void ValidateMessages(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw Invalid("messages: Input should be a valid list");
        if (messages.GetArrayLength() == 0) throw Invalid("messages: List should have at least 1 item");
        var i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object) throw Invalid($"messages.{i}: Input should be an object");
            if (!m.TryGetProperty("role"u8, out var role)) throw Invalid($"messages.{i}.role: Field required");
            if (role.ValueKind != JsonValueKind.String || !(role.ValueEquals("user"u8) || role.ValueEquals("assistant"u8) || role.ValueEquals("system"u8)))
                throw Invalid($"messages.{i}.role: Input should be 'user' or 'assistant'");
            if (!m.TryGetProperty("content"u8, out var content)) throw Invalid($"messages.{i}.content: Field required");
            if (content.ValueKind == JsonValueKind.Array)
            {
                var j = 0;
                foreach (var block in content.EnumerateArray()) Block(block, new BlockPath(i, j++));
            }
            else if (content.ValueKind != JsonValueKind.String)
            {
                throw Invalid($"messages.{i}.content: Input should be a valid string or a list of content blocks");
            }
            i++;
        }
    }

    /// <summary><c>system</c>: a string (checked by the caller) or a list of text blocks.</summary>
    public void ValidateSystem(JsonElement system)
    {
        var j = 0;
        foreach (var block in system.EnumerateArray()) Block(block, new BlockPath(BlockPath.System, j++));
    }

    private void Block(JsonElement block, BlockPath at)
    {
        if (block.ValueKind != JsonValueKind.Object) throw Invalid($"{at}: Input should be an object");
        if (!block.TryGetProperty("type"u8, out var type)) throw Invalid($"{at}.type: Field required");
        if (type.ValueKind != JsonValueKind.String) throw Invalid($"{at}.type: Input should be a valid string");

        if (type.ValueEquals("text"u8))
        {
            RequireString(block, "text"u8, at, "text");
        }
        else if (type.ValueEquals("image"u8))
        {
            Image(block, at);
        }
        else if (type.ValueEquals("document"u8))
        {
            var source = RequireObject(block, "source"u8, at, "source");
            RequireString(source, "type"u8, at, "source.type");
            if (source.GetProperty("type"u8).ValueEquals("text"u8)) RequireString(source, "data"u8, at, "source.data");
            OptionalString(block, "title"u8, at, "title");
        }
        else if (type.ValueEquals("tool_use"u8))
        {
            RequireString(block, "id"u8, at, "id");
            RequireString(block, "name"u8, at, "name");
            if (block.GetProperty("name"u8).ValueEquals(""u8)) throw Invalid($"{at}.name: String should have at least 1 character");
            if (block.TryGetProperty("input"u8, out var input) && input.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                throw Invalid($"{at}.input: Input should be an object");
        }
        else if (type.ValueEquals("tool_result"u8))
        {
            if (at.IsToolResultPart) throw Invalid($"{at}.type: A tool_result cannot contain another tool_result");
            RequireString(block, "tool_use_id"u8, at, "tool_use_id");
            OptionalBoolean(block, "is_error"u8, at, "is_error");
            if (block.TryGetProperty("content"u8, out var c))
            {
                if (c.ValueKind == JsonValueKind.Array)
                {
                    var k = 0;
                    foreach (var part in c.EnumerateArray()) Block(part, at.Part(k++));
                }
                else if (c.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    throw Invalid($"{at}.content: Input should be a valid string or a list of content blocks");
                }
            }
        }
        else if (type.ValueEquals("thinking"u8))
        {
            RequireString(block, "thinking"u8, at, "thinking");
            OptionalString(block, "signature"u8, at, "signature");
        }
        else if (type.ValueEquals("tool_reference"u8))
        {
            RequireString(block, "tool_name"u8, at, "tool_name");
        }
        else if (!IsIgnored(type))
        {
            Unknown(type, at);
        }
    }

    private static void Image(JsonElement block, BlockPath at)
    {
        var source = RequireObject(block, "source"u8, at, "source");
        RequireString(source, "type"u8, at, "source.type");
        var sourceType = source.GetProperty("type"u8);
        if (sourceType.ValueEquals("base64"u8))
        {
            RequireString(source, "media_type"u8, at, "source.media_type");
            RequireString(source, "data"u8, at, "source.data");
        }
        else if (sourceType.ValueEquals("url"u8))
        {
            RequireString(source, "url"u8, at, "source.url");
        }
        else
        {
            throw Invalid($"{at}.source.type: Input should be 'base64' or 'url'");
        }
    }

    private static bool IsIgnored(JsonElement type)
    {
        var raw = RawJson.EscapedText(type);
        if (raw.Length > 64) return false;
        Span<char> name = stackalloc char[64];
        // Known names are ASCII without escapes; anything else is unknown by definition.
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] is >= 0x80 or (byte)'\\') return false;
            name[i] = (char)raw[i];
        }
        return IgnoredLookup.Contains(name[..raw.Length]);
    }

    private void Unknown(JsonElement type, BlockPath at)
    {
        _firstUnknownPath ??= at.ToString();
        var name = RequestLog.SafeName(type.GetString()!);
        _unknownTypes ??= [];
        if (_unknownTypes.Count < 8 && !_unknownTypes.Contains(name)) _unknownTypes.Add(name);
    }

    private static JsonElement RequireObject(JsonElement parent, ReadOnlySpan<byte> name, BlockPath at, string field)
    {
        if (!parent.TryGetProperty(name, out var value)) throw Invalid($"{at}.{field}: Field required");
        if (value.ValueKind != JsonValueKind.Object) throw Invalid($"{at}.{field}: Input should be an object");
        return value;
    }

    private static void RequireString(JsonElement parent, ReadOnlySpan<byte> name, BlockPath at, string field)
    {
        if (!parent.TryGetProperty(name, out var value)) throw Invalid($"{at}.{field}: Field required");
        if (value.ValueKind != JsonValueKind.String) throw Invalid($"{at}.{field}: Input should be a valid string");
    }

    private static void OptionalString(JsonElement parent, ReadOnlySpan<byte> name, BlockPath at, string field)
    {
        if (parent.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            throw Invalid($"{at}.{field}: Input should be a valid string");
    }

    private static void OptionalBoolean(JsonElement parent, ReadOnlySpan<byte> name, BlockPath at, string field)
    {
        if (parent.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            throw Invalid($"{at}.{field}: Input should be a valid boolean");
    }

    private static ProxyErrorException Invalid(string message) => new(ProxyError.InvalidRequest(message));

    /// <summary>Where a block sits, turned into <c>messages.3.content.0[.content.1]</c> or <c>system.2</c> only when
    /// an error names it (no string per block on the valid path).</summary>
    private readonly record struct BlockPath(int Message, int Block, int ToolResultPart = -1)
    {
        public const int System = -1;

        public bool IsToolResultPart => ToolResultPart >= 0;

        public BlockPath Part(int index) => this with { ToolResultPart = index };

        public override string ToString()
        {
            var block = Message == System ? $"system.{Block}" : $"messages.{Message}.content.{Block}";
            return IsToolResultPart ? $"{block}.content.{ToolResultPart}" : block;
        }
    }
}
