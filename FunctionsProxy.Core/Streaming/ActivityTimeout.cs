namespace FunctionsProxy.Streaming;

/// <summary>
/// The backend call's cancellation: the client going away, or <c>PROXY_UPSTREAM_TIMEOUT</c> passing without activity
/// (after YARP's <c>ActivityCancellationTokenSource</c>). A JSON answer must arrive whole within the limit; a stream
/// calls <see cref="Reset"/> on every chunk, so the limit bounds the silence between chunks, not the whole answer.
/// </summary>
/// <remarks>
/// <see cref="Reset"/> only stores the time: a stream resets on every chunk, and re-arming the timer each time
/// (<see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>, a timer-queue lock per chunk) was a measurable part of
/// relaying a stream. The one timer fires at the limit and, when there was activity since, waits out the rest.
/// </remarks>
internal sealed class ActivityTimeout : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private long _lastActivity;

    public ActivityTimeout(TimeSpan timeout, CancellationToken clientAborted)
    {
        Timeout = timeout;
        _time = TimeProvider.System;
        _source = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        _lastActivity = _time.GetTimestamp();
        _timer = _time.CreateTimer(static s => ((ActivityTimeout)s!).OnTimer(), this, timeout, System.Threading.Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Timeout { get; }

    /// <summary>Cancels the backend call; pass it to every upstream send and read.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The backend showed activity: the limit starts again.</summary>
    public void Reset() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>Nobody will read the answer: stop the backend call now.</summary>
    public Task CancelAsync() => _source.CancelAsync();

    private void OnTimer()
    {
        var left = Timeout - _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
        if (left > TimeSpan.Zero)
        {
            try { _timer.Change(left, System.Threading.Timeout.InfiniteTimeSpan); }
            catch (ObjectDisposedException) { }
            return;
        }
        try { _source.Cancel(); }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _source.Dispose();
    }
}
