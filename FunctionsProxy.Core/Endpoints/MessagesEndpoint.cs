using FunctionsProxy.Anthropic;
using FunctionsProxy.Configuration;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.Errors;
using FunctionsProxy.Fallback;
using FunctionsProxy.Metering;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Security;
using FunctionsProxy.Streaming;
using FunctionsProxy.Translation;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary>
/// <c>POST /v1/messages</c> for an authenticated client (<see cref="EndpointRunner"/>): read the request, send it,
/// commit a stream whose backend is slow, then answer as one JSON message or as Anthropic SSE. Errors before the first
/// byte keep their HTTP status; after it they become an SSE <c>error</c> event.
/// </summary>
public sealed class MessagesEndpoint(
    ModelCandidatePlanner planner,
    FallbackInvoker invoker,
    BackendCredentials credentials,
    UpstreamClient upstream,
    IUsageRecorder usage,
    IOptions<ProxyOptions> options,
    ILogger<MessagesEndpoint> logger,
    TimeProvider time)
{
    /// <summary>Response header naming the backend model that produced the answer (the body keeps the client's id).</summary>
    public const string BackendModelHeader = "x-backend-model";

    public async Task HandleAsync(HttpContext context, ClientContext client)
    {
        var exchange = new MessagesExchange(context, client, options.Value);
        await using var exchangeLifetime = exchange.ConfigureAwait(false);
        try
        {
            await ReadRequestAsync(exchange).ConfigureAwait(false);
            var call = new UpstreamCall(upstream, exchange.Request, exchange.ToolNames, exchange.Options, exchange.Body.Length);
            // Step 2: the model plan, each model with its 404 casing fix and key retries, the next model on a backend
            // failure; all of it before any answer is read (FallbackInvoker).
            var answering = invoker.SendAsync(call, exchange.Plan, exchange.PrimaryKey, exchange.FallbackKey, exchange.Upstream.Token, exchange.Aborted);
            await CommitStreamIfBackendIsSlowAsync(exchange, answering).ConfigureAwait(false);
            var answer = await answering.ConfigureAwait(false);
            using var response = answer.Response;
            exchange.Model = answer.Model;
            exchange.UpstreamRequestBytes = answer.UpstreamBytes;
            SetBackendModelHeader(exchange);
            if (!response.IsSuccessStatusCode)
                throw new ProxyErrorException(await UpstreamErrorMapper.MapAsync(response, exchange.Aborted).ConfigureAwait(false));
            if (exchange.Stream is null)
            {
                var (message, totals) = await ReadJsonAnswerAsync(exchange, response).ConfigureAwait(false);
                // Recorded before the answer leaves: a client that got its answer finds its usage already counted.
                await RecordAsync(exchange, response, totals).ConfigureAwait(false);
                await JsonResponse.WriteAsync(context, message, static (w, m) => m.WriteTo(w)).ConfigureAwait(false);
            }
            else if (await RelayStreamAsync(exchange, response).ConfigureAwait(false) is { } totals)
            {
                await RecordAsync(exchange, response, totals).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (exchange.Aborted.IsCancellationRequested)
        {
            ProxyLog.ClientAborted(logger, (long)exchange.Elapsed.TotalMilliseconds);
        }
        catch (Exception e) when (UpstreamFailure.BeforeAnswer(e, exchange.Options.UpstreamTimeout) is { } error)
        {
            if (e is HttpRequestException h) ProxyLog.BackendUnreachable(logger, h.HttpRequestError.ToString(), error.Status, (long)exchange.Elapsed.TotalMilliseconds);
            await RejectAsync(exchange, error).ConfigureAwait(false);
        }
        catch (Exception e) when (exchange.Stream is { Started: true })
        {
            // The 200 is out, so the endpoint runner cannot answer this defect: the stream's error event does.
            ProxyLog.Unexpected(logger, context.Request.Path, SecretScrubber.From(context).Scrub(e.ToString(), context, SecretScrubber.MaxLoggedDetailChars));
            await RejectAsync(exchange, ProxyError.Api("The proxy failed to handle the request.")).ConfigureAwait(false);
        }
    }

    /// <summary>Step 1: the body (size limit, JSON, validation), the backend keys, and the backend models to try.</summary>
    private async Task ReadRequestAsync(MessagesExchange exchange)
    {
        exchange.Body = await RequestBody.ReadAsync(exchange.Context.Request, exchange.Options.MaxRequestBodyBytes, exchange.Aborted).ConfigureAwait(false);
        exchange.Request = MessagesRequest.Parse(exchange.Body.Document.RootElement, logger: logger);
        (exchange.PrimaryKey, exchange.FallbackKey) = await credentials.SelectAsync(exchange.Client, exchange.Aborted).ConfigureAwait(false);
        // The models this request may go to, in order (MODEL_ROUTES, then the MODEL_MAP chain); usually just one.
        exchange.Plan = await planner.PlanAsync(exchange.Request, exchange.Body.Length, exchange.PrimaryKey, exchange.Aborted).ConfigureAwait(false);
        exchange.Model = exchange.Plan.Primary;
    }

    /// <summary>Step 3, stream requests only: a cold model can take a minute to send its headers. Rather than a silent
    /// socket, the client then gets 200, <c>message_start</c> (its model id, the input estimate) and pings; the retries
    /// go on behind it, nothing of the answer is out yet. <c>PROXY_STREAM_COMMIT_AFTER=0</c> commits at once, even
    /// when the backend has already answered (the client asked for events, not statuses).</summary>
    private async Task CommitStreamIfBackendIsSlowAsync(MessagesExchange exchange, Task<ModelAnswer> answering)
    {
        if (!exchange.Request.Stream) return;
        var stream = exchange.Stream = new SseResponder(exchange.Context, exchange.Options.PingInterval, time);
        var after = exchange.Options.StreamCommitAfter;
        if (after > TimeSpan.Zero && await StreamWaits.FinishesWithinAsync(answering, after, time).ConfigureAwait(false)) return;

        var messageId = MessageAssembler.NewMessageId();
        try
        {
            stream.Start(AnthropicErrorWriter.RequestId(exchange.Context));
            await stream.WriteAsync(static s => MessageAssembler.WriteStart(s.Sink, s.Id, s.Model, s.Estimate),
                (stream.Sink, Id: messageId, exchange.Request.Model, Estimate: exchange.InputEstimate), exchange.Aborted).ConfigureAwait(false);
            exchange.CommittedMessageId = messageId;
        }
        catch
        {
            // Nobody will read the answer: stop the backend call and release its response.
            await exchange.Upstream.CancelAsync().ConfigureAwait(false);
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

    /// <summary>Step 4a: a non-stream answer, read whole (an SSE answer is aggregated) into one message.</summary>
    private async Task<(MessageAggregator Message, UsageTotals Usage)> ReadJsonAnswerAsync(MessagesExchange exchange, HttpResponseMessage response)
    {
        var aggregator = new MessageAggregator();
        var assembler = NewAssembler(exchange, aggregator, wholeAnswer: true);
        var token = exchange.Upstream.Token;
        if (UpstreamAnswer.IsEventStream(response))
        {
            try
            {
                var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    var end = new UpstreamStreamEnd();
                    await foreach (var chunk in UpstreamChunkReader.ReadAsync(stream, end, token).ConfigureAwait(false)) assembler.Accept(chunk);
                    if (!end.SawDone && !assembler.SawFinish) throw UpstreamFailure.Truncated();
                }
            }
            catch (System.Text.Json.JsonException)
            {
                throw UpstreamFailure.NotJson();
            }
        }
        else
        {
            assembler.Accept(await UpstreamAnswer.ReadWholeAsync(response, token).ConfigureAwait(false));
        }
        assembler.Complete();
        return (aggregator, assembler.Usage);
    }

    /// <summary>Step 4b: the SSE answer (<see cref="SseRelay"/>). A JSON answer to a stream request is read whole
    /// before the 200 goes out, so its errors keep their HTTP status.</summary>
    private async Task<UsageTotals?> RelayStreamAsync(MessagesExchange exchange, HttpResponseMessage response)
    {
        var stream = exchange.Stream!;
        var whole = UpstreamAnswer.IsEventStream(response) ? null : await UpstreamAnswer.ReadWholeAsync(response, exchange.Upstream.Token).ConfigureAwait(false);
        var assembler = NewAssembler(exchange, stream.Sink, wholeAnswer: whole is not null);
        if (exchange.CommittedMessageId is { } committed)
        {
            assembler.ContinueStarted(committed);
        }
        else
        {
            stream.Start(AnthropicErrorWriter.RequestId(exchange.Context));
            await stream.WriteAsync(static a => a.Start(), assembler, exchange.Aborted).ConfigureAwait(false);
        }
        var request = exchange.Request;
        var model = exchange.Model;
        var holdBack = new HeldTextDeadline(model.Profile.HoldBackTime(ThinkingRequest.From(request.Thinking, request.OutputConfig, model.ForceThinking)), time);
        var relay = new SseRelay(stream, assembler, holdBack, logger);
        return whole is null
            ? await relay.RelayChunksAsync(response, exchange.Upstream, exchange.Aborted).ConfigureAwait(false)
            : await relay.RelayWholeAsync(whole, exchange.Upstream.Timeout, exchange.Aborted).ConfigureAwait(false);
    }

    /// <summary>Step 5: the completion log line and the caller's usage.</summary>
    private async Task RecordAsync(MessagesExchange exchange, HttpResponseMessage response, UsageTotals totals)
    {
        var request = exchange.Request;
        ProxyLog.MessagesCompleted(logger, exchange.LogLevel, request.Model, exchange.Model.UpstreamId, request.Stream, exchange.Body.Length,
            exchange.UpstreamRequestBytes, StatusCodes.Status200OK, (int)response.StatusCode, totals.InputTokens, totals.OutputTokens,
            totals.CacheReadInputTokens, (long)exchange.Elapsed.TotalMilliseconds);
        await usage.RecordAsync(exchange.Client, exchange.Model.UpstreamId, totals, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The client's model id stays in the body; which backend model answered is a header (when the headers
    /// are not out yet: a stream committed early has sent them), the log line and the usage row.</summary>
    private static void SetBackendModelHeader(MessagesExchange exchange)
    {
        var response = exchange.Context.Response;
        if (!response.HasStarted && IsHeaderSafe(exchange.Model.UpstreamId)) response.Headers[BackendModelHeader] = exchange.Model.UpstreamId;
    }

    /// <summary>An id that can go into a header as is: backend ids are short visible ASCII, but an unmapped id is the
    /// client's own string, and a control character or non-ASCII letter in a header value makes the server throw.</summary>
    private static bool IsHeaderSafe(string id)
    {
        if (id.Length is 0 or > 256) return false;
        foreach (var c in id)
        {
            if (c is < '!' or > '~') return false;
        }
        return true;
    }

    private MessageAssembler NewAssembler(MessagesExchange exchange, IAnthropicEventSink sink, bool wholeAnswer)
    {
        var request = exchange.Request;
        return new MessageAssembler(sink, request.Model, exchange.ToolNames, request.StopSequences, exchange.InputEstimate, logger,
            exchange.Model.Profile, request.Tools, wholeAnswer);
    }

    /// <summary>Before the 200: the error with its HTTP status. After it: an SSE <c>error</c> event, unless the stream
    /// already ended.</summary>
    private async Task RejectAsync(MessagesExchange exchange, ProxyError error)
    {
        if (exchange.Stream is not { Started: true } stream)
        {
            await EndpointRunner.RejectAsync(exchange.Context, error).ConfigureAwait(false);
            return;
        }
        var context = exchange.Context;
        var reason = SecretScrubber.From(context).Scrub(error.Message, context);
        ProxyLog.Rejected(logger, exchange.LogLevel, context.Request.Path, error.Status, error.Type, reason);
        if (stream.Ended) return;
        try
        {
            await stream.WriteErrorAsync(error with { Message = reason.Value }, exchange.Aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client is gone.
        }
    }
}
