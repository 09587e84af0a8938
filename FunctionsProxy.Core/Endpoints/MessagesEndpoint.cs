using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FunctionsProxy.Buffers;
using FunctionsProxy.Configuration;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.Errors;
using FunctionsProxy.Metering;
using FunctionsProxy.Models;
using FunctionsProxy.Security;
using FunctionsProxy.Streaming;
using FunctionsProxy.Translation;
using FunctionsProxy.Upstream;
using FunctionsProxy.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary>
/// <c>POST /v1/messages</c>: authenticate, validate, resolve the model, translate, call the backend, and answer as
/// one JSON message or as Anthropic SSE. Errors before the first byte keep their HTTP status; after it they become an
/// SSE <c>error</c> event.
/// </summary>
public sealed class MessagesEndpoint(
    IClientAuthenticator authenticator,
    IModelResolver resolver,
    BackendCredentials credentials,
    UpstreamClient upstream,
    IUsageRecorder usage,
    IOptions<ProxyOptions> options,
    ILogger<MessagesEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var ct = context.RequestAborted;
        var o = options.Value;
        var level = o.Debug ? LogLevel.Information : LogLevel.Debug;
        try
        {
            var auth = await authenticator.AuthenticateAsync(context, ct).ConfigureAwait(false);
            if (auth.Error is { } authError)
            {
                await Reject(context, authError, level).ConfigureAwait(false);
                return;
            }
            var client = auth.Client!;

            using var body = await RequestBody.ReadAsync(context.Request, o.MaxRequestBodyBytes, ct).ConfigureAwait(false);
            var request = MessagesRequest.Parse(body.Document.RootElement, logger: logger);
            var (primary, fallback) = await credentials.SelectAsync(client, ct).ConfigureAwait(false);
            var model = await resolver.ResolveAsync(request.Model, primary, ct).ConfigureAwait(false);
            var toolNames = FamilyHooks.CreateToolNameMapper(o.ToolNameMap);

            using var upstreamCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            upstreamCts.CancelAfter(o.UpstreamTimeout);
            var call = new UpstreamCall(upstream, request, toolNames, o, body.Length);
            using var payload = call.Translate(model);
            var response = await call.SendAsync(payload, primary, upstreamCts.Token).ConfigureAwait(false);

            // One corrected retry when the backend does not know the model (casing fix after a refresh).
            if (response.StatusCode == HttpStatusCode.NotFound
                && await resolver.ResolveAfterNotFoundAsync(model, primary, ct).ConfigureAwait(false) is { } corrected
                && corrected.UpstreamId != model.UpstreamId)
            {
                ProxyLog.RetryingWithCorrectedModel(logger, model.UpstreamId, corrected.UpstreamId);
                response.Dispose();
                model = corrected;
                using var retryPayload = call.Translate(model);
                response = await call.SendAsync(retryPayload, primary, upstreamCts.Token).ConfigureAwait(false);
            }
            // CHUTES_AUTH_STYLE=both: the caller's key when the backend refuses the configured one.
            if (fallback is not null && response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                response.Dispose();
                response = await call.SendAsync(payload, fallback, upstreamCts.Token).ConfigureAwait(false);
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var error = await UpstreamErrorMapper.MapAsync(response, [primary, fallback, client.InboundCredential], ct).ConfigureAwait(false);
                    await Reject(context, error, level).ConfigureAwait(false);
                    return;
                }

                var estimate = Math.Max(1, body.Length / 4);
                var totals = request.Stream
                    ? await RelayStreamAsync(context, response, request, model, toolNames, estimate, upstreamCts, o).ConfigureAwait(false)
                    : await RelayJsonAsync(context, response, request, model, toolNames, estimate, upstreamCts.Token).ConfigureAwait(false);

                if (totals is { } t)
                {
                    ProxyLog.MessagesCompleted(logger, level, request.Model, model.UpstreamId, request.Stream, body.Length, payload.WrittenCount,
                        context.Response.StatusCode, (int)response.StatusCode, t.InputTokens, t.OutputTokens, t.CacheReadInputTokens,
                        (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    await usage.RecordAsync(client, request.Model, new UsageRecord(t.InputTokens, t.OutputTokens, t.CacheReadInputTokens), CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (ProxyErrorException e)
        {
            await Reject(context, e.Error, level).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            ProxyLog.ClientAborted(logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            await Reject(context, ProxyError.Timeout($"The backend did not answer within {o.UpstreamTimeout.TotalSeconds:0} s. Long generations should use streaming."), level).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // Connection refused/reset before any answer: retryable for clients (Claude Code backs off on 529).
            await Reject(context, ProxyError.Overloaded($"The backend could not be reached ({e.HttpRequestError})."), level).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The backend dropped the connection while a non-stream answer was being read.
            await Reject(context, ProxyError.Overloaded("The backend connection was lost before the answer was complete."), level).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ProxyLog.Unexpected(logger, context.Request.Path, e);
            await Reject(context, ProxyError.Api("The proxy failed to handle the request."), level).ConfigureAwait(false);
        }
    }

    private async Task Reject(HttpContext context, ProxyError error, LogLevel level)
    {
        ProxyLog.MessagesRejected(logger, level, error.Status, error.Type, error.Message);
        await AnthropicErrorWriter.WriteAsync(context, error, context.RequestAborted).ConfigureAwait(false);
    }

    /// <param name="upstreamToken">Bounds reading the backend's answer (client abort + PROXY_UPSTREAM_TIMEOUT).</param>
    private async Task<UsageTotals?> RelayJsonAsync(HttpContext context, HttpResponseMessage response, MessagesRequest request, ResolvedModel model,
        IToolNameMapper toolNames, long estimate, CancellationToken upstreamToken)
    {
        var aggregator = new MessageAggregator();
        // The whole answer is read before anything is written, so an orphan </think> costs no latency here.
        var profile = model.Profile.ParseThinkTags ? model.Profile with { OrphanThinkCloseWindow = WholeAnswerWindow } : model.Profile;
        var assembler = new MessageAssembler(aggregator, request.Model, toolNames, request.StopSequences, estimate, logger, profile, request.Tools);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(upstreamToken).ConfigureAwait(false);
            if (IsEventStream(response))
            {
                // A non-stream request the backend answered with SSE: aggregate it.
                await foreach (var chunk in UpstreamChunkReader.ReadAsync(stream, upstreamToken).ConfigureAwait(false)) assembler.Accept(chunk);
            }
            else
            {
                EnsureJson(response);
                var completion = await UpstreamChunkReader.ReadCompletionAsync(stream, upstreamToken).ConfigureAwait(false)
                                 ?? throw new JsonException("empty body");
                assembler.Accept(completion);
            }
        }
        catch (JsonException)
        {
            throw new ProxyErrorException(ProxyError.Api("The backend returned a response that is not valid JSON.", StatusCodes.Status502BadGateway));
        }
        catch (UpstreamStreamException e)
        {
            throw new ProxyErrorException(e.Error);
        }
        assembler.Complete();

        using var buffer = new PooledBufferWriter(4096);
        using (var writer = new Utf8JsonWriter(buffer, AnthropicJson.ValidatingWriterOptions)) aggregator.WriteTo(writer);
        var res = context.Response;
        res.StatusCode = StatusCodes.Status200OK;
        res.ContentType = "application/json";
        res.Headers["request-id"] = AnthropicErrorWriter.RequestId(context);
        res.ContentLength = buffer.WrittenCount;
        await res.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        return assembler.Usage;
    }

    private async Task<UsageTotals?> RelayStreamAsync(HttpContext context, HttpResponseMessage response, MessagesRequest request, ResolvedModel model,
        IToolNameMapper toolNames, long estimate, CancellationTokenSource upstreamCts, ProxyOptions o)
    {
        var ct = context.RequestAborted;
        var completion = IsEventStream(response) ? null : await ReadWholeAnswerAsync(response, upstreamCts.Token).ConfigureAwait(false);
        await using var responder = new SseResponder(context, o.PingInterval);
        // A JSON answer is whole before anything is written: orphan </think> detection costs no latency there.
        var profile = completion is not null && model.Profile.ParseThinkTags ? model.Profile with { OrphanThinkCloseWindow = WholeAnswerWindow } : model.Profile;
        var assembler = new MessageAssembler(responder.Sink, request.Model, toolNames, request.StopSequences, estimate, logger, profile, request.Tools);
        responder.Start(AnthropicErrorWriter.RequestId(context));
        await responder.WriteAsync(static a => a.Start(), assembler, ct).ConfigureAwait(false);
        try
        {
            if (completion is null)
            {
                await using var stream = await response.Content.ReadAsStreamAsync(upstreamCts.Token).ConfigureAwait(false);
                var chunks = UpstreamChunkReader.ReadAsync(stream, upstreamCts.Token).GetAsyncEnumerator(upstreamCts.Token);
                await using (chunks.ConfigureAwait(false))
                {
                    while (true)
                    {
                        // Flush when the backend has nothing more already buffered: chunks that arrived together leave
                        // in one network write, a chunk followed by a pause leaves at once (no added latency).
                        var next = chunks.MoveNextAsync();
                        if (!next.IsCompleted) await responder.FlushAsync(ct).ConfigureAwait(false);
                        if (!await next.ConfigureAwait(false)) break;
                        upstreamCts.CancelAfter(o.UpstreamTimeout); // idle limit: reset by every chunk
                        await responder.WriteAsync(static s => s.Assembler.Accept(s.Chunk), (Assembler: assembler, Chunk: chunks.Current), flush: false, ct).ConfigureAwait(false);
                    }
                }
            }
            else
            {
                // A stream request the backend answered with one JSON document: synthesise the events.
                await responder.WriteAsync(static s => s.Assembler.Accept(s.Completion), (Assembler: assembler, Completion: completion), ct).ConfigureAwait(false);
            }
            // EOF without finish or [DONE] still ends the message properly.
            await responder.WriteAsync(static a => a.Complete(), assembler, ct).ConfigureAwait(false);
            return assembler.Usage;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested || responder.ClientGone)
        {
            throw;
        }
        catch (Exception e)
        {
            // The 200 is on the wire: every failure from here on is an SSE error event, never a fake message_stop.
            var error = e switch
            {
                UpstreamStreamException u => u.Error,
                JsonException => ProxyError.Api("The backend sent an unreadable stream chunk."),
                OperationCanceledException => ProxyError.Api($"The backend sent nothing for {o.UpstreamTimeout.TotalSeconds:0.#} s."),
                IOException or HttpRequestException => ProxyError.Api("The backend connection was lost mid-stream."),
                _ => ProxyError.Api("The proxy failed while relaying the stream."),
            };
            if (e is UpstreamStreamException or JsonException or IOException or HttpRequestException or OperationCanceledException)
                ProxyLog.StreamFailed(logger, responder.EventsWritten, error.Type, e is UpstreamStreamException ? null : e);
            else
                ProxyLog.Unexpected(logger, context.Request.Path, e);
            await responder.WriteErrorAsync(error, ct).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>A stream request answered with one JSON document: read it before the 200 goes out, so an unreadable
    /// body or an <c>error</c> object still gets its real HTTP status.</summary>
    private static async Task<ChatCompletion> ReadWholeAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        EnsureJson(response);
        ChatCompletion? completion;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            completion = await UpstreamChunkReader.ReadCompletionAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            completion = null;
        }
        catch (IOException)
        {
            throw new ProxyErrorException(ProxyError.Overloaded("The backend connection was lost before its answer was complete."));
        }
        if (completion is null) throw new ProxyErrorException(ProxyError.Api("The backend returned a response that is not valid JSON.", StatusCodes.Status502BadGateway));
        if (completion.Error is { } error) throw new ProxyErrorException(UpstreamErrorMapper.FromErrorObject(error));
        return completion;
    }

    private const int WholeAnswerWindow = int.MaxValue / 2;

    private static bool IsEventStream(HttpResponseMessage response)
        => response.Content.Headers.ContentType?.MediaType is { } mt && mt.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase);

    private static void EnsureJson(HttpResponseMessage response)
    {
        var mt = response.Content.Headers.ContentType?.MediaType;
        if (mt is null || mt.Contains("json", StringComparison.OrdinalIgnoreCase)) return;
        throw new ProxyErrorException(ProxyError.Api($"The backend answered with {mt} instead of JSON.", StatusCodes.Status502BadGateway));
    }
}
