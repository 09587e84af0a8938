using FunctionsProxy.Anthropic;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.OpenAi;
using FunctionsProxy.Security;
using FunctionsProxy.Translation;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Streaming;

/// <summary>
/// The stream half of <c>/v1/messages</c> once the backend said 2xx: the backend's chunks (or its one JSON document)
/// through the <see cref="MessageAssembler"/> onto the <see cref="SseResponder"/>, flushing whenever the backend has
/// nothing more buffered, releasing text held for an orphan <c>&lt;/think&gt;</c> when its time runs out, and ending
/// with <c>message_stop</c> or, as the 200 is out by then, an <c>error</c> event.
/// </summary>
internal sealed class SseRelay(SseResponder responder, MessageAssembler assembler, HeldTextDeadline holdBack, ILogger logger)
{
    /// <summary>Relays an SSE answer; <paramref name="idle"/> is reset by every chunk.</summary>
    /// <returns>The usage reported to the client, or null when the stream ended with an <c>error</c> event.</returns>
    public Task<UsageTotals?> RelayChunksAsync(HttpResponseMessage response, ActivityTimeout idle, CancellationToken clientAborted)
        => GuardAsync(static (r, s, ct) => r.ChunksAsync(s.Response, s.Idle, ct), (Response: response, Idle: idle), idle.Timeout, clientAborted);

    /// <summary>A stream request the backend answered with one JSON document: synthesises the events.</summary>
    public Task<UsageTotals?> RelayWholeAsync(ChatCompletion completion, TimeSpan idleTimeout, CancellationToken clientAborted)
        => GuardAsync(static (r, c, ct) => r.WholeAsync(c, ct), completion, idleTimeout, clientAborted);

    private ValueTask WholeAsync(ChatCompletion completion, CancellationToken ct)
        => responder.WriteAsync(static s => s.Assembler.Accept(s.Completion), (Assembler: assembler, Completion: completion), ct);

    private async Task<UsageTotals?> GuardAsync<TState>(Func<SseRelay, TState, CancellationToken, ValueTask> relay, TState state, TimeSpan idleTimeout, CancellationToken ct)
    {
        try
        {
            await relay(this, state, ct).ConfigureAwait(false);
            await responder.WriteAsync(static a => a.Complete(), assembler, ct).ConfigureAwait(false);
            return assembler.Usage;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested || responder.ClientGone)
        {
            throw;
        }
        catch (Exception e)
        {
            var error = UpstreamFailure.MidStream(e, idleTimeout);
            var context = responder.Context;
            if (UpstreamFailure.MidStreamIsBackends(e))
                ProxyLog.StreamFailed(logger, responder.EventsWritten, error.Type, e.GetType().Name, SecretScrubber.From(context).Scrub(error.Message, context));
            else
                ProxyLog.Unexpected(logger, context.Request.Path, SecretScrubber.From(context).Scrub(e.ToString(), context, SecretScrubber.MaxLoggedDetailChars));
            await responder.WriteErrorAsync(error, ct).ConfigureAwait(false);
            return null;
        }
    }

    private async ValueTask ChunksAsync(HttpResponseMessage response, ActivityTimeout idle, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var end = new UpstreamStreamEnd();
            // Each chunk is handled before the next is read, so text-only deltas may come as one reused object.
            var chunks = UpstreamChunkReader.ReadAsync(stream, end, reuseTextChunks: true, idle.Token).GetAsyncEnumerator(idle.Token);
            await using (chunks.ConfigureAwait(false))
            {
                // Chunks that are already buffered are written in one batch under one hold of the write gate.
                var inBatch = false;
                try
                {
                    while (true)
                    {
                        var next = chunks.MoveNextAsync();
                        if (!next.IsCompleted)
                        {
                            if (inBatch)
                            {
                                inBatch = false;
                                await responder.EndBatchAsync(ct).ConfigureAwait(false);
                            }
                            if (!await WaitAsync(next, ct).ConfigureAwait(false)) break;
                        }
                        else if (!await next.ConfigureAwait(false))
                        {
                            break;
                        }
                        if (!inBatch)
                        {
                            await responder.BeginBatchAsync(ct).ConfigureAwait(false);
                            inBatch = true;
                        }
                        idle.Reset();
                        await responder.WriteInBatchAsync(static s =>
                        {
                            s.Assembler.Accept(s.Chunk);
                            s.HoldBack.AfterChunk(s.Assembler);
                        }, (Assembler: assembler, Chunk: chunks.Current, HoldBack: holdBack), ct).ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (inBatch) responder.LeaveBatch();
                }
            }
            // Cut off (neither finish_reason nor [DONE]): an error event, never message_stop with end_turn; tool calls
            // still buffered are not emitted, so a call with half its arguments never reaches the client.
            if (!end.SawDone && !assembler.SawFinish) throw UpstreamFailure.Truncated();
        }
    }

    /// <summary>Waits for the next chunk once the backend has nothing more buffered; the events written so far were
    /// flushed first, so chunks that arrived together leave in one network write and a chunk followed by a pause
    /// leaves at once (no added latency).</summary>
    private async ValueTask<bool> WaitAsync(ValueTask<bool> next, CancellationToken ct)
    {
        await responder.FlushAsync(ct).ConfigureAwait(false);
        if (!holdBack.IsRunning(assembler)) return await next.ConfigureAwait(false);
        // Text is held back for an orphan </think>: when the hold-back's time runs out first, it goes out without
        // waiting for the backend.
        var pending = next.AsTask();
        if (!await StreamWaits.FinishesWithinAsync(pending, holdBack.Remaining, holdBack.Time).ConfigureAwait(false))
            await responder.WriteAsync(static a => a.ReleaseHeldText(), assembler, ct).ConfigureAwait(false);
        return await pending.ConfigureAwait(false);
    }
}
