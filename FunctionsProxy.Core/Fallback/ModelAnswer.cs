using FunctionsProxy.Catalog;

namespace FunctionsProxy.Fallback;

/// <summary>The backend response a request is answered from (success or the last model's error) and the model that
/// gave it.</summary>
/// <param name="UpstreamBytes">Size of the body sent to <paramref name="Model"/>.</param>
public sealed record ModelAnswer(HttpResponseMessage Response, ResolvedModel Model, int UpstreamBytes);
