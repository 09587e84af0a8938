namespace FunctionsProxy.Streaming;

/// <summary>
/// The backend call's cancellation: the client going away, or <c>PROXY_UPSTREAM_TIMEOUT</c> passing without activity
/// (after YARP's <c>ActivityCancellationTokenSource</c>). A JSON answer must arrive whole within the limit; a stream
/// calls <see cref="Reset"/> on every chunk, so the limit bounds the silence between chunks, not the whole answer.
/// </summary>
internal sealed class ActivityTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _client;

    public ActivityTimeout(TimeSpan timeout, CancellationToken clientAborted)
    {
        Timeout = timeout;
        _client = clientAborted;
        _source = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        _source.CancelAfter(timeout);
    }

    public TimeSpan Timeout { get; }

    /// <summary>Cancels the backend call; pass it to every upstream send and read.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The backend was silent too long (the client is still there).</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_client.IsCancellationRequested;

    /// <summary>The backend showed activity: the limit starts again.</summary>
    public void Reset() => _source.CancelAfter(Timeout);

    /// <summary>Nobody will read the answer: stop the backend call now.</summary>
    public Task CancelAsync() => _source.CancelAsync();

    public void Dispose() => _source.Dispose();
}
