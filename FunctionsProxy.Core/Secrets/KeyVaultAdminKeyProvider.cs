using FunctionsProxy.Security;

namespace FunctionsProxy.Secrets;

/// <summary>The admin key from Key Vault (<c>PROXY_ADMIN_KEY_SECRET_NAME</c>).</summary>
public sealed class KeyVaultAdminKeyProvider(KeyVaultSecretCache secret) : IAdminKeyProvider
{
    public ValueTask<string?> GetAdminKeyAsync(CancellationToken cancellationToken) => secret.GetAsync(cancellationToken);
}
