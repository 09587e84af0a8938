using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace FunctionsProxy.Infra.Tests.Arm;

/// <summary>
/// Evaluates the ARM template expressions Bicep emits for this project (<c>[format('st{0}', parameters('x'))]</c>,
/// <c>reference(...).primaryEndpoints.table</c>, <c>if</c>, <c>string</c>, ...) so tests can read the values a deployment
/// would hand the function app. <c>reference()</c> answers from <paramref name="reference"/> by resource type: that is
/// what Azure provides (endpoints, client ids), which a test points at loopback stand-ins. Unknown functions throw, so a
/// template change that needs more of ARM shows up as a clear failure rather than a wrong value.
/// </summary>
internal sealed class ArmExpressions(JsonObject template, IReadOnlyDictionary<string, JsonNode?> parameters, Func<string, JsonNode> reference)
{
    private readonly Dictionary<string, JsonNode?> _variables = new(StringComparer.OrdinalIgnoreCase);

    public static readonly string SubscriptionId = "00000000-0000-0000-0000-0000000000aa";
    public static readonly string TenantId = "00000000-0000-0000-0000-0000000000bb";

    /// <summary>Evaluates a template value: expression strings, and objects/arrays member by member.</summary>
    public JsonNode? Evaluate(JsonNode? value) => value switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Evaluate(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Evaluate).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var s) && s.StartsWith('[') && !s.StartsWith("[[", StringComparison.Ordinal) && s.EndsWith(']')
            => new Parser(this, s[1..^1]).ParseAll(),
        JsonValue v when v.TryGetValue<string>(out var s) && s.StartsWith("[[", StringComparison.Ordinal) => JsonValue.Create(s[1..]),
        null => null,
        _ => value.DeepClone(),
    };

    public JsonNode? Parameter(string name)
    {
        var declared = template["parameters"]?[name] ?? throw new InvalidOperationException($"parameter '{name}' is not declared");
        if (parameters.TryGetValue(name, out var given)) return given?.DeepClone();
        return declared["defaultValue"] is { } d ? Evaluate(d) : throw new InvalidOperationException($"parameter '{name}' has no value and no default");
    }

    public JsonNode? Variable(string name)
    {
        if (_variables.TryGetValue(name, out var cached)) return cached?.DeepClone();
        var declared = template["variables"]?[name] ?? throw new InvalidOperationException($"variable '{name}' is not declared");
        var value = Evaluate(declared);
        _variables[name] = value;
        return value?.DeepClone();
    }

    private JsonNode? Call(string name, List<JsonNode?> a) => name.ToLowerInvariant() switch
    {
        "parameters" => Parameter(Str(a[0])),
        "variables" => Variable(Str(a[0])),
        "reference" => reference(TypeOf(Str(a[0]))).DeepClone(),
        "resourceid" => JsonValue.Create($"/subscriptions/{SubscriptionId}/resourceGroups/rg/providers/{Str(a[0])}/{string.Join('/', a.Skip(1).Select(Str))}"),
        "subscriptionresourceid" => JsonValue.Create($"/subscriptions/{SubscriptionId}/providers/{Str(a[0])}/{string.Join('/', a.Skip(1).Select(Str))}"),
        "format" => JsonValue.Create(string.Format(CultureInfo.InvariantCulture, Str(a[0]), a.Skip(1).Select(x => (object)Text(x)).ToArray())),
        "concat" => JsonValue.Create(string.Concat(a.Select(Text))),
        "string" => JsonValue.Create(Text(a[0])),
        "json" => JsonNode.Parse(Str(a[0])),
        "if" => Bool(a[0]) ? a[1] : a[2],
        "not" => JsonValue.Create(!Bool(a[0])),
        "and" => JsonValue.Create(a.All(Bool)),
        "or" => JsonValue.Create(a.Any(Bool)),
        "equals" => JsonValue.Create(JsonNode.DeepEquals(a[0], a[1])),
        "empty" => JsonValue.Create(a[0] switch { null => true, JsonObject o => o.Count == 0, JsonArray r => r.Count == 0, _ => Text(a[0]).Length == 0 }),
        "tolower" => JsonValue.Create(Str(a[0]).ToLowerInvariant()),
        "take" => JsonValue.Create(Str(a[0])[..Math.Min(Str(a[0]).Length, a[1]!.GetValue<int>())]),
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        "union" => Union(a),
        "createobject" => new JsonObject(Enumerable.Range(0, a.Count / 2).Select(i => KeyValuePair.Create(Str(a[2 * i]), a[2 * i + 1]?.DeepClone()))),
        "createarray" => new JsonArray(a.Select(x => x?.DeepClone()).ToArray()),
        "uniquestring" => JsonValue.Create(Hash(a, 13)),
        "guid" => JsonValue.Create(new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', a.Select(Text))))[..16]).ToString()),
        "subscription" => new JsonObject { ["id"] = $"/subscriptions/{SubscriptionId}", ["subscriptionId"] = SubscriptionId, ["tenantId"] = TenantId },
        "tenant" => new JsonObject { ["tenantId"] = TenantId },
        _ => throw new NotSupportedException($"ARM function '{name}' is not supported by the test evaluator"),
    };

    private static string TypeOf(string resourceId)
    {
        // /subscriptions/s/resourceGroups/g/providers/Namespace/type[/child]/name[/childName]
        var segments = resourceId[(resourceId.IndexOf("/providers/", StringComparison.Ordinal) + 11)..].Split('/');
        var type = new StringBuilder(segments[0]).Append('/').Append(segments[1]);
        for (var i = 3; i < segments.Length; i += 2) type.Append('/').Append(segments[i]);
        return type.ToString();
    }

    private static JsonNode Union(List<JsonNode?> a)
    {
        var result = new JsonObject();
        foreach (var o in a.OfType<JsonObject>()) foreach (var (k, v) in o) result[k] = v?.DeepClone();
        return result;
    }

    private static string Hash(List<JsonNode?> a, int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', a.Select(Text))));
        return new string(bytes.Take(length).Select(b => alphabet[b % 32]).ToArray());
    }

    private static string Str(JsonNode? n) => n?.GetValue<string>() ?? throw new InvalidOperationException("expected a string");
    private static bool Bool(JsonNode? n) => n?.GetValue<bool>() ?? false;

    /// <summary>ARM's <c>string()</c>: strings as they are, everything else as compact JSON.</summary>
    private static string Text(JsonNode? n) => n switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "True" : "False",
        _ => n.ToJsonString(),
    };

    /// <summary>Recursive descent over ARM's expression grammar: calls, 'strings', numbers, .property and [index].</summary>
    private sealed class Parser(ArmExpressions owner, string text)
    {
        private int _at;

        public JsonNode? ParseAll()
        {
            var value = ParseExpression();
            Skip();
            if (_at != text.Length) throw new FormatException($"unexpected '{text[_at..]}' in [{text}]");
            return value;
        }

        private JsonNode? ParseExpression()
        {
            Skip();
            JsonNode? value;
            if (text[_at] == '\'')
            {
                value = JsonValue.Create(ReadString());
            }
            else if (char.IsDigit(text[_at]) || text[_at] == '-')
            {
                value = JsonValue.Create(ReadNumber());
            }
            else
            {
                var name = ReadIdentifier();
                Expect('(');
                var args = new List<JsonNode?>();
                Skip();
                while (text[_at] != ')')
                {
                    args.Add(ParseExpression());
                    Skip();
                    if (text[_at] == ',') _at++;
                    Skip();
                }
                _at++;
                value = owner.Call(name, args);
            }
            while (true)
            {
                Skip();
                if (_at < text.Length && text[_at] == '.') { _at++; var p = ReadIdentifier(); value = value?[p]?.DeepClone(); }
                else if (_at < text.Length && text[_at] == '[')
                {
                    _at++;
                    var index = ParseExpression();
                    Expect(']');
                    value = (index is JsonValue iv && iv.TryGetValue<int>(out var i) ? value?[i] : value?[Str(index)])?.DeepClone();
                }
                else
                {
                    return value;
                }
            }
        }

        private string ReadString()
        {
            var sb = new StringBuilder();
            _at++;
            while (true)
            {
                if (text[_at] == '\'' && _at + 1 < text.Length && text[_at + 1] == '\'') { sb.Append('\''); _at += 2; }
                else if (text[_at] == '\'') { _at++; return sb.ToString(); }
                else
                {
                    sb.Append(text[_at++]);
                }
            }
        }

        private int ReadNumber()
        {
            var start = _at++;
            while (_at < text.Length && char.IsDigit(text[_at])) _at++;
            return int.Parse(text[start.._at], CultureInfo.InvariantCulture);
        }

        private string ReadIdentifier()
        {
            Skip();
            var start = _at;
            while (_at < text.Length && (char.IsLetterOrDigit(text[_at]) || text[_at] == '_')) _at++;
            if (start == _at) throw new FormatException($"identifier expected at {_at} in [{text}]");
            return text[start.._at];
        }

        private void Expect(char c)
        {
            Skip();
            if (text[_at] != c) throw new FormatException($"'{c}' expected at {_at} in [{text}]");
            _at++;
        }

        private void Skip() { while (_at < text.Length && text[_at] == ' ') _at++; }
    }
}
