using FunctionsProxy.Upstream;

namespace FunctionsProxy.Secrets;

/// <summary>The backend key from Key Vault (<c>CHUTES_API_KEY_SECRET_NAME</c>).</summary>
public sealed class KeyVaultBackendKeyProvider(KeyVaultSecretCache secret) : IBackendKeyProvider
{
    public ValueTask<string?> GetKeyAsync(CancellationToken cancellationToken) => secret.GetAsync(cancellationToken);

    public ValueTask<string?> RenewAfterRejectionAsync(string rejected, CancellationToken cancellationToken) => secret.RereadAfterRejectionAsync(rejected, cancellationToken);
}
