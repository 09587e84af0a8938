using FunctionsProxy.Configuration;
using FunctionsProxy.Security;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Upstream;

/// <summary>Chooses the credential for the backend per <c>CHUTES_AUTH_STYLE</c>. A proxy key (team mode) is never
/// forwarded.</summary>
public sealed class BackendCredentials(IBackendKeyProvider keys, IOptions<ProxyOptions> options)
{
    /// <summary>The first credential to try, and the fallback for <c>both</c> when the backend refuses the first.</summary>
    public async ValueTask<(string? Primary, string? Fallback)> SelectAsync(ClientContext client, CancellationToken cancellationToken)
    {
        var configured = await keys.GetKeyAsync(cancellationToken).ConfigureAwait(false);
        var inbound = client.CredentialIsProxyKey ? null : client.InboundCredential;
        return options.Value.AuthStyle switch
        {
            BackendAuthStyle.Header => (inbound, null),
            BackendAuthStyle.Env => (configured, null),
            BackendAuthStyle.Both => (configured ?? inbound, configured is not null && inbound is not null && inbound != configured ? inbound : null),
            _ => (configured ?? inbound, null),
        };
    }

    /// <summary>After the backend refused <paramref name="rejected"/>: the server's renewed key if its source now holds a
    /// different one (a rotated Key Vault secret), else null. A caller's own key is never renewed.</summary>
    public ValueTask<string?> RenewAfterRejectionAsync(string? rejected, CancellationToken cancellationToken)
        => rejected is null ? ValueTask.FromResult<string?>(null) : keys.RenewAfterRejectionAsync(rejected, cancellationToken);
}
