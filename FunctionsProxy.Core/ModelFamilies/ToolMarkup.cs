using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.ModelFamilies;

/// <summary>The tool-call formats open-weight models write into text when the server runs no tool parser.</summary>
internal enum MarkupKind
{
    None,
    ThinkOpen,
    ThinkClose,
    /// <summary>Kimi K2: <c>&lt;|tool_calls_section_begin|&gt; &lt;|tool_call_begin|&gt;functions.NAME:IDX&lt;|tool_call_argument_begin|&gt;{json}&lt;|tool_call_end|&gt; … &lt;|tool_calls_section_end|&gt;</c>.</summary>
    KimiSection,
    /// <summary>Kimi K2 variant spelling <c>&lt;|tool_call_section_begin|&gt;</c>.</summary>
    KimiSectionSingular,
    /// <summary>A Kimi call without the section wrapper.</summary>
    KimiCall,
    /// <summary>DeepSeek V3/V3.1/R1 full-width markers: <c>&lt;｜tool▁calls▁begin｜&gt; … &lt;｜tool▁calls▁end｜&gt;</c>.</summary>
    DeepSeekSection,
    DeepSeekCall,
    /// <summary><c>&lt;tool_call&gt;…&lt;/tool_call&gt;</c>: Hermes/Qwen JSON, Qwen3-Coder XML or GLM-4.5 arg_key/arg_value.</summary>
    XmlToolCall,
}

/// <summary>Marker strings (checked against vLLM's kimi_k2, deepseekv3/v31, hermes, qwen3coder and glm45 tool parsers) and
/// the parsers for complete markup regions. Runs only when markup was found, so it may allocate.</summary>
internal static class ToolMarkup
{
    public const string ThinkOpen = "<think>";
    public const string ThinkClose = "</think>";

    public const string KimiSectionBegin = "<|tool_calls_section_begin|>";
    public const string KimiSectionEnd = "<|tool_calls_section_end|>";
    public const string KimiSectionBeginSingular = "<|tool_call_section_begin|>";
    public const string KimiSectionEndSingular = "<|tool_call_section_end|>";
    public const string KimiCallBegin = "<|tool_call_begin|>";
    public const string KimiCallEnd = "<|tool_call_end|>";
    public const string KimiArgumentBegin = "<|tool_call_argument_begin|>";

    public const string DeepSeekSectionBegin = "<｜tool▁calls▁begin｜>";
    public const string DeepSeekSectionEnd = "<｜tool▁calls▁end｜>";
    public const string DeepSeekCallBegin = "<｜tool▁call▁begin｜>";
    public const string DeepSeekCallEnd = "<｜tool▁call▁end｜>";
    public const string DeepSeekSep = "<｜tool▁sep｜>";

    public const string XmlBegin = "<tool_call>";
    public const string XmlEnd = "</tool_call>";

    /// <summary>Every marker starts with '<': plain text is scanned for this one character only.</summary>
    public static readonly SearchValues<char> MarkerStart = SearchValues.Create("<");

    public static string Begin(MarkupKind kind) => kind switch
    {
        MarkupKind.ThinkOpen => ThinkOpen,
        MarkupKind.ThinkClose => ThinkClose,
        MarkupKind.KimiSection => KimiSectionBegin,
        MarkupKind.KimiSectionSingular => KimiSectionBeginSingular,
        MarkupKind.KimiCall => KimiCallBegin,
        MarkupKind.DeepSeekSection => DeepSeekSectionBegin,
        MarkupKind.DeepSeekCall => DeepSeekCallBegin,
        MarkupKind.XmlToolCall => XmlBegin,
        _ => "",
    };

    public static string End(MarkupKind kind) => kind switch
    {
        MarkupKind.KimiSection => KimiSectionEnd,
        MarkupKind.KimiSectionSingular => KimiSectionEndSingular,
        MarkupKind.KimiCall => KimiCallEnd,
        MarkupKind.DeepSeekSection => DeepSeekSectionEnd,
        MarkupKind.DeepSeekCall => DeepSeekCallEnd,
        MarkupKind.XmlToolCall => XmlEnd,
        _ => "",
    };

    public static readonly MarkupKind[] ToolKinds =
    [
        MarkupKind.KimiSection, MarkupKind.KimiSectionSingular, MarkupKind.KimiCall,
        MarkupKind.DeepSeekSection, MarkupKind.DeepSeekCall, MarkupKind.XmlToolCall,
    ];

