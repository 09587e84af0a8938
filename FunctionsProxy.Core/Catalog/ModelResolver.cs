using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Catalog;

/// <summary>
/// Client model string → backend id: <c>MODEL_MAP</c> (exact key, then the Claude family keys <c>haiku</c>,
/// <c>sonnet</c>, <c>opus</c>; the first id of a chain), a <c>:thinking</c>-style suffix stripped, everything else passed
/// through unchanged. <see cref="ResolveTargetAsync"/> adapts any other chain or route member the same way.
/// </summary>
public class ModelResolver(IOptions<ProxyOptions> options, ModelProfileTable? profiles = null) : IModelResolver
{
    public virtual ValueTask<ResolvedModel> ResolveAsync(string requested, string? backendCredential, CancellationToken cancellationToken)
        => ValueTask.FromResult(Resolve(requested));

    public virtual ValueTask<ResolvedModel> ResolveTargetAsync(string requested, string target, string? backendCredential, CancellationToken cancellationToken)
        => ValueTask.FromResult(Resolve(requested, target: target));

    public virtual ValueTask<ResolvedModel?> ResolveAfterNotFoundAsync(ResolvedModel model, string? backendCredential, CancellationToken cancellationToken)
        => ValueTask.FromResult<ResolvedModel?>(null);

    /// <param name="target">A backend id chosen for this request (a chain or route member), used instead of the map's.</param>
    protected ResolvedModel Resolve(string requested, Func<string, (string Id, ModelCapabilities? Capabilities)>? lookup = null, string? target = null)
    {
        var forceThinking = ModelIdSuffix.TryStrip(requested, out var id);
        id = target ?? Map(id);
        var configured = id;
        // A mapped target may carry the suffix itself (MODEL_MAP {"x":"org/model:THINKING"}).
        if (ModelIdSuffix.TryStrip(id, out var stripped)) { id = stripped; forceThinking = true; }
        ModelCapabilities? capabilities = null;
        if (lookup is not null) (id, capabilities) = lookup(id);
        return new ResolvedModel(requested, id, profiles?.Resolve(id) ?? ModelProfileTable.Builtin.Resolve(id), capabilities, forceThinking) { Configured = configured };
    }

    private string Map(string id) => ModelMapKeys.ChainFor(options.Value, id) is { } chain ? chain[0] : id;
}
