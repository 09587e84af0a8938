namespace FunctionsProxy.Team;

/// <summary>Where proxy key records live: Table Storage (Azure, Azurite) or a local JSON file.</summary>
public interface IProxyKeyStore
{
    Task<ProxyKeyRecord?> FindByIdAsync(string keyId, CancellationToken cancellationToken);
    Task<ProxyKeyRecord?> FindByNameAsync(string name, CancellationToken cancellationToken);
    Task<IReadOnlyList<ProxyKeyRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Adds a record; false when the name is taken.</summary>
    Task<bool> AddAsync(ProxyKeyRecord record, CancellationToken cancellationToken);

    /// <summary>Replaces the record of <paramref name="replacement"/>'s name (rotation: the old id stops resolving).</summary>
    Task<bool> ReplaceAsync(ProxyKeyRecord current, ProxyKeyRecord replacement, CancellationToken cancellationToken);

    /// <summary>Removes the named key; false when there was none.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>Overwrites the stored record of <paramref name="record"/>'s id (limits changed); false when it is gone.</summary>
    Task<bool> UpdateAsync(ProxyKeyRecord record, CancellationToken cancellationToken);

    Task TouchAsync(ProxyKeyRecord record, DateTimeOffset lastUsed, CancellationToken cancellationToken);
}
