using FunctionsProxy.Catalog;

namespace FunctionsProxy.Fallback;

/// <summary>One model to try, adapted like a primary, with the breaker's say on it.</summary>
public sealed record ModelCandidate(ResolvedModel Model, BreakerVerdict Verdict);

/// <summary>The ordered models for one request: routes first, then the map's chain; healthy ones before those cooling
/// down (which are tried only when nothing else is left, so a request is never refused without asking a backend).</summary>
/// <param name="Route">Which rule chose the first candidates: <c>long_context</c>, <c>thinking</c>, <c>model_map</c>
/// or <c>none</c> (the model id went upstream as given).</param>
public sealed record ModelPlan(IReadOnlyList<ModelCandidate> Candidates, string Route)
{
    public ResolvedModel Primary => Candidates[0].Model;
}
