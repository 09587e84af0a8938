namespace FunctionsProxy.Security;

/// <summary>
/// Supplies the admin key for <c>/_admin</c>. The default reads <c>PROXY_ADMIN_KEY</c>; the Functions app can
/// register a Key Vault-backed provider (<c>PROXY_ADMIN_KEY_SECRET_NAME</c>) before <c>AddFunctionsProxyCore</c>.
/// Implementations must cache: this is called per admin request. Never logged.
/// </summary>
public interface IAdminKeyProvider
{
    /// <summary>The admin key, or null when none is configured (the admin routes then answer 404).</summary>
    ValueTask<string?> GetAdminKeyAsync(CancellationToken cancellationToken);
}
