using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Buffers;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.Errors;
using FunctionsProxy.Metering;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.OpenAi;
using FunctionsProxy.Security;
using FunctionsProxy.Streaming;
using FunctionsProxy.Translation;
using FunctionsProxy.Upstream;
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
    ILogger<MessagesEndpoint> logger,
    TimeProvider time)
{
    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var ct = context.RequestAborted;
        var o = options.Value;
        var level = o.Debug ? LogLevel.Information : LogLevel.Debug;
        // Stream requests: the SSE writer, committed (200 + message_start) once the backend is slow to answer.
        SseResponder? stream = null;
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
            var toolNames = new ToolNameMapper(o.ToolNameMap);

            using var upstreamCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            upstreamCts.CancelAfter(o.UpstreamTimeout);
            var call = new UpstreamCall(upstream, request, toolNames, o, body.Length);
            using var payload = call.Translate(model);
            var estimate = Math.Max(1, body.Length / 4);
            var answering = AnswerAsync(call, payload, model, primary, fallback, upstreamCts.Token, ct);
            string? committedId = null;
            if (request.Stream)
            {
                stream = new SseResponder(context, o.PingInterval, time);
                // A cold model can take a minute to send its headers: rather than a silent socket, the client gets the
                // stream's start and pings. The 404/429/key retries go on behind it; nothing of the answer is out yet.
                // 0 commits at once, even when the backend has already answered (the client asked for events, not statuses).
                if (o.StreamCommitAfter <= TimeSpan.Zero || !await StreamWaits.FinishesWithinAsync(answering, o.StreamCommitAfter, time).ConfigureAwait(false))
                    committedId = await CommitAsync(context, stream, request.Model, estimate, answering, upstreamCts).ConfigureAwait(false);
            }
            var (response, answeredModel) = await answering.ConfigureAwait(false);
            model = answeredModel;

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var error = await UpstreamErrorMapper.MapAsync(response, ct).ConfigureAwait(false);
                    await Reject(context, error, level, stream).ConfigureAwait(false);
                    return;
                }

                var totals = stream is not null
                    ? await RelayStreamAsync(context, stream, committedId, response, request, model, toolNames, estimate, upstreamCts, o).ConfigureAwait(false)
                    : await RelayJsonAsync(context, response, request, model, toolNames, estimate, upstreamCts.Token).ConfigureAwait(false);

                if (totals is { } t)
                {
                    ProxyLog.MessagesCompleted(logger, level, request.Model, model.UpstreamId, request.Stream, body.Length, payload.WrittenCount,
                        context.Response.StatusCode, (int)response.StatusCode, t.InputTokens, t.OutputTokens, t.CacheReadInputTokens,
                        (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    await usage.RecordAsync(client, model.UpstreamId, new UsageTotals(t.InputTokens, t.OutputTokens, t.CacheReadInputTokens), CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (ProxyErrorException e)
        {
            await Reject(context, e.Error, level, stream).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            ProxyLog.ClientAborted(logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            await Reject(context, ProxyError.Timeout($"The backend did not answer within {o.UpstreamTimeout.TotalSeconds:0} s. Long generations should use streaming."), level, stream).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // Connection refused/reset before any answer: retryable for clients (Claude Code backs off on 529).
            var error = ProxyError.Overloaded($"The backend could not be reached ({e.HttpRequestError}).");
            ProxyLog.BackendUnreachable(logger, e.HttpRequestError.ToString(), error.Status, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await Reject(context, error, level, stream).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The backend dropped the connection while a non-stream answer was being read.
            await Reject(context, ProxyError.Overloaded("The backend connection was lost before the answer was complete."), level, stream).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ProxyLog.Unexpected(logger, context.Request.Path, SecretScrubber.From(context).Scrub(e.ToString(), context, SecretScrubber.MaxLoggedDetailChars));
            await Reject(context, ProxyError.Api("The proxy failed to handle the request."), level, stream).ConfigureAwait(false);
        }
        finally
        {
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task Reject(HttpContext context, ProxyError error, LogLevel level, SseResponder? stream = null)
    {
        // The log line gets the same scrubbed text the client gets (the writers scrub again: idempotent).
        var reason = SecretScrubber.From(context).Scrub(error.Message, context);
        ProxyLog.MessagesRejected(logger, level, error.Status, error.Type, reason);
        error = error with { Message = reason.Value };
        if (stream is not { Started: true })
        {
            await AnthropicErrorWriter.WriteAsync(context, error, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        // The stream was committed before the backend answered: the 200 is out, the error is an SSE event.
        if (stream.Ended) return;
        try
        {
            await stream.WriteErrorAsync(error, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client is gone.
        }
    }

    /// <summary>Sends the request, then the corrected-model retry on 404 and the fallback key on 401/403.</summary>
    private async Task<(HttpResponseMessage Response, ResolvedModel Model)> AnswerAsync(UpstreamCall call, PooledBufferWriter payload, ResolvedModel model,
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

    /// <summary>Commits a stream whose backend has not answered yet: 200, SSE headers and <c>message_start</c> (the
    /// client's model id, the input estimate), which also starts the pings. Returns the message id.</summary>
    private static async Task<string> CommitAsync(HttpContext context, SseResponder stream, string requestedModel, long estimate,
        Task<(HttpResponseMessage Response, ResolvedModel Model)> answering, CancellationTokenSource upstreamCts)
    {
        var messageId = MessageAssembler.NewMessageId();
        try
        {
            stream.Start(AnthropicErrorWriter.RequestId(context));
            await stream.WriteAsync(static s => MessageAssembler.WriteStart(s.Sink, s.Id, s.Model, s.Estimate),
                (stream.Sink, Id: messageId, Model: requestedModel, Estimate: estimate), context.RequestAborted).ConfigureAwait(false);
            return messageId;
        }
        catch
        {
            // Nobody will read the answer: stop the backend call and release its response.
            await upstreamCts.CancelAsync().ConfigureAwait(false);
            try
            {
                (await answering.ConfigureAwait(false)).Response.Dispose();
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
            {
            }
            throw;
        }
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
                var end = new UpstreamStreamEnd();
                await foreach (var chunk in UpstreamChunkReader.ReadAsync(stream, end, upstreamToken).ConfigureAwait(false)) assembler.Accept(chunk);
                if (!end.SawDone && !assembler.SawFinish) throw new ProxyErrorException(UpstreamErrorMapper.Truncated());
            }
            else
            {
                EnsureJson(response);
                var completion = await UpstreamChunkReader.ReadCompletionAsync(stream, upstreamToken).ConfigureAwait(false)
                                 ?? throw new JsonException("empty body");
                assembler.Accept(completion); // throws for an error document
                if (completion.Choices is not { Count: > 0 }) throw new ProxyErrorException(UpstreamErrorMapper.NoChoices());
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

    /// <param name="committedId">The id of the <c>message_start</c> already sent when the stream was committed before
    /// the backend answered; null when the stream starts here.</param>
    private async Task<UsageTotals?> RelayStreamAsync(HttpContext context, SseResponder responder, string? committedId, HttpResponseMessage response,
        MessagesRequest request, ResolvedModel model, IToolNameMapper toolNames, long estimate, CancellationTokenSource upstreamCts, ProxyOptions o)
    {
        var ct = context.RequestAborted;
        var completion = IsEventStream(response) ? null : await ReadWholeAnswerAsync(response, upstreamCts.Token).ConfigureAwait(false);
        // A JSON answer is whole before anything is written: orphan </think> detection costs no latency there.
        var profile = completion is not null && model.Profile.ParseThinkTags ? model.Profile with { OrphanThinkCloseWindow = WholeAnswerWindow } : model.Profile;
        var assembler = new MessageAssembler(responder.Sink, request.Model, toolNames, request.StopSequences, estimate, logger, profile, request.Tools);
        if (committedId is not null)
        {
            assembler.ContinueStarted(committedId);
        }
        else
        {
            responder.Start(AnthropicErrorWriter.RequestId(context));
            await responder.WriteAsync(static a => a.Start(), assembler, ct).ConfigureAwait(false);
        }
        var holdBack = new HeldTextDeadline(model.Profile.HoldBackTime(ThinkingRequest.From(request.Thinking, request.OutputConfig, model.ForceThinking)), time);
        try
        {
            if (completion is null)
            {
                await using var stream = await response.Content.ReadAsStreamAsync(upstreamCts.Token).ConfigureAwait(false);
                var end = new UpstreamStreamEnd();
                var chunks = UpstreamChunkReader.ReadAsync(stream, end, reuseTextChunks: true, upstreamCts.Token).GetAsyncEnumerator(upstreamCts.Token);
                await using (chunks.ConfigureAwait(false))
                {
                    while (true)
                    {
                        // Flush when the backend has nothing more already buffered: chunks that arrived together leave
                        // in one network write, a chunk followed by a pause leaves at once (no added latency).
                        var next = chunks.MoveNextAsync();
                        bool more;
                        if (next.IsCompleted)
                        {
                            more = await next.ConfigureAwait(false);
                        }
                        else
                        {
                            await responder.FlushAsync(ct).ConfigureAwait(false);
                            more = holdBack.IsRunning(assembler)
                                ? await NextOrReleaseHeldTextAsync(next.AsTask(), holdBack, responder, assembler, ct).ConfigureAwait(false)
                                : await next.ConfigureAwait(false);
                        }
                        if (!more) break;
                        upstreamCts.CancelAfter(o.UpstreamTimeout); // idle limit: reset by every chunk
                        await responder.WriteAsync(static s =>
                        {
                            s.Assembler.Accept(s.Chunk);
                            s.HoldBack.AfterChunk(s.Assembler);
                        }, (Assembler: assembler, Chunk: chunks.Current, HoldBack: holdBack), flush: false, ct).ConfigureAwait(false);
                    }
                }
                // Cut off (neither finish_reason nor [DONE]): an error event, never message_stop with end_turn; tool
                // calls still buffered are not emitted, so a call with half its arguments never reaches the client.
                if (!end.SawDone && !assembler.SawFinish) throw new UpstreamStreamException(UpstreamErrorMapper.Truncated());
            }
            else
            {
                // A stream request the backend answered with one JSON document: synthesise the events.
                await responder.WriteAsync(static s => s.Assembler.Accept(s.Completion), (Assembler: assembler, Completion: completion), ct).ConfigureAwait(false);
            }
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
                ProxyLog.StreamFailed(logger, responder.EventsWritten, error.Type, e.GetType().Name, SecretScrubber.From(context).Scrub(error.Message, context));
            else
                ProxyLog.Unexpected(logger, context.Request.Path, SecretScrubber.From(context).Scrub(e.ToString(), context, SecretScrubber.MaxLoggedDetailChars));
            await responder.WriteErrorAsync(error, ct).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Waits for the next chunk while text is held back for an orphan <c>&lt;/think&gt;</c>; when the
    /// hold-back's time runs out first, the held text goes out without waiting for the backend.</summary>
    private static async ValueTask<bool> NextOrReleaseHeldTextAsync(Task<bool> next, HeldTextDeadline holdBack, SseResponder responder,
        MessageAssembler assembler, CancellationToken ct)
    {
        if (!await StreamWaits.FinishesWithinAsync(next, holdBack.Remaining, holdBack.Time).ConfigureAwait(false))
            await responder.WriteAsync(static a => a.ReleaseHeldText(), assembler, ct).ConfigureAwait(false);
        return await next.ConfigureAwait(false);
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
        if (UpstreamErrorMapper.FromCompletion(completion) is { } error) throw new ProxyErrorException(error);
        if (completion.Choices is not { Count: > 0 }) throw new ProxyErrorException(UpstreamErrorMapper.NoChoices());
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
