using System.Net;
using FunctionsProxy.Buffers;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.Errors;
using FunctionsProxy.Translation;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Fallback;

/// <summary>
/// Sends a request down its <see cref="ModelPlan"/>: each model with the same retries a single model gets (the casing
/// fix after a 404, the renewed or the caller's key after a 401/403), and on a failure the next model may fix (see
/// <see cref="ModelFailure"/>) the next one. All of it happens before the response is read, so nothing of an answer
/// has reached the client when the model changes; a committed stream has sent only <c>message_start</c> and pings,
/// which carry the client's model id and no content. Outcomes feed the <see cref="ModelCircuitBreaker"/>.
/// </summary>
public sealed class FallbackInvoker(IModelResolver resolver, BackendCredentials credentials, ModelCircuitBreaker breaker, IOptions<ProxyOptions> options,
    TimeProvider time, ILogger<FallbackInvoker> logger)
{
    /// <param name="upstreamToken">The whole call's limit (client abort + <c>PROXY_UPSTREAM_TIMEOUT</c>).</param>
    /// <param name="ct">The client's token (for catalog refreshes that must not count against the backend's time).</param>
    /// <remarks>The first model's body is written before this returns, so a request no model could take (a forced tool
    /// for a model without tools) fails here, before a stream is committed, with its HTTP status.</remarks>
    internal Task<ModelAnswer> SendAsync(UpstreamCall call, ModelPlan plan, string? primary, string? fallback,
        CancellationToken upstreamToken, CancellationToken ct)
    {
        var first = call.Translate(plan.Primary);
        return RunAsync(call, plan, first, primary, fallback, upstreamToken, ct);
    }

    private async Task<ModelAnswer> RunAsync(UpstreamCall call, ModelPlan plan, PooledBufferWriter? first, string? primary, string? fallback,
        CancellationToken upstreamToken, CancellationToken ct)
    {
        var o = options.Value;
        var level = o.Debug ? LogLevel.Information : LogLevel.Debug;
        var candidates = plan.Candidates;
        ModelAnswer? failed = null;
        var tried = 0;
        try
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                var model = candidates[i].Model;
                var last = i == candidates.Count - 1;
                PooledBufferWriter payload;
                try
                {
                    payload = first ?? call.Translate(model);
                    first = null;
                }
                catch (ProxyErrorException) when (i > 0)
                {
                    // A fallback that cannot take this request (found only while translating): not a failure of the model.
                    FallbackLog.Skipped(logger, level, model.UpstreamId, "cannot translate the request for it");
                    if (last && failed is not null) return Keep(ref failed);
                    if (last) throw;
                    continue;
                }
                using (payload)
                {
                    tried = i + 1;
                    ModelFailureKind failure;
                    HttpResponseMessage? response = null;
                    // Every model but the last must send its headers within MODEL_FIRST_BYTE_TIMEOUT: a cold one should
                    // not eat the time the next one needs. The last has what is left of PROXY_UPSTREAM_TIMEOUT.
                    using var firstByte = last ? null : new CancellationTokenSource(o.ModelFirstByteTimeout, time);
                    using var attempt = firstByte is null ? null : CancellationTokenSource.CreateLinkedTokenSource(upstreamToken, firstByte.Token);
                    try
                    {
                        (response, model) = await AttemptAsync(call, payload, model, primary, fallback, attempt?.Token ?? upstreamToken, ct).ConfigureAwait(false);
                        failure = ModelFailure.Classify(response.StatusCode);
                    }
                    catch (HttpRequestException) when (!last)
                    {
                        failure = ModelFailureKind.Unreachable;
                    }
                    catch (OperationCanceledException) when (!last && !upstreamToken.IsCancellationRequested && firstByte!.IsCancellationRequested)
                    {
                        failure = ModelFailureKind.FirstByteTimeout;
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        // The client went away (Esc in Claude Code): that says nothing about the model, and counting it
                        // would cool a model down for the whole team. A probe it held goes to the next request (only its
                        // own: another request may hold the model's probe now).
                        if (candidates[i].Verdict == BreakerVerdict.Probe) breaker.ReleaseProbe(model.UpstreamId);
                        throw;
                    }
                    catch (Exception) when (last)
                    {
                        // The last model's exception is the client's answer (the endpoint maps it); the breaker hears of it.
                        breaker.ReportFailure(model.UpstreamId);
                        throw;
                    }

                    if (failure == ModelFailureKind.None)
                    {
                        if (response!.IsSuccessStatusCode) breaker.ReportSuccess(model.UpstreamId);
                        else breaker.ReleaseProbe(model.UpstreamId); // a refusal the client caused says nothing about the model
                        FallbackLog.Served(logger, level, model.Requested, model.UpstreamId, tried, candidates.Count, plan.Route);
                        return new ModelAnswer(response, model, payload.WrittenCount);
                    }
                    breaker.ReportFailure(model.UpstreamId);
                    var answer = response is null ? null : new ModelAnswer(response, model, payload.WrittenCount);
                    if (last)
                    {
                        failed?.Response.Dispose();
                        failed = null;
                        return answer!;
                    }
                    FallbackLog.FallingBack(logger, level, model.UpstreamId, ModelFailure.Describe(failure, response?.StatusCode), candidates[i + 1].Model.UpstreamId);
                    // The failed answer is kept until another replaces it: if every later model cannot even be asked,
                    // the client still gets a real backend error rather than none.
                    failed?.Response.Dispose();
                    failed = answer;
                }
            }
            // Unreachable: the last candidate always returns or throws.
            throw new InvalidOperationException("The model plan is empty.");
        }
        finally
        {
            first?.Dispose();
            failed?.Response.Dispose();
            // Probes granted to models this request never reached go back to the next request.
            for (var i = tried; i < candidates.Count; i++)
                if (candidates[i].Verdict == BreakerVerdict.Probe) breaker.ReleaseProbe(candidates[i].Model.UpstreamId);
        }
    }

    private static ModelAnswer Keep(ref ModelAnswer? failed)
    {
        var kept = failed!;
        failed = null;
        return kept;
    }

    /// <summary>One model: the request, then the corrected-model retry on 404 and the renewed or caller's key on 401/403.</summary>
    private async Task<(HttpResponseMessage Response, ResolvedModel Model)> AttemptAsync(UpstreamCall call, PooledBufferWriter payload, ResolvedModel model,
        string? primary, string? fallback, CancellationToken upstreamToken, CancellationToken ct)
    {
        var response = await call.SendAsync(payload, primary, upstreamToken).ConfigureAwait(false);

        // One corrected retry when the backend does not know the model (casing fix after a refresh).
        if (response.StatusCode == HttpStatusCode.NotFound
            && await resolver.ResolveAfterNotFoundAsync(model, primary, ct).ConfigureAwait(false) is { } corrected
            && corrected.UpstreamId != model.UpstreamId)
        {
            ProxyLog.RetryingWithCorrectedModel(logger, model.UpstreamId, corrected.UpstreamId);
            response.Dispose();
            model = corrected;
            using var retryPayload = call.Translate(model);
            response = await call.SendAsync(retryPayload, primary, upstreamToken).ConfigureAwait(false);
        }
        // The server's key was rotated (vault and backend): retry once with the renewed key rather than fail until the
        // next scheduled re-read.
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            && await credentials.RenewAfterRejectionAsync(primary, ct).ConfigureAwait(false) is { } renewed)
        {
            response.Dispose();
            response = await call.SendAsync(payload, renewed, upstreamToken).ConfigureAwait(false);
        }
        // CHUTES_AUTH_STYLE=both: the caller's key when the backend refuses the configured one.
        if (fallback is not null && response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            response.Dispose();
            response = await call.SendAsync(payload, fallback, upstreamToken).ConfigureAwait(false);
        }
        return (response, model);
    }
}
