namespace FunctionsProxy.Upstream;

/// <summary>Supplies the backend key the server holds (configuration, or Key Vault in Azure). Never logged.</summary>
public interface IBackendKeyProvider
{
    ValueTask<string?> GetKeyAsync(CancellationToken cancellationToken);

    /// <summary>After the backend refused <paramref name="rejected"/>: a different key if the source now holds one (a
    /// rotated secret), otherwise null. Sources that cannot change without a restart answer null.</summary>
    ValueTask<string?> RenewAfterRejectionAsync(string rejected, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
}
