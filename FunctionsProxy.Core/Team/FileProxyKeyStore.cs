using FunctionsProxy.Storage;

namespace FunctionsProxy.Team;

/// <summary>Keys in a local JSON file (<c>PROXY_KEYS_FILE</c>), so the CLI and a running local host share them.</summary>
internal sealed class FileProxyKeyStore(string path) : IProxyKeyStore
{
    private readonly JsonFileStore<KeyFile> _file = new(path, TeamJson.Default.KeyFile);

    public async Task<ProxyKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken)
        => (await _file.ReadAsync(cancellationToken).ConfigureAwait(false)).Keys.Find(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));

    public async Task<ProxyKeyRecord?> FindByNameAsync(string name, CancellationToken cancellationToken)
        => (await _file.ReadAsync(cancellationToken).ConfigureAwait(false)).Keys.Find(k => string.Equals(k.Name, name, StringComparison.Ordinal));

    public async Task<IReadOnlyList<ProxyKeyRecord>> ListAsync(CancellationToken cancellationToken)
        => (await _file.ReadAsync(cancellationToken).ConfigureAwait(false)).Keys;

    public Task<bool> AddAsync(ProxyKeyRecord record, CancellationToken cancellationToken)
        => _file.UpdateAsync(f =>
        {
            if (f.Keys.Exists(k => k.Name == record.Name)) return (false, false);
            f.Keys.Add(record);
            return (true, true);
        }, cancellationToken);

    public Task<bool> ReplaceAsync(ProxyKeyRecord current, ProxyKeyRecord replacement, CancellationToken cancellationToken)
        => _file.UpdateAsync(f =>
        {
            var i = f.Keys.FindIndex(k => k.Name == current.Name && k.KeyId == current.KeyId);
            if (i < 0) return (false, false);
            f.Keys[i] = replacement;
            return (true, true);
        }, cancellationToken);

    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
        => _file.UpdateAsync(f =>
        {
            var removed = f.Keys.RemoveAll(k => k.Name == name) > 0;
            return (removed, removed);
        }, cancellationToken);

    public Task<bool> UpdateAsync(ProxyKeyRecord record, CancellationToken cancellationToken)
        => _file.UpdateAsync(f =>
        {
            var i = f.Keys.FindIndex(k => k.KeyId == record.KeyId && k.Name == record.Name);
            if (i < 0) return (false, false);
            f.Keys[i] = record with { LastUsedAt = f.Keys[i].LastUsedAt };
            return (true, true);
        }, cancellationToken);

    public Task TouchAsync(ProxyKeyRecord record, DateTimeOffset lastUsed, CancellationToken cancellationToken)
        => _file.UpdateAsync(f =>
        {
            var i = f.Keys.FindIndex(k => k.KeyId == record.KeyId);
            if (i < 0) return (false, false);
            f.Keys[i] = f.Keys[i] with { LastUsedAt = lastUsed };
            return (true, true);
        }, cancellationToken);
}
