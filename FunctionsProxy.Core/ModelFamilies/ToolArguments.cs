using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// Tool-call arguments from the backend → JSON object text for <c>tool_use.input</c>. Open-weight models and their
/// parsers produce near-JSON: single quotes, trailing commas, code fences, raw newlines inside strings, Python
/// <c>True/False/None</c>, a JSON string holding the object (double encoding). Those are repaired. What cannot be
/// repaired is never replaced by <c>{}</c> (the tool would run with no input): the raw text is kept as
/// <c>{"_raw_arguments":"…"}</c> (<see cref="RawArgumentsKey"/>) and a warning is logged (length only, no content).
/// </summary>
/// <remarks>README line: <c>_raw_arguments</c> — when a model's tool-call arguments are not repairable JSON, the proxy
/// passes the raw text to the client as <c>{"_raw_arguments": "&lt;text&gt;"}</c> and logs a warning instead of
/// silently sending <c>{}</c>; the tool then reports a validation error the model can react to.</remarks>
public static partial class ToolArguments
{
    /// <summary>The key under which irreparable argument text is passed to the client.</summary>
    public const string RawArgumentsKey = "_raw_arguments";

    private const int MaxDepth = 3;

    public static string Normalize(string? raw, ILogger? logger = null)
    {
        if (string.IsNullOrWhiteSpace(raw)) return "{}";
        if (TryNormalize(raw, 0) is { } ok) return ok;
        if (logger is not null) LogIrreparable(logger, raw.Length);
        return WrapRaw(raw);
    }

    /// <summary>The repaired object text, or null when the text is not (near-)JSON for an object.</summary>
    public static string? TryRepair(string raw) => string.IsNullOrWhiteSpace(raw) ? "{}" : TryNormalize(raw, 0);

    private static string? TryNormalize(string raw, int depth)
    {
        if (depth > MaxDepth) return null;
        switch (Classify(raw, out var inner))
        {
            case JsonValueKind.Object: return raw;
            case JsonValueKind.String: return string.IsNullOrWhiteSpace(inner) ? "{}" : TryNormalize(inner!, depth + 1);
            case JsonValueKind.Undefined: break; // not JSON: try repairs
            default: return null;                 // valid JSON, but not an object (array, number…)
        }

        var text = StripCodeFence(raw.AsSpan().Trim());
        if (text.IsEmpty) return "{}";
        var repaired = Rewrite(text);
        if (repaired is null) return null;
        return Classify(repaired, out inner) switch
        {
            JsonValueKind.Object => repaired,
            JsonValueKind.String when depth < MaxDepth => string.IsNullOrWhiteSpace(inner) ? "{}" : TryNormalize(inner!, depth + 1),
            _ => null,
        };
    }

    /// <summary>Kind of the JSON value in <paramref name="text"/>; Undefined when it does not parse.</summary>
    private static JsonValueKind Classify(string text, out string? stringValue)
    {
        stringValue = null;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read()) return JsonValueKind.Undefined;
            var kind = reader.TokenType switch
            {
                JsonTokenType.StartObject => JsonValueKind.Object,
                JsonTokenType.StartArray => JsonValueKind.Array,
                JsonTokenType.String => JsonValueKind.String,
                JsonTokenType.Number => JsonValueKind.Number,
                JsonTokenType.True => JsonValueKind.True,
                JsonTokenType.False => JsonValueKind.False,
                _ => JsonValueKind.Null,
            };
            if (kind == JsonValueKind.String) stringValue = reader.GetString();
            if (!reader.TrySkip()) return JsonValueKind.Undefined;
            // Trailing garbage makes it invalid (Utf8JsonReader would otherwise stop after the first value).
            while (reader.Read()) return JsonValueKind.Undefined;
            return kind;
        }
        catch (JsonException)
        {
            return JsonValueKind.Undefined;
        }
    }

    private static ReadOnlySpan<char> StripCodeFence(ReadOnlySpan<char> text)
    {
        if (!text.StartsWith("```")) return text;
        var newline = text.IndexOf('\n');
        if (newline < 0) return text.TrimStart('`');
        text = text[(newline + 1)..].TrimEnd();
        if (text.EndsWith("```")) text = text[..^3];
        return text.Trim();
    }

    /// <summary>One pass over near-JSON: quotes normalised, control characters escaped, trailing commas removed,
    /// Python literals and bare keys fixed. Null when a string is left unterminated.</summary>
    private static string? Rewrite(ReadOnlySpan<char> s)
    {
        var sb = new StringBuilder(s.Length + 16);
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c is '"' or '\'')
            {
                var end = ReadString(s, i, sb);
                if (end < 0) return null;
                i = end;
            }
            else if (c == ',')
            {
                var j = i + 1;
                while (j < s.Length && char.IsWhiteSpace(s[j])) j++;
                if (j < s.Length && s[j] is '}' or ']') { i++; continue; }
                if (j == s.Length) { i++; continue; }
                sb.Append(c);
                i++;
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var j = i;
                while (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] == '_')) j++;
                var word = s[i..j];
                var k = j;
                while (k < s.Length && char.IsWhiteSpace(s[k])) k++;
                if (k < s.Length && s[k] == ':') sb.Append('"').Append(word).Append('"');
                else if (word.SequenceEqual("True")) sb.Append("true");
                else if (word.SequenceEqual("False")) sb.Append("false");
                else if (word.SequenceEqual("None")) sb.Append("null");
                else sb.Append(word);
                i = j;
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }
        return sb.ToString();
    }

    /// <summary>Copies the string starting at <paramref name="start"/> as a JSON string; returns the index after it or -1.</summary>
    private static int ReadString(ReadOnlySpan<char> s, int start, StringBuilder sb)
    {
        var quote = s[start];
        sb.Append('"');
        for (var i = start + 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\' && i + 1 < s.Length)
            {
                var e = s[++i];
                if (e == '\'') sb.Append('\'');
                else if (e is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't' or 'u') sb.Append('\\').Append(e);
                else if (e == '\n') sb.Append("\\n");
                else sb.Append("\\\\").Append(e);
            }
            else if (c == quote)
            {
                sb.Append('"');
                return i + 1;
            }
            else if (c == '"')
            {
                sb.Append("\\\"");
            }
            else if (c == '\n')
            {
                sb.Append("\\n");
            }
            else if (c == '\r')
            {
                sb.Append("\\r");
            }
            else if (c == '\t')
            {
                sb.Append("\\t");
            }
            else if (c < ' ')
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }
        return -1;
    }

    private static string WrapRaw(string raw)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(raw.Length + 32);
        using (var w = new Utf8JsonWriter(buffer, Anthropic.AnthropicJson.ValidatingWriterOptions))
        {
            w.WriteStartObject();
            w.WriteString(RawArgumentsKey, raw);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning,
        Message = "Tool-call arguments are not repairable JSON ({Length} chars); passed to the client under _raw_arguments")]
    private static partial void LogIrreparable(ILogger logger, int length);
}
