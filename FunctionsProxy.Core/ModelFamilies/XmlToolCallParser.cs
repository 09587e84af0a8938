using System.Buffers;
using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// The two key/value dialects inside <c>&lt;tool_call&gt;</c>: Qwen3-Coder's <c>&lt;parameter=KEY&gt;</c> and GLM's
/// <c>&lt;arg_key&gt;</c>/<c>&lt;arg_value&gt;</c>. Both name the function, then list parameters whose values are
/// untyped text; one loop reads either, typed by the request's tool schemas.
/// </summary>
internal static class XmlToolCallParser
{
    public const string QwenCoderFunction = "<function=";

    /// <summary>Qwen3-Coder: <c>&lt;function=NAME&gt;&lt;parameter=p&gt;\nvalue\n&lt;/parameter&gt;…&lt;/function&gt;</c>.</summary>
    private static readonly KeyValueSyntax QwenCoder = new("<parameter=", ">", null, "</parameter>");

    /// <summary>GLM-4.5/4.6: <c>&lt;arg_key&gt;k&lt;/arg_key&gt;\n&lt;arg_value&gt;v&lt;/arg_value&gt;</c>.</summary>
    private static readonly KeyValueSyntax Glm = new("<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>");

    public static bool ParseQwenCoder(ReadOnlySpan<char> t, IContentSink sink, ToolParameterTypes? types)
    {
        const string fnEnd = "</function>";
        var gt = t.IndexOf('>');
        if (gt < 0) return false;
        var name = t[QwenCoderFunction.Length..gt].Trim();
        if (!ToolMarkupParser.IsPlausibleName(name)) return false;
        var rest = t[(gt + 1)..];
        var end = rest.IndexOf(fnEnd, StringComparison.Ordinal);
        if (end >= 0) rest = rest[..end];
        var toolName = name.ToString();
        sink.OnToolCall(null, toolName, WriteArguments(rest, QwenCoder, toolName, types));
        return true;
    }

    /// <summary>GLM-4.5/4.6: <c>NAME\n&lt;arg_key&gt;…</c>; GLM-4: <c>NAME\n{json}</c>.</summary>
    public static bool ParseGlm(ReadOnlySpan<char> t, IContentSink sink, ILogger? logger, ToolParameterTypes? types)
    {
        var k = t.IndexOf(Glm.KeyOpen, StringComparison.Ordinal);
        if (k < 0)
        {
            var brace = t.IndexOf('{');
            var bare = (brace < 0 ? t : t[..brace]).Trim();
            if (!ToolMarkupParser.IsPlausibleName(bare)) return false;
            sink.OnToolCall(null, bare.ToString(), brace < 0 ? "{}" : ToolArguments.Normalize(t[brace..].ToString(), logger));
            return true;
        }
        var name = t[..k].Trim();
        if (!ToolMarkupParser.IsPlausibleName(name)) return false;
        var toolName = name.ToString();
        sink.OnToolCall(null, toolName, WriteArguments(t[k..], Glm, toolName, types));
        return true;
    }

    /// <summary>How one dialect spells a parameter. <paramref name="ValueOpen"/> is null when the value follows the key
    /// directly.</summary>
    private sealed record KeyValueSyntax(string KeyOpen, string KeyClose, string? ValueOpen, string ValueClose);

