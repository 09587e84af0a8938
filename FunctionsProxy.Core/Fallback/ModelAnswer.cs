using FunctionsProxy.Catalog;

namespace FunctionsProxy.Fallback;

/// <summary>The backend response a request is answered from (success or the last model's error), the model that gave
/// it, and how the chain got there.</summary>
/// <param name="UpstreamBytes">Size of the body sent to <paramref name="Model"/>.</param>
/// <param name="Attempt">1-based position of <paramref name="Model"/> among the candidates tried.</param>
public sealed record ModelAnswer(HttpResponseMessage Response, ResolvedModel Model, int UpstreamBytes, int Attempt, int Candidates);
