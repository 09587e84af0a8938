using System.Text.Json;

namespace FunctionsProxy.ModelFamilies;

/// <summary>JSON types a tool parameter's schema allows (a union: <c>"type": ["string", "null"]</c>, <c>anyOf</c>).</summary>
[Flags]
internal enum ParameterKinds
{
    /// <summary>No usable schema: the value's own shape decides.</summary>
    Unknown = 0,
    String = 1,
    Integer = 2,
    Number = 4,
    Boolean = 8,
    Object = 16,
    Array = 32,
    Null = 64,
}

/// <summary>
/// The parameter types of the request's tools, for markup whose values are untyped text (Qwen3-Coder's
/// <c>&lt;parameter=…&gt;</c>, GLM's <c>&lt;arg_value&gt;</c>). vLLM's qwen3coder and glm45 parsers convert those values by
/// the tool schema; without it a <c>Write</c> of the content "42" would reach Claude Code as the number 42 and fail
/// its input validation. Built lazily: markup is rare, and most requests never ask.
/// </summary>
public sealed class ToolParameterTypes(JsonElement? tools, IToolNameMapper names)
{
    private Dictionary<string, JsonElement>? _properties;

    internal ParameterKinds Lookup(string upstreamToolName, ReadOnlySpan<char> parameter)
    {
        _properties ??= Index(tools);
        return _properties.TryGetValue(names.ToClient(upstreamToolName), out var properties) && properties.TryGetProperty(parameter, out var schema)
            ? KindsOf(schema, depth: 0)
            : ParameterKinds.Unknown;
    }

    /// <summary>Client tool name → its <c>input_schema.properties</c> object.</summary>
    private static Dictionary<string, JsonElement> Index(JsonElement? tools)
    {
        var index = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (tools is not { ValueKind: JsonValueKind.Array } array) return index;
        foreach (var tool in array.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object
                && tool.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String
                && tool.TryGetProperty("input_schema"u8, out var schema) && schema.ValueKind == JsonValueKind.Object
                && schema.TryGetProperty("properties"u8, out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                index.TryAdd(name.GetString()!, properties);
            }
        }
        return index;
    }

    private static ParameterKinds KindsOf(JsonElement schema, int depth)
    {
        if (schema.ValueKind != JsonValueKind.Object || depth > 4) return ParameterKinds.Unknown;
        if (schema.TryGetProperty("type"u8, out var type))
        {
            if (type.ValueKind == JsonValueKind.String) return KindOf(type);
            if (type.ValueKind == JsonValueKind.Array)
            {
                var kinds = ParameterKinds.Unknown;
                foreach (var t in type.EnumerateArray())
                {
                    var k = t.ValueKind == JsonValueKind.String ? KindOf(t) : ParameterKinds.Unknown;
                    if (k == ParameterKinds.Unknown) return ParameterKinds.Unknown;
                    kinds |= k;
                }
                return kinds;
            }
            return ParameterKinds.Unknown;
        }
        foreach (var union in (ReadOnlySpan<string>)["anyOf", "oneOf"])
        {
            if (!schema.TryGetProperty(union, out var branches) || branches.ValueKind != JsonValueKind.Array) continue;
            var kinds = ParameterKinds.Unknown;
            foreach (var branch in branches.EnumerateArray())
            {
                var k = KindsOf(branch, depth + 1);
                if (k == ParameterKinds.Unknown) return ParameterKinds.Unknown; // one open branch: anything goes
                kinds |= k;
            }
            return kinds;
        }
        if (schema.TryGetProperty("enum"u8, out var values) && values.ValueKind == JsonValueKind.Array)
        {
            var kinds = ParameterKinds.Unknown;
            foreach (var v in values.EnumerateArray())
            {
                kinds |= v.ValueKind switch
                {
                    JsonValueKind.String => ParameterKinds.String,
                    JsonValueKind.Number => ParameterKinds.Number,
                    JsonValueKind.True or JsonValueKind.False => ParameterKinds.Boolean,
                    JsonValueKind.Null => ParameterKinds.Null,
                    _ => ParameterKinds.Unknown,
                };
            }

            return kinds;
        }
        return ParameterKinds.Unknown;
    }

    private static ParameterKinds KindOf(JsonElement type)
    {
        if (type.ValueEquals("string"u8)) return ParameterKinds.String;
        if (type.ValueEquals("integer"u8)) return ParameterKinds.Integer;
        if (type.ValueEquals("number"u8)) return ParameterKinds.Number;
        if (type.ValueEquals("boolean"u8)) return ParameterKinds.Boolean;
        if (type.ValueEquals("object"u8)) return ParameterKinds.Object;
        if (type.ValueEquals("array"u8)) return ParameterKinds.Array;
        if (type.ValueEquals("null"u8)) return ParameterKinds.Null;
        return ParameterKinds.Unknown;
    }
}