    /// <summary>The parameters as a JSON object. A value ends at its close marker or, when that is missing, at the
    /// next key or the end; a GLM key without a value is null.</summary>
    private static string WriteArguments(ReadOnlySpan<char> rest, KeyValueSyntax syntax, string toolName, ToolParameterTypes? types)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, AnthropicJson.ValidatingWriterOptions))
        {
            w.WriteStartObject();
            while (true)
            {
                var ks = rest.IndexOf(syntax.KeyOpen, StringComparison.Ordinal);
                if (ks < 0) break;
                rest = rest[(ks + syntax.KeyOpen.Length)..];
                var ke = rest.IndexOf(syntax.KeyClose, StringComparison.Ordinal);
                if (ke < 0) break;
                var key = rest[..ke].Trim();
                rest = rest[(ke + syntax.KeyClose.Length)..];
                w.WritePropertyName(key);
                if (syntax.ValueOpen is { } valueOpen)
                {
                    var vs = rest.IndexOf(valueOpen, StringComparison.Ordinal);
                    var nextKey = rest.IndexOf(syntax.KeyOpen, StringComparison.Ordinal);
                    if (vs < 0 || (nextKey >= 0 && nextKey < vs)) { w.WriteNullValue(); continue; }
                    rest = rest[(vs + valueOpen.Length)..];
                }
                var ve = rest.IndexOf(syntax.ValueClose, StringComparison.Ordinal);
                var vn = rest.IndexOf(syntax.KeyOpen, StringComparison.Ordinal);
                var stop = ve < 0 ? (vn < 0 ? rest.Length : vn) : (vn >= 0 && vn < ve ? vn : ve);
                WriteParameterValue(w, rest[..stop], types?.Lookup(toolName, key) ?? ParameterKinds.Unknown);
                rest = rest[(stop == ve ? ve + syntax.ValueClose.Length : stop)..];
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>XML parameter values are untyped text. With the tool's schema they are converted as vLLM's qwen3coder and
    /// glm45 parsers do (a string parameter stays a string whatever it looks like; numbers, booleans, objects and arrays
    /// are parsed when the text is one); without a schema, JSON objects, arrays, numbers and literals are taken as JSON
    /// and anything else is a string. One newline each side is layout.</summary>
    private static void WriteParameterValue(Utf8JsonWriter w, ReadOnlySpan<char> raw, ParameterKinds kinds)
    {
        if (raw.StartsWith('\n')) raw = raw[1..];
        if (raw.EndsWith('\n')) raw = raw[..^1];
        var t = raw.Trim();
        if (kinds == ParameterKinds.String)
        {
            w.WriteStringValue(raw);
            return;
        }
        if (kinds != ParameterKinds.Unknown)
        {
            if (kinds.HasFlag(ParameterKinds.Null) && t.Equals("null", StringComparison.OrdinalIgnoreCase)) { w.WriteNullValue(); return; }
            if (kinds.HasFlag(ParameterKinds.Boolean) && t.Equals("true", StringComparison.OrdinalIgnoreCase)) { w.WriteBooleanValue(true); return; }
            if (kinds.HasFlag(ParameterKinds.Boolean) && t.Equals("false", StringComparison.OrdinalIgnoreCase)) { w.WriteBooleanValue(false); return; }
            if (StartsLikeNumberOrContainer(t) && TryParseJson(t) is { } doc)
            {
                using (doc)
                {
                    var value = doc.RootElement;
                    var fits = value.ValueKind switch
                    {
                        JsonValueKind.Number => kinds.HasFlag(ParameterKinds.Number) || (kinds.HasFlag(ParameterKinds.Integer) && value.TryGetInt64(out _)),
                        JsonValueKind.Object => kinds.HasFlag(ParameterKinds.Object),
                        JsonValueKind.Array => kinds.HasFlag(ParameterKinds.Array),
                        _ => false,
                    };
                    if (fits) { value.WriteTo(w); return; }
                }
            }
            // Text that is not what the schema asks for stays text (vLLM falls back to the string too); the client's
            // own validation then names the problem.
            w.WriteStringValue(raw);
            return;
        }
        if ((StartsLikeNumberOrContainer(t) || t.SequenceEqual("true") || t.SequenceEqual("false") || t.SequenceEqual("null")) && TryParseJson(t) is { } guessed)
        {
            using (guessed) guessed.RootElement.WriteTo(w);
            return;
        }
        w.WriteStringValue(raw);
    }

    private static bool StartsLikeNumberOrContainer(ReadOnlySpan<char> t) => !t.IsEmpty && (t[0] is '{' or '[' or '-' || char.IsAsciiDigit(t[0]));

    private static JsonDocument? TryParseJson(ReadOnlySpan<char> text)
    {
        try
        {
            return JsonDocument.Parse(text.ToString());
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