    /// <summary>Parses a complete region body; returns how many calls went to the sink (0: not a tool call after all).</summary>
    /// <param name="parameterTypes">The request's tool schemas, for formats whose parameter values are untyped text.</param>
    public static int Parse(MarkupKind kind, ReadOnlySpan<char> body, IContentSink sink, ILogger? logger, ToolParameterTypes? parameterTypes = null)
    {
        switch (kind)
        {
            case MarkupKind.KimiSection:
            case MarkupKind.KimiSectionSingular:
                return EachCall(body, KimiCallBegin, KimiCallEnd, sink, logger, ParseKimiCall);
            case MarkupKind.KimiCall:
                return ParseKimiCall(body, sink, logger) ? 1 : 0;
            case MarkupKind.DeepSeekSection:
                return EachCall(body, DeepSeekCallBegin, DeepSeekCallEnd, sink, logger, ParseDeepSeekCall);
            case MarkupKind.DeepSeekCall:
                return ParseDeepSeekCall(body, sink, logger) ? 1 : 0;
            case MarkupKind.XmlToolCall:
                return ParseXmlToolCall(body, sink, logger, parameterTypes) ? 1 : 0;
            default:
                return 0;
        }
    }

    private delegate bool CallParser(ReadOnlySpan<char> body, IContentSink sink, ILogger? logger);

    private static int EachCall(ReadOnlySpan<char> section, string begin, string end, IContentSink sink, ILogger? logger, CallParser parse)
    {
        var count = 0;
        while (true)
        {
            var b = section.IndexOf(begin, StringComparison.Ordinal);
            if (b < 0) return count;
            section = section[(b + begin.Length)..];
            // A missing call end (stream cut at the end token) still yields the call: up to the next begin or the end.
            var e = section.IndexOf(end, StringComparison.Ordinal);
            var next = section.IndexOf(begin, StringComparison.Ordinal);
            var stop = e < 0 ? (next < 0 ? section.Length : next) : (next >= 0 && next < e ? next : e);
            if (parse(section[..stop], sink, logger)) count++;
            section = section[(stop == e ? e + end.Length : stop)..];
        }
    }

    /// <summary><c>functions.NAME:IDX&lt;|tool_call_argument_begin|&gt;{json}</c>; the whole id is kept (Kimi's templates
    /// expect it back in history).</summary>
    private static bool ParseKimiCall(ReadOnlySpan<char> body, IContentSink sink, ILogger? logger)
    {
        var a = body.IndexOf(KimiArgumentBegin, StringComparison.Ordinal);
        if (a < 0) return false;
        var id = body[..a].Trim();
        var name = id;
        var colon = name.LastIndexOf(':');
        if (colon > 0) name = name[..colon];
        var dot = name.IndexOf('.');
        if (dot >= 0) name = name[(dot + 1)..];
        name = name.Trim();
        if (name.IsEmpty) return false;
        var args = body[(a + KimiArgumentBegin.Length)..].Trim();
        sink.OnToolCall(id.ToString(), name.ToString(), ToolArguments.Normalize(args.ToString(), logger));
        return true;
    }

    /// <summary>V3/R1: <c>function&lt;｜tool▁sep｜&gt;NAME\n```json\n{…}\n```</c>; V3.1: <c>NAME&lt;｜tool▁sep｜&gt;{…}</c>.</summary>
    private static bool ParseDeepSeekCall(ReadOnlySpan<char> body, IContentSink sink, ILogger? logger)
    {
        var s = body.IndexOf(DeepSeekSep, StringComparison.Ordinal);
        if (s < 0) return false;
        var left = body[..s].Trim();
        var right = body[(s + DeepSeekSep.Length)..];
        ReadOnlySpan<char> name, args;
        var rightTrimmed = right.TrimStart();
        if (left.SequenceEqual("function") && !rightTrimmed.StartsWith('{'))
        {
            var nl = rightTrimmed.IndexOf('\n');
            name = (nl < 0 ? rightTrimmed : rightTrimmed[..nl]).Trim();
            args = nl < 0 ? default : rightTrimmed[(nl + 1)..].Trim();
        }
        else
        {
            name = left;
            args = right.Trim();
        }
        if (!IsPlausibleName(name)) return false;
        sink.OnToolCall(null, name.ToString(), ToolArguments.Normalize(args.ToString(), logger));
        return true;
    }

    private static bool ParseXmlToolCall(ReadOnlySpan<char> body, IContentSink sink, ILogger? logger, ToolParameterTypes? types)
    {
        var t = body.Trim();
        if (t.StartsWith('{')) return ParseHermes(t, sink, logger);
        if (t.StartsWith("<function=", StringComparison.Ordinal)) return ParseQwenCoder(t, sink, types);
        return ParseGlm(t, sink, logger, types);
    }

    /// <summary>Hermes/Qwen: <c>{"name": "...", "arguments": {...}}</c> (arguments may be a string; some write "parameters").</summary>
    private static bool ParseHermes(ReadOnlySpan<char> json, IContentSink sink, ILogger? logger)
    {
        var repaired = ToolArguments.TryRepair(json.ToString());
        if (repaired is null) return false;
        using var doc = JsonDocument.Parse(repaired);
        var root = doc.RootElement;
        if (!root.TryGetProperty("name"u8, out var n) || n.ValueKind != JsonValueKind.String || !IsPlausibleName(n.GetString())) return false;
        string args;
        if (root.TryGetProperty("arguments"u8, out var a) || root.TryGetProperty("parameters"u8, out a))
            args = a.ValueKind switch
            {
                JsonValueKind.Object => a.GetRawText(),
                JsonValueKind.String => ToolArguments.Normalize(a.GetString(), logger),
                JsonValueKind.Null => "{}",
                _ => ToolArguments.Normalize(a.GetRawText(), logger),
            };
        else args = "{}";
        sink.OnToolCall(null, n.GetString()!, args);
        return true;
    }

