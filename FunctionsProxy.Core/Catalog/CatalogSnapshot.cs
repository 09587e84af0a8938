using System.Collections.Frozen;

namespace FunctionsProxy.Catalog;

/// <summary>What discovery learned at one point in time. Immutable: the request path reads it without locks.</summary>
public sealed class CatalogSnapshot
{
    public CatalogSnapshot(IReadOnlyList<ModelCapabilities> models, DateTimeOffset refreshedAt, string source)
    {
        Models = models;
        RefreshedAt = refreshedAt;
        Source = source;
        var exact = new Dictionary<string, ModelCapabilities>(StringComparer.Ordinal);
        var folded = new Dictionary<string, ModelCapabilities>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in models)
        {
            exact[m.Id] = m;
            folded.TryAdd(m.Id, m);
        }
        _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
        _folded = folded.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private readonly FrozenDictionary<string, ModelCapabilities> _exact;
    private readonly FrozenDictionary<string, ModelCapabilities> _folded;

    public IReadOnlyList<ModelCapabilities> Models { get; }
    public DateTimeOffset RefreshedAt { get; }

    /// <summary>Where the snapshot came from: "discovery" or the store kind it was loaded from.</summary>
    public string Source { get; }

    /// <summary>The model with exactly this id, or — when <paramref name="fixCase"/> — the one whose id differs only
    /// in letter case. Never a prefix or fuzzy match.</summary>
    public ModelCapabilities? Find(string id, bool fixCase)
    {
        if (_exact.TryGetValue(id, out var m)) return m;
        return fixCase && _folded.TryGetValue(id, out m) ? m : null;
    }
}
