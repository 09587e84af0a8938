using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// Client tool names ⇄ upstream tool names for one request. <c>TOOL_NAME_MAP</c> applies first; a name OpenAI-style
/// servers reject (over 64 chars, typically <c>mcp__server__tool</c>, or characters outside <c>[a-zA-Z0-9_-]</c>)
/// becomes its first 55 characters (others replaced by <c>_</c>) + <c>_</c> + 8 hex of its SHA-256 — deterministic, so
/// history and tool definitions agree without server state. Pairs seen in <see cref="ToUpstream"/> are remembered to
/// restore names in the response (the request carries every tool definition, so every name passes through it).
/// </summary>
public sealed class ToolNameMapper : IToolNameMapper
{
    public const int MaxUpstreamLength = 64;
    private const int PrefixLength = 55;

    private static readonly SearchValues<char> Valid = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

    private readonly IReadOnlyDictionary<string, string> _map;
    private Dictionary<string, string>? _reverseMap;
    private Dictionary<string, string>? _shortened;

    public ToolNameMapper(IReadOnlyDictionary<string, string> toolNameMap) => _map = toolNameMap;

    public string ToUpstream(string clientName)
    {
        var name = _map.TryGetValue(clientName, out var mapped) ? mapped : clientName;
        if (IsAcceptedUpstream(name)) return name;
        var shortName = Shorten(name);
        (_shortened ??= new Dictionary<string, string>(StringComparer.Ordinal))[shortName] = clientName;
        return shortName;
    }

    public string ToClient(string upstreamName)
    {
        if (_shortened is not null && _shortened.TryGetValue(upstreamName, out var client)) return client;
        if (_map.Count == 0) return upstreamName;
        if (_reverseMap is null)
        {
            _reverseMap = new Dictionary<string, string>(_map.Count, StringComparer.Ordinal);
            foreach (var (k, v) in _map) _reverseMap.TryAdd(v, k);
        }
        return _reverseMap.TryGetValue(upstreamName, out client) ? client : upstreamName;
    }

    public static bool IsAcceptedUpstream(ReadOnlySpan<char> name)
        => name.Length is > 0 and <= MaxUpstreamLength && !name.ContainsAnyExcept(Valid);

    /// <summary>The deterministic short form: sanitised first 55 chars + <c>_</c> + 8 hex of SHA-256(UTF-8 name).</summary>
    public static string Shorten(string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
        var prefix = Math.Min(PrefixLength, name.Length);
        Span<char> chars = stackalloc char[prefix + 9];
        for (var i = 0; i < prefix; i++) chars[i] = Valid.Contains(name[i]) ? name[i] : '_';
        chars[prefix] = '_';
        Convert.TryToHexStringLower(hash[..4], chars[(prefix + 1)..], out _);
        return new string(chars);
    }
}