    /// <summary>Qwen3-Coder: <c>&lt;function=NAME&gt;&lt;parameter=p&gt;\nvalue\n&lt;/parameter&gt;…&lt;/function&gt;</c>.</summary>
    private static bool ParseQwenCoder(ReadOnlySpan<char> t, IContentSink sink, ToolParameterTypes? types)
    {
        const string fn = "<function=", param = "<parameter=", paramEnd = "</parameter>", fnEnd = "</function>";
        var gt = t.IndexOf('>');
        if (gt < 0) return false;
        var name = t[fn.Length..gt].Trim();
        if (!IsPlausibleName(name)) return false;
        var toolName = name.ToString();
        var rest = t[(gt + 1)..];
        var end = rest.IndexOf(fnEnd, StringComparison.Ordinal);
        if (end >= 0) rest = rest[..end];

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Anthropic.AnthropicJson.ValidatingWriterOptions))
        {
            w.WriteStartObject();
            while (true)
            {
                var p = rest.IndexOf(param, StringComparison.Ordinal);
                if (p < 0) break;
                rest = rest[(p + param.Length)..];
                var close = rest.IndexOf('>');
                if (close < 0) break;
                var key = rest[..close].Trim();
                rest = rest[(close + 1)..];
                var ve = rest.IndexOf(paramEnd, StringComparison.Ordinal);
                var vn = rest.IndexOf(param, StringComparison.Ordinal);
                var stop = ve < 0 ? (vn < 0 ? rest.Length : vn) : (vn >= 0 && vn < ve ? vn : ve);
                w.WritePropertyName(key);
                WriteParameterValue(w, rest[..stop], types?.Lookup(toolName, key) ?? ParameterKinds.Unknown);
                rest = rest[(stop == ve ? ve + paramEnd.Length : stop)..];
            }
            w.WriteEndObject();
        }
        sink.OnToolCall(null, toolName, Encoding.UTF8.GetString(buffer.WrittenSpan));
        return true;
    }

    /// <summary>GLM-4.5/4.6: <c>NAME\n&lt;arg_key&gt;k&lt;/arg_key&gt;\n&lt;arg_value&gt;v&lt;/arg_value&gt;…</c>; GLM-4: <c>NAME\n{json}</c>.</summary>
    private static bool ParseGlm(ReadOnlySpan<char> t, IContentSink sink, ILogger? logger, ToolParameterTypes? types)
    {
        const string key = "<arg_key>", keyEnd = "</arg_key>", value = "<arg_value>", valueEnd = "</arg_value>";
        var k = t.IndexOf(key, StringComparison.Ordinal);
        if (k < 0)
        {
            var brace = t.IndexOf('{');
            var bare = (brace < 0 ? t : t[..brace]).Trim();
            if (!IsPlausibleName(bare)) return false;
            sink.OnToolCall(null, bare.ToString(), brace < 0 ? "{}" : ToolArguments.Normalize(t[brace..].ToString(), logger));
            return true;
        }
        var name = t[..k].Trim();
        if (!IsPlausibleName(name)) return false;
        var toolName = name.ToString();
        var rest = t[k..];
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Anthropic.AnthropicJson.ValidatingWriterOptions))
        {
            w.WriteStartObject();
            while (true)
            {
                var ks = rest.IndexOf(key, StringComparison.Ordinal);
                if (ks < 0) break;
                rest = rest[(ks + key.Length)..];
                var ke = rest.IndexOf(keyEnd, StringComparison.Ordinal);
                if (ke < 0) break;
                var argName = rest[..ke].Trim();
                rest = rest[(ke + keyEnd.Length)..];
                var vs = rest.IndexOf(value, StringComparison.Ordinal);
                var nextKey = rest.IndexOf(key, StringComparison.Ordinal);
                w.WritePropertyName(argName);
                if (vs < 0 || (nextKey >= 0 && nextKey < vs)) { w.WriteNullValue(); continue; }
                rest = rest[(vs + value.Length)..];
                var ve = rest.IndexOf(valueEnd, StringComparison.Ordinal);
                var stop = ve < 0 ? rest.Length : ve;
                WriteParameterValue(w, rest[..stop], types?.Lookup(toolName, argName) ?? ParameterKinds.Unknown);
                rest = rest[(ve < 0 ? stop : ve + valueEnd.Length)..];
            }
            w.WriteEndObject();
        }
        sink.OnToolCall(null, toolName, Encoding.UTF8.GetString(buffer.WrittenSpan));
        return true;
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

    private static bool IsPlausibleName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 256) return false;
        foreach (var c in name)
            if (char.IsWhiteSpace(c) || c is '<' or '>' or '{' or '}' or '"' or '\'') return false;
        return true;
    }
}
