using FunctionsProxy.ModelFamilies;

namespace FunctionsProxy.Catalog;

/// <summary>The outcome of model resolution for one request.</summary>
/// <param name="Requested">The client's string; responses echo it unchanged.</param>
/// <param name="UpstreamId">The id sent to the backend (after map, suffix strip and casing fix).</param>
/// <param name="Profile">The family profile for <paramref name="UpstreamId"/>.</param>
/// <param name="Capabilities">What discovery knows about the model, when it knows it.</param>
/// <param name="ForceThinking">The id carried a <c>:thinking</c>-style suffix.</param>
public sealed record ResolvedModel(string Requested, string UpstreamId, ModelProfile Profile, ModelCapabilities? Capabilities, bool ForceThinking = false)
{
    /// <summary>The backend id as configured (map value, chain or route member), before the casing fix: what a
    /// re-resolution after a 404 starts from. Null means "map <see cref="Requested"/> again".</summary>
    public string? Configured { get; init; }
}
