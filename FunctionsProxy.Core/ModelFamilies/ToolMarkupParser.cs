using System.Text.Json;
using Microsoft.Extensions.Logging;
using static FunctionsProxy.ModelFamilies.ToolMarkup;

namespace FunctionsProxy.ModelFamilies;

/// <summary>Parses complete markup regions (the text between a <see cref="ToolMarkup"/> begin and end marker) into
/// tool calls. Runs only when markup was found, so it may allocate.</summary>
internal static class ToolMarkupParser
{
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

    /// <summary><c>&lt;tool_call&gt;</c> bodies come in three dialects, told apart by their first character.</summary>
    private static bool ParseXmlToolCall(ReadOnlySpan<char> body, IContentSink sink, ILogger? logger, ToolParameterTypes? types)
    {
        var t = body.Trim();
        if (t.StartsWith('{')) return ParseHermes(t, sink, logger);
        if (t.StartsWith(XmlToolCallParser.QwenCoderFunction, StringComparison.Ordinal)) return XmlToolCallParser.ParseQwenCoder(t, sink, types);
        return XmlToolCallParser.ParseGlm(t, sink, logger, types);
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
        {
            args = a.ValueKind switch
            {
                JsonValueKind.Object => a.GetRawText(),
                JsonValueKind.String => ToolArguments.Normalize(a.GetString(), logger),
                JsonValueKind.Null => "{}",
                _ => ToolArguments.Normalize(a.GetRawText(), logger),
            };
        }
        else
        {
            args = "{}";
        }

        sink.OnToolCall(null, n.GetString()!, args);
        return true;
    }

    /// <summary>A tool name as models write it: no whitespace, no markup or JSON punctuation, at most 256 characters.</summary>
    public static bool IsPlausibleName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > 256) return false;
        foreach (var c in name)
            if (char.IsWhiteSpace(c) || c is '<' or '>' or '{' or '}' or '"' or '\'') return false;
        return true;
    }
}
