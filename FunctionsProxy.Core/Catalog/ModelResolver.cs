using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Catalog;

/// <summary>
/// Client model string → backend id: <c>MODEL_MAP</c> (exact key, then the Claude family keys <c>haiku</c>,
/// <c>sonnet</c>, <c>opus</c>), a <c>:thinking</c>-style suffix stripped, everything else passed through unchanged.
/// </summary>
public class ModelResolver(IOptions<ProxyOptions> options, ModelProfileTable? profiles = null) : IModelResolver
{
    private static readonly string[] Families = ["haiku", "sonnet", "opus"];

    public virtual ValueTask<ResolvedModel> ResolveAsync(string requested, string? backendCredential, CancellationToken cancellationToken)
        => ValueTask.FromResult(Resolve(requested));

    public virtual ValueTask<ResolvedModel?> ResolveAfterNotFoundAsync(ResolvedModel model, string? backendCredential, CancellationToken cancellationToken)
        => ValueTask.FromResult<ResolvedModel?>(null);

    protected ResolvedModel Resolve(string requested, Func<string, (string Id, ModelCapabilities? Capabilities)>? lookup = null)
    {
        var forceThinking = ModelIdSuffix.TryStrip(requested, out var id);
        id = Map(id);
        // A mapped target may carry the suffix itself (MODEL_MAP {"x":"org/model:THINKING"}).
        if (ModelIdSuffix.TryStrip(id, out var stripped)) { id = stripped; forceThinking = true; }
        ModelCapabilities? capabilities = null;
        if (lookup is not null) (id, capabilities) = lookup(id);
        return new ResolvedModel(requested, id, profiles?.Resolve(id) ?? ModelProfileTable.Builtin.Resolve(id), capabilities, forceThinking);
    }

    private string Map(string id)
    {
        var map = options.Value.ModelMap;
        if (map.Count == 0) return id;
        if (map.TryGetValue(id, out var mapped)) return mapped;
        if (id.StartsWith("claude", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var family in Families)
                if (id.Contains(family, StringComparison.OrdinalIgnoreCase) && map.TryGetValue(family, out mapped)) return mapped;
        }
        return id;
    }
}
