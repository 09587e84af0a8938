using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionsProxy.Tests.Infrastructure;

/// <summary>
/// Seeded mutations of real request bodies for fuzzing: wrong JSON types, nulls, deleted fields, duplicate keys,
/// invalid UTF-8, lone surrogate escapes, truncation, deep nesting, huge strings, unknown block types. Tree
/// mutations work on a <see cref="JsonNode"/> copy; what a tree cannot hold (bad bytes, duplicate keys, raw escapes)
/// goes in as a marker string that is swapped for raw bytes after serialization.
/// </summary>
public sealed class RequestMutator(int seed)
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Random _random = new(seed);
    private readonly List<(string Marker, byte[] Raw)> _markers = [];

    /// <summary>The mutations applied to the last body, for failure messages.</summary>
    public List<string> Applied { get; } = [];

    public byte[] Mutate(JsonObject seedBody)
    {
        _markers.Clear();
        Applied.Clear();
        var root = seedBody.DeepClone().AsObject();
        // A quarter of the bodies get only valid oddities, so the translators (not just validation) see strange input.
        if (_random.Next(4) == 0) MutateValid(root);
        else for (var count = 1 + _random.Next(2); count > 0; count--) MutateTree(root);

        var bytes = Encoding.UTF8.GetBytes(root.ToJsonString(Relaxed));
        foreach (var (marker, raw) in _markers) bytes = Replace(bytes, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(marker, Relaxed)), raw);

        var roll = _random.Next(100);
        if (roll < 3)
        {
            var at = _random.Next(bytes.Length);
            Applied.Add($"truncate at {at}");
            bytes = bytes[..at];
        }
        else if (roll < 5)
        {
            var at = _random.Next(bytes.Length);
            var junk = Pick<byte[]>([[0xFF], [0xC3], [0x00], "\\"u8.ToArray(), "\""u8.ToArray(), [0xED, 0xA0, 0x80]]);
            Applied.Add($"insert {Convert.ToHexString(junk)} at {at}");
            bytes = [.. bytes[..at], .. junk, .. bytes[at..]];
        }
        return bytes;
    }

    /// <summary>A change that keeps the body valid: an unknown or server block in a content list, or tricky but
    /// valid text (huge, surrogate pairs as escapes, an escaped backslash before <c>u</c>, control escapes).</summary>
    private void MutateValid(JsonObject root)
    {
        var slots = new List<(JsonNode, string?, int, JsonNode?, string)>();
        Collect(root["messages"], "messages", 1, slots);
        var texts = slots.Where(x => x.Item2 == "text" && x.Item4 is JsonValue).ToList();
        var lists = slots.Where(x => x.Item2 == "content" && x.Item4 is JsonArray).ToList();
        if (lists.Count > 0 && (texts.Count == 0 || _random.Next(2) == 0))
        {
            var (_, _, _, node, path) = lists[_random.Next(lists.Count)];
            var blocks = (JsonArray)node!;
            blocks.Insert(_random.Next(blocks.Count + 1), UnknownBlock());
            Applied.Add($"{path}: valid, block inserted");
        }
        else if (texts.Count > 0)
        {
            var (parent, key, _, _, path) = texts[_random.Next(texts.Count)];
            var raw = _random.Next(3) == 0 ? HugeString() : Pick(["\"\\ud83d\\ude00 C:\\\\ud800 \\u0000\\u001f\\t\"", "\"\\uDBFF\\uDFFF😀\"", "\"\"", "\"\\\\\""]);
            ((JsonObject)parent)[key!] = Raw(Encoding.UTF8.GetBytes(raw));
            Applied.Add($"{path}: valid, odd text");
        }
    }

    private void MutateTree(JsonObject root)
    {
        var slot = PickSlot(root);
        if (slot is null) return;
        var (parent, key, index, node, path) = slot.Value;
        var kind = _random.Next(13);
        switch (kind)
        {
            case 0:
            case 1:
                Set(parent, key, index, WrongTyped(node));
                Applied.Add($"{path}: wrong type");
                break;
            case 2:
                Set(parent, key, index, null);
                Applied.Add($"{path}: null");
                break;
            case 3:
                if (parent is JsonObject o) o.Remove(key!);
                else ((JsonArray)parent).RemoveAt(index);
                Applied.Add($"{path}: deleted");
                break;
            case 4:
                Set(parent, key, index, _random.Next(2) == 0 ? 7 : -1.5e300);
                Applied.Add($"{path}: number");
                break;
            case 5:
                if (node is JsonArray blocks)
                {
                    blocks.Insert(_random.Next(blocks.Count + 1), UnknownBlock());
                    Applied.Add($"{path}: unknown block inserted");
                }
                else if (node is JsonObject block && block.ContainsKey("type"))
                {
                    block["type"] = Pick(["fancy_block_2031", "TEXT", "", "image ", "tool_use\u0000"]);
                    Applied.Add($"{path}.type: unknown value");
                }
                else
                {
                    goto case 0;
                }

                break;
            case 6:
                Set(parent, key, index, Raw(Pick<byte[]>([
                    [(byte)'"', 0x61, 0xFF, 0xFE, 0x62, (byte)'"'],
                    [(byte)'"', 0xC3, (byte)'"'],
                    [(byte)'"', 0xED, 0xA0, 0x80, (byte)'"'],
                    [(byte)'"', 0xF4, 0x90, 0x80, 0x80, (byte)'"'],
                    [(byte)'"', 0xC0, 0xAF, (byte)'"'],
                    [(byte)'"', 0x78, 0xE2, 0x82, (byte)'"'],
                ])));
                Applied.Add($"{path}: invalid UTF-8");
                break;
            case 7:
                Set(parent, key, index, Raw(Encoding.ASCII.GetBytes(Pick([
                    "\"text \\ud800 more\"", "\"\\udc00\"", "\"\\ud800\\ud800\"", "\"x\\uD83D\"", "\"\\ud83d\\u0041\"", "\"ok \\ud83d\\ude00 \\udfff\"",
                ]))));
                Applied.Add($"{path}: lone surrogate");
                break;
            case 8:
                if (node is JsonObject obj && obj.Count > 0)
                {
                    var existing = obj.ElementAt(_random.Next(obj.Count)).Key;
                    var marker = NewMarker(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(existing, Relaxed)));
                    obj[marker] = WrongTyped(obj[existing]);
                    Applied.Add($"{path}: duplicate key {existing}");
                }
                else
                {
                    goto case 0;
                }

                break;
            case 9:
                var depth = Pick([40, 200, 300, 2000]);
                var nest = _random.Next(2) == 0
                    ? new string('[', depth) + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                Set(parent, key, index, Raw(Encoding.ASCII.GetBytes(nest)));
                Applied.Add($"{path}: nested {depth}");
                break;
            case 10:
                Set(parent, key, index, Raw(Encoding.UTF8.GetBytes(HugeString())));
                Applied.Add($"{path}: huge string");
                break;
            case 11:
                Set(parent, key, index, Pick<JsonNode?>(["", "x", "user", "assistant", "tool_use", "base64", "url", "text", "auto", "tool"]));
                Applied.Add($"{path}: other string");
                break;
            default:
                // A well-formed but odd value of the same kind: empty container, zero, false.
                Set(parent, key, index, node switch
                {
                    JsonArray => new JsonArray(),
                    JsonObject => new JsonObject(),
                    JsonValue v when v.GetValueKind() == JsonValueKind.Number => 0,
                    _ => false,
                });
                Applied.Add($"{path}: empty/zero");
                break;
        }
    }

    /// <summary>16–64 K repetitions of one JSON-escaped unit (backslashes, emoji, escapes), quotes included.</summary>
    private string HugeString()
    {
        var unit = Pick(["a", "\\\\", "😀", "\\n", "\\u0000", " ", "\\\"", "\\ud83d\\ude00"]);
        var n = _random.Next(16_000, 64_000);
        return "\"" + new StringBuilder(unit.Length * n + 2).Insert(0, unit, n) + "\"";
    }

    private JsonNode UnknownBlock() => _random.Next(3) switch
    {
        0 => new JsonObject { ["type"] = "fancy_block_2031", ["payload"] = new JsonObject { ["x"] = 1 } },
        1 => new JsonObject { ["type"] = "server_tool_use", ["id"] = "srvtoolu_1", ["name"] = "web_search", ["input"] = new JsonObject() },
        _ => new JsonObject { ["type"] = "redacted_thinking", ["data"] = "abc" },
    };

    private JsonNode? WrongTyped(JsonNode? node)
    {
        var kind = node?.GetValueKind() ?? JsonValueKind.Null;
        while (true)
        {
            JsonNode? candidate = _random.Next(7) switch
            {
                0 => 5,
                1 => "str",
                2 => true,
                3 => null,
                4 => new JsonObject { ["type"] = 5 },
                5 => new JsonArray(1, "a", null),
                _ => new JsonObject(),
            };
            if ((candidate?.GetValueKind() ?? JsonValueKind.Null) != kind) return candidate;
        }
    }

    private JsonNode Raw(byte[] raw) => NewMarker(raw);

    private string NewMarker(byte[] raw)
    {
        var marker = $"\u0007FUZZ{_markers.Count}\u0007";
        _markers.Add((marker, raw));
        return marker;
    }

    private static void Set(JsonNode parent, string? key, int index, JsonNode? value)
    {
        if (parent is JsonObject o) o[key!] = value;
        else ((JsonArray)parent)[index] = value;
    }

    /// <summary>A random value slot, weighted towards what the proxy interprets: messages, system, tool definitions.</summary>
    private (JsonNode Parent, string? Key, int Index, JsonNode? Node, string Path)? PickSlot(JsonObject root)
    {
        var region = _random.Next(100) switch
        {
            < 55 => "messages",
            < 65 => "system",
            < 80 => "tools",
            _ => null,
        };
        var slots = new List<(JsonNode, string?, int, JsonNode?, string)>();
        if (region is null || !root.ContainsKey(region))
        {
            foreach (var (k, v) in root) slots.Add((root, k, -1, v, k));
        }
        else
        {
            slots.Add((root, region, -1, root[region], region));
            Collect(root[region], region, 1, slots);
        }
        return slots.Count == 0 ? null : slots[_random.Next(slots.Count)];
    }

    private static void Collect(JsonNode? node, string path, int depth, List<(JsonNode, string?, int, JsonNode?, string)> slots)
    {
        // Deep inside tool schemas is copied as is; the levels above it are what the proxy reads.
        if (depth > 7) return;
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                slots.Add((o, k, -1, v, $"{path}.{k}"));
                Collect(v, $"{path}.{k}", depth + 1, slots);
            }
        }
        else if (node is JsonArray a)
        {
            for (var i = 0; i < a.Count; i++)
            {
                slots.Add((a, null, i, a[i], $"{path}.{i}"));
                Collect(a[i], $"{path}.{i}", depth + 1, slots);
            }
        }
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private static byte[] Replace(byte[] haystack, byte[] needle, byte[] replacement)
    {
        var at = haystack.AsSpan().IndexOf(needle);
        return at < 0 ? haystack : [.. haystack.AsSpan(0, at), .. replacement, .. haystack.AsSpan(at + needle.Length)];
    }
}
