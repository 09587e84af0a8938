using System.Collections.Concurrent;
using FunctionsProxy.Errors;
using FunctionsProxy.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Team;

/// <summary>
/// Keys mode: the caller's <c>x-api-key</c> or bearer must be a live proxy key (401 otherwise, before any upstream
/// call), then its quotas apply (429). The proxy key is never forwarded: the backend gets the server's key.
/// </summary>
internal sealed class ProxyKeyAuthenticator(KeyLookupCache keys, QuotaGate quotas, IProxyKeyStore store, IOptions<TeamOptions> options,
    TimeProvider time, ILogger<ProxyKeyAuthenticator> logger, SecretScrubber? scrubber = null) : IClientAuthenticator
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastTouched = new(StringComparer.Ordinal);

    public async ValueTask<ClientAuthResult> AuthenticateAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var presented = InboundCredential.Read(context.Request);
        if (presented is null)
            return ClientAuthResult.Fail(ProxyError.Authentication("A proxy key is required: send it as x-api-key or Authorization: Bearer."));
        if (!ProxyKeys.TryParse(presented, out var id, out var secret))
            return Refused("malformed");
        var record = await keys.FindAsync(id, cancellationToken).ConfigureAwait(false);
        if (record is null || !ProxyKeys.Verify(secret, record.Salt, record.Hash))
            return Refused(record is null ? "unknown" : "mismatch");
        // Revoked records are kept for the admin lists; they authenticate nothing.
        if (record.IsRevoked)
            return Refused("revoked");
        // Only verified keys: an unverified string would let any caller choose words to blank out for everyone.
        scrubber?.RememberProxyKey(presented);

        if (await quotas.CheckAsync(record, cancellationToken).ConfigureAwait(false) is { } quota)
        {
            TeamLog.RefusedByQuota(logger, record.Name, quota.Message);
            return ClientAuthResult.Fail(quota);
        }
        TouchLastUsed(record);
        return ClientAuthResult.Success(new ClientContext { KeyName = record.Name, KeyId = record.KeyId, CredentialIsProxyKey = true });
    }

    private ClientAuthResult Refused(string reason)
    {
        TeamLog.Refused(logger, reason);
        return ClientAuthResult.Fail(ProxyError.Authentication("Invalid proxy key."));
    }

    // At most one write per key and interval, off the request path.
    private void TouchLastUsed(ProxyKeyRecord record)
    {
        var now = time.GetUtcNow();
        var interval = options.Value.LastUsedInterval;
        var last = _lastTouched.GetOrAdd(record.KeyId, DateTimeOffset.MinValue);
        if (now - last < interval || (record.LastUsedAt is { } stored && now - stored < interval)) return;
        if (!_lastTouched.TryUpdate(record.KeyId, now, last)) return;
        _ = Task.Run(async () =>
        {
            try { await store.TouchAsync(record, now, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception e) { TeamLog.LastUsedNotSaved(logger, record.Name, e.Message); }
        });
    }
}
