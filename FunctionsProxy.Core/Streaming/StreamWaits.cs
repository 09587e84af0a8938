namespace FunctionsProxy.Streaming;

/// <summary>
/// The bounded waits of a streamed answer, on the host's <see cref="TimeProvider"/>: how long a stream request waits
/// for the backend's headers before the stream is committed, and how long text held back for orphan
/// <c>&lt;/think&gt;</c> detection may wait for the next chunk before it is released.
/// </summary>
internal static class StreamWaits
{
    /// <summary>True when <paramref name="task"/> finished (in any state) within <paramref name="limit"/>; false when
    /// the limit passed first. The task keeps running either way: its outcome is for the caller to await.</summary>
    public static async ValueTask<bool> FinishesWithinAsync(Task task, TimeSpan limit, TimeProvider time)
    {
        if (task.IsCompleted) return true;
        if (limit <= TimeSpan.Zero) return false;
        try
        {
            await task.WaitAsync(limit, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch
        {
            // The task's own failure: reported where it is awaited.
        }
        return true;
    }
}
