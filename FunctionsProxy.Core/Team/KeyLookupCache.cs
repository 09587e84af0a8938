using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Team;

/// <summary>
/// Key lookups by id, trusted for <see cref="TeamOptions.KeyCacheTtl"/>: a revoked or rotated key is refused by
/// every instance within that time. Misses are cached too (a guessed id costs one store read per TTL); a new key
/// has a fresh random id, so it was never cached as a miss and works at once.
/// </summary>
public sealed class KeyLookupCache(IProxyKeyStore store, IOptions<TeamOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (ProxyKeyRecord? Record, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);

    public async ValueTask<ProxyKeyRecord?> FindAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(keyId, out var hit) && hit.Expires > now) return hit.Record;
        var record = await store.FindByIdAsync(keyId, cancellationToken).ConfigureAwait(false);
        if (_entries.Count > 10_000) _entries.Clear(); // bounded: random ids must not grow memory without end
        _entries[keyId] = (record, now + options.Value.KeyCacheTtl);
        return record;
    }

    /// <summary>Drops an id at once on this instance (after revoke/rotate through this process).</summary>
    public void Invalidate(string keyId) => _entries.TryRemove(keyId, out _);
}
