using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionsProxy.Infra.Tests.Arm;

/// <summary>
/// What <c>azd provision</c> makes of <c>infra/main.parameters.json</c>: <c>${NAME}</c> placeholders are replaced by the
/// azd environment's values in the file's text (envsubst rules: <c>${NAME=default}</c> when unset, <c>${NAME:=default}</c>
/// when unset or empty, and the default ends at the first <c>}</c>), then the file is parsed. A parameter left empty
/// falls back to its Bicep default; an <c>object</c>/<c>array</c> parameter given a JSON text receives that JSON value.
/// One modelling choice: a value is substituted into a JSON string with its quotes escaped, so a map survives the
/// text step and the tests look at what reaches the template (an unescaped substitution fails even earlier).
/// </summary>
internal static class AzdParameters
{
    public static Dictionary<string, JsonNode?> Resolve(string parametersFileText, JsonObject template, IReadOnlyDictionary<string, string> environment)
    {
        var substituted = Substitute(parametersFileText, environment);
        var file = JsonNode.Parse(substituted)!["parameters"]!.AsObject();
        var result = new Dictionary<string, JsonNode?>();
        foreach (var (name, entry) in file)
        {
            var declared = template["parameters"]?[name] ?? throw new InvalidOperationException($"main.parameters.json sets '{name}', which main.bicep does not declare");
            var type = declared["type"]!.GetValue<string>().ToLowerInvariant();
            var value = entry!["value"];
            if (value is JsonValue v && v.TryGetValue<string>(out var s))
            {
                if (s.Length == 0 && declared["defaultValue"] is not null) continue;
                if (type is "object" or "array" or "secureobject") value = JsonNode.Parse(s);
            }
            result[name] = value?.DeepClone();
        }
        return result;
    }

    public static string Substitute(string text, IReadOnlyDictionary<string, string> environment)
    {
        var sb = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var end = text.IndexOf('}', i);
                var body = text[(i + 2)..end];
                var op = body.IndexOfAny(['=', ':', '-']);
                var name = op < 0 ? body : body[..op];
                var set = environment.TryGetValue(name, out var value);
                if (op >= 0)
                {
                    var emptyCounts = body[op] == ':';
                    var fallback = body[(op + (emptyCounts ? 2 : 1))..];
                    if (!set || (emptyCounts && string.IsNullOrEmpty(value))) value = fallback;
                }
                sb.Append(JsonEncodedText.Encode(value ?? "", System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString());
                i = end + 1;
            }
            else
            {
                sb.Append(text[i++]);
            }
        }
        return sb.ToString();
    }
}
