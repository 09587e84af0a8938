using System.Buffers;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Buffers;
using FunctionsProxy.Errors;
using FunctionsProxy.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FunctionsProxy.Streaming;

/// <summary>
/// Relays one upstream answer to the client as Anthropic SSE: headers as soon as the backend said 2xx (or earlier,
/// when the endpoint commits the stream while a slow backend is still silent), one flush per upstream chunk,
/// <c>ping</c> frames one interval after the last write while the backend is silent, and an <c>error</c> event (never a fake
/// <c>message_stop</c>) when the upstream fails after the stream began.
/// </summary>
internal sealed class SseResponder : IAsyncDisposable
{
    private readonly HttpResponse _response;
    // Events are written here and copied into the response pipe once per flush: Kestrel's pipe writer takes a lock
    // on every Advance, and a stream writes one to three events per upstream chunk.
    private readonly PooledBufferWriter _pending = new(4 * 1024);
    private readonly SseEventSink _sink;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeSpan _pingInterval;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop;
    private long _lastWrite;
    private Task? _pinger;

    public SseResponder(HttpContext context, TimeSpan pingInterval, TimeProvider time)
    {
        _response = context.Response;
        _sink = new SseEventSink(_pending);
        _pingInterval = pingInterval;
        _time = time;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
    }

    public IAnthropicEventSink Sink => _sink;
    public HttpContext Context => _response.HttpContext;
    public int EventsWritten { get; private set; }

    /// <summary>A terminal event (<c>message_stop</c> or <c>error</c>) was written.</summary>
    public bool Ended => _sink.Ended;

    /// <summary>A flush found the client's side of the response closed.</summary>
    public bool ClientGone { get; private set; }

    /// <summary><see cref="Start"/> was called: the 200 is decided (and on the wire with the first flush).</summary>
    public bool Started { get; private set; }

    /// <summary>Sets the SSE headers. They go out with the first event (<c>message_start</c>) in one network write.</summary>
    public void Start(string requestId)
    {
        Started = true;
        _response.StatusCode = StatusCodes.Status200OK;
        _response.ContentType = "text/event-stream; charset=utf-8";
        _response.Headers.CacheControl = "no-cache";
        _response.Headers["X-Accel-Buffering"] = "no";
        _response.Headers["request-id"] = requestId;
        _response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Runs <paramref name="produce"/> (which writes events to <see cref="Sink"/>) under the write gate, then
    /// flushes. A run of chunks the backend already delivered goes through a batch instead (<see cref="BeginBatchAsync"/>).</summary>
    public async ValueTask WriteAsync<TState>(Action<TState> produce, TState state, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            produce(state);
            await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Takes the write gate for a run of chunks the backend already delivered: each chunk of the run is then
    /// written with <see cref="WriteInBatchAsync"/> without a gate of its own (two lock round trips and an async call
    /// per chunk otherwise). End the run with <see cref="EndBatchAsync"/> before waiting for the backend, or
    /// <see cref="LeaveBatch"/> when it ends otherwise.</summary>
    public Task BeginBatchAsync(CancellationToken cancellationToken) => _gate.WaitAsync(cancellationToken);

    /// <summary>Runs <paramref name="produce"/> inside a batch; flushes only when the stream ended or much is pending.</summary>
    public ValueTask WriteInBatchAsync<TState>(Action<TState> produce, TState state, CancellationToken cancellationToken)
    {
        produce(state);
        return _sink.Ended || PendingIsLarge() ? FlushPendingAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>Sends what the batch wrote and lets the pinger in again.</summary>
    public async ValueTask EndBatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Leaves a batch without flushing (the next write, or the stream's end, flushes).</summary>
    public void LeaveBatch() => _gate.Release();

    /// <summary>Sends the events written without a flush (the caller found the backend has nothing more buffered).</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_sink.PendingEvents == 0) return;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Unflushed bytes that force a flush even while the backend keeps data coming.</summary>
    internal const int MaxUnflushedBytes = 32 * 1024;

    private bool PendingIsLarge() => _pending.WrittenCount >= MaxUnflushedBytes;

    /// <summary>The terminal <c>error</c> event; its message passes <see cref="SecretScrubber"/> like every error body.</summary>
    public ValueTask WriteErrorAsync(ProxyError error, CancellationToken cancellationToken)
        => WriteAsync(static (s) => s.Sink.Error(s.Error), (Sink: _sink, Error: SecretScrubber.From(_response.HttpContext).Scrub(error, _response.HttpContext)), cancellationToken);

    private async ValueTask FlushPendingAsync(CancellationToken cancellationToken)
    {
        var n = _sink.TakePendingEvents();
        if (n == 0) return;
        EventsWritten += n;
        _response.BodyWriter.Write(_pending.WrittenSpan);
        _pending.Clear();
        var result = await _response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        // The client is gone: stop now rather than keep the backend generating into the void.
        if (result.IsCompleted)
        {
            ClientGone = true;
            throw new OperationCanceledException("The client closed the stream.");
        }
        Volatile.Write(ref _lastWrite, _time.GetTimestamp());
        if (_sink.Ended) await _stop.CancelAsync().ConfigureAwait(false);
        else _pinger ??= PingAsync(_stop.Token); // pings only between message_start and the terminal event
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // Sleep until exactly one interval after the last write (rather than polling): the ping comes within
                // the interval of the last byte, and a busy stream costs one wake-up per interval at most.
                var due = _pingInterval - _time.GetElapsedTime(Volatile.Read(ref _lastWrite));
                if (due > TimeSpan.Zero)
                {
                    // Every stream ends by cancelling this wait: suppressed, not thrown, as an exception per stream
                    // request was a measurable share of a stream's CPU time.
                    await Task.Delay(due, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (cancellationToken.IsCancellationRequested) return;
                    continue;
                }
                await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (cancellationToken.IsCancellationRequested || _sink.Ended) return;
                    // A write that got the gate first already reset the clock.
                    if (_time.GetElapsedTime(Volatile.Read(ref _lastWrite)) < _pingInterval) continue;
                    _sink.Ping();
                    await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The client went away; the main loop notices through RequestAborted.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_pinger is not null) await _pinger.ConfigureAwait(false);
        _stop.Dispose();
        _sink.Dispose();
        _pending.Dispose();
        _gate.Dispose();
    }
}
