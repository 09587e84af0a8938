using System.Collections.Concurrent;

namespace FunctionsProxy.Team;

/// <summary>One process only (local host without storage).</summary>
internal sealed class MemoryRequestCounter : IRequestCounter
{
    private readonly ConcurrentDictionary<(string, string), StrongBox> _counts = new();

    public Task<long> IncrementAsync(string keyName, string minute, CancellationToken cancellationToken)
    {
        // Forget earlier minutes so the dictionary stays the size of the team.
        foreach (var k in _counts.Keys) if (k.Item2 != minute) _counts.TryRemove(k, out _);
        return Task.FromResult(Interlocked.Increment(ref _counts.GetOrAdd((keyName, minute), _ => new StrongBox()).Value));
    }

    private sealed class StrongBox { public long Value; }
}
