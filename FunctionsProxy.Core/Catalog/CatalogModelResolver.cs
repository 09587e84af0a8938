using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Catalog;

/// <summary>Model resolution that knows what the backend serves: the backend's casing for a case-insensitive exact
/// match (never a prefix: <c>glm-4.5</c> stays <c>glm-4.5</c> next to <c>glm-4.5-air</c>) and the model's capabilities.</summary>
public sealed class CatalogModelResolver(IOptions<ProxyOptions> options, ModelCatalog catalog, ModelProfileTable? profiles = null)
    : ModelResolver(options, profiles)
{
    private readonly IOptions<ProxyOptions> _options = options;

    public override async ValueTask<ResolvedModel> ResolveAsync(string requested, string? backendCredential, CancellationToken cancellationToken)
    {
        var snapshot = await catalog.GetAsync(backendCredential, cancellationToken).ConfigureAwait(false);
        return Resolve(requested, snapshot is null ? null : id => Lookup(snapshot, id));
    }

    public override async ValueTask<ResolvedModel> ResolveTargetAsync(string requested, string target, string? backendCredential, CancellationToken cancellationToken)
    {
        var snapshot = await catalog.GetAsync(backendCredential, cancellationToken).ConfigureAwait(false);
        return Resolve(requested, snapshot is null ? null : id => Lookup(snapshot, id), target);
    }

    public override async ValueTask<ResolvedModel?> ResolveAfterNotFoundAsync(ResolvedModel model, string? backendCredential, CancellationToken cancellationToken)
    {
        if (!_options.Value.AutoFixModelCase) return null;
        var snapshot = await catalog.RefreshAsync(backendCredential, force: true).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (snapshot is null) return null;
        // The same member of the chain, not the chain's first: a fallback's casing is fixed for the fallback.
        var corrected = Resolve(model.Requested, id => Lookup(snapshot, id), model.Configured);
        return corrected.UpstreamId == model.UpstreamId ? null : corrected;
    }

    private (string Id, ModelCapabilities? Capabilities) Lookup(CatalogSnapshot snapshot, string id)
        => snapshot.Find(id, _options.Value.AutoFixModelCase) is { } found ? (found.Id, found) : (id, null);
}
