using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Fallback;

/// <summary>
/// Orders the backend models a request may go to. <c>MODEL_ROUTES</c> first (long context by the <c>count_tokens</c>
/// estimate, then thinking), then the <c>MODEL_MAP</c> chain of the requested id (exact key, then family key). Routes
/// apply to mapped ids and Claude ids only: a backend id the client names itself is served as named. Each candidate is
/// resolved like a primary (suffix, casing, capabilities, family profile); one that cannot serve the request (no
/// vision for images, no tools when tools are forced) is dropped unless no candidate can, and models cooling down go
/// last.
/// </summary>
public sealed class ModelCandidatePlanner(IModelResolver resolver, ModelCircuitBreaker breaker, TokenCounter counter, IOptions<ProxyOptions> options,
    ILogger<ModelCandidatePlanner> logger)
{
    public async ValueTask<ModelPlan> PlanAsync(MessagesRequest request, long requestBytes, string? credential, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var forcedBySuffix = ModelIdSuffix.TryStrip(request.Model, out var id);
        var chain = ModelMapKeys.ChainFor(o, id);
        var routes = o.ModelRoutes;
        var routed = !routes.IsEmpty && (chain is not null || id.StartsWith("claude", StringComparison.OrdinalIgnoreCase));

        List<string>? targets = null;
        var route = chain is null ? "none" : "model_map";
        if (routed)
        {
            if (routes.LongContext is { } longContext && IsLong(request, requestBytes, routes.LongContextMinInputTokens, cancellationToken))
            {
                Add(ref targets, longContext);
                route = "long_context";
            }
            if (routes.Thinking is { } thinking && ThinkingRequest.From(request.Thinking, request.OutputConfig, forcedBySuffix).IsOn)
            {
                Add(ref targets, thinking);
                if (route != "long_context") route = "thinking";
            }
        }

        // The common case — one model, no rule — resolves exactly as before chains existed.
        if (targets is null && chain is not { Count: > 1 })
        {
            var only = await resolver.ResolveAsync(request.Model, credential, cancellationToken).ConfigureAwait(false);
            return new ModelPlan([new ModelCandidate(only, breaker.Check(only.UpstreamId))], route);
        }
        // A Claude id with no map entry still goes upstream as given, after its routes.
        Add(ref targets, chain ?? [id]);

        var needs = RequestNeeds.Of(request);
        var level = o.Debug ? LogLevel.Information : LogLevel.Debug;
        var healthy = new List<ModelCandidate>(targets!.Count);
        List<ModelCandidate>? cooling = null, unfit = null;
        foreach (var target in targets)
        {
            var model = await resolver.ResolveTargetAsync(request.Model, target, credential, cancellationToken).ConfigureAwait(false);
            if (needs.Unmet(model.Capabilities) is { } reason)
            {
                FallbackLog.Skipped(logger, level, model.UpstreamId, reason);
                (unfit ??= []).Add(new ModelCandidate(model, BreakerVerdict.Closed));
                continue;
            }
            var verdict = breaker.Check(model.UpstreamId);
            if (verdict == BreakerVerdict.Open)
            {
                FallbackLog.Skipped(logger, level, model.UpstreamId, "cooling down");
                (cooling ??= []).Add(new ModelCandidate(model, verdict));
            }
            else
            {
                healthy.Add(new ModelCandidate(model, verdict));
            }
        }
        if (cooling is not null) healthy.AddRange(cooling);
        // No model can serve it as asked: behave as without a chain (images dropped with a note, a forced tool refused).
        if (healthy.Count == 0) healthy.AddRange(unfit!);
        return new ModelPlan(healthy, route);
    }

    /// <summary>Is the estimated input at least <paramref name="threshold"/> tokens? Every token of text takes at least
    /// one byte of the body, so a smaller body is not counted at all (the count is the costly part).</summary>
    private bool IsLong(MessagesRequest request, long requestBytes, int threshold, CancellationToken cancellationToken)
        => requestBytes >= threshold && counter.Count(request, cancellationToken) >= threshold;

    private static void Add(ref List<string>? targets, IReadOnlyList<string> ids)
    {
        targets ??= [];
        foreach (var id in ids)
            if (!targets.Contains(id, StringComparer.Ordinal)) targets.Add(id);
    }
}
