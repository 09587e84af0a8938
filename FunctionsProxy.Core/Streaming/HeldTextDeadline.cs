using FunctionsProxy.Translation;

namespace FunctionsProxy.Streaming;

/// <summary>
/// The time bound of one stream's hold-back for an orphan <c>&lt;/think&gt;</c>: the clock starts when the first
/// content is held, and once the limit passes the held text is released even if the backend sends nothing more.
/// Per chunk it costs a flag check; the clock is read only while text is held (the first second or so).
/// </summary>
internal sealed class HeldTextDeadline(TimeSpan limit, TimeProvider time)
{
    private long _since;
    private bool _started;

    public TimeProvider Time => time;

    /// <summary>Text is held and the clock runs: the relay waits for the next chunk at most <see cref="Remaining"/>.</summary>
    public bool IsRunning(MessageAssembler assembler) => _started && assembler.HoldsStartText;

    public TimeSpan Remaining => limit - time.GetElapsedTime(_since);

    /// <summary>After each chunk (under the write gate): starts the clock at the first held text, and releases the
    /// held text once the limit passed (a backend whose chunks are always already buffered never leaves the relay
    /// waiting, so the deadline is checked here too).</summary>
    public void AfterChunk(MessageAssembler assembler)
    {
        if (limit <= TimeSpan.Zero || !assembler.HoldsStartText) return;
        if (!_started)
        {
            _started = true;
            _since = time.GetTimestamp();
        }
        else if (Remaining <= TimeSpan.Zero)
        {
            assembler.ReleaseHeldText();
        }
    }
}
