using FunctionsProxy.Configuration;

namespace FunctionsProxy.Catalog;

/// <summary>How a client model string finds its <c>MODEL_MAP</c> entry: the exact key, then — for <c>claude-*</c> ids —
/// the family key (<c>haiku</c>, <c>sonnet</c>, <c>opus</c>) the id contains.</summary>
public static class ModelMapKeys
{
    private static readonly string[] Families = ["haiku", "sonnet", "opus"];

    /// <summary>The backend chain configured for <paramref name="id"/> (suffix already stripped), or null when the
    /// id is not mapped and goes upstream as given.</summary>
    public static IReadOnlyList<string>? ChainFor(ProxyOptions options, string id)
    {
        if (Find(options.ModelChains, id) is { } chain) return chain;
        // Options built in code may set only ModelMap.
        return Find(options.ModelMap, id) is { } single ? [single] : null;
    }

    public static T? Find<T>(IReadOnlyDictionary<string, T> map, string id) where T : class
    {
        if (map.Count == 0) return null;
        if (map.TryGetValue(id, out var mapped)) return mapped;
        if (id.StartsWith("claude", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var family in Families)
                if (id.Contains(family, StringComparison.OrdinalIgnoreCase) && map.TryGetValue(family, out mapped)) return mapped;
        }
        return null;
    }
}
