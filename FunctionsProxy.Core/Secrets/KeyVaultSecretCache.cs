using Azure;
using Azure.Security.KeyVault.Secrets;
using FunctionsProxy.Security;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Secrets;

/// <summary>
/// One Key Vault secret, read through <see cref="SecretClient"/> (managed identity in Azure) and cached: read once,
/// re-read after the refresh interval so a rotated secret is picked up without a restart, one read at a time, and
/// the last good value kept when the vault fails. Key Vault throttles at a few thousand reads per 10 s, so it is
/// never read per request. The value is never logged.
/// </summary>
/// <param name="scrubber">Learns each value read, so a Key Vault key is scrubbed from errors and logs like a configured one.</param>
public sealed class KeyVaultSecretCache(SecretClient client, string secretName, TimeSpan refreshInterval, TimeProvider time, ILogger logger,
    SecretScrubber? scrubber = null)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile string? _value;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public string SecretName => secretName;

    public async ValueTask<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (_value is { } cached && time.GetUtcNow() - _readAt < refreshInterval) return cached;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_value is { } fresh && time.GetUtcNow() - _readAt < refreshInterval) return fresh;
            try
            {
                var secret = await client.GetSecretAsync(secretName, cancellationToken: cancellationToken).ConfigureAwait(false);
                _value = string.IsNullOrEmpty(secret.Value.Value) ? null : secret.Value.Value;
                _readAt = time.GetUtcNow();
                scrubber?.Remember(_value);
            }
            catch (Exception e) when (e is RequestFailedException or Azure.Identity.AuthenticationFailedException or HttpRequestException)
            {
                var status = e is RequestFailedException r ? r.Status : 0;
                logger.LogWarning("Reading Key Vault secret {SecretName} failed (status {Status}, {Reason}); {Fallback}",
                    secretName, status, e.GetType().Name, _value is null ? "no value yet" : "keeping the last good value");
                // Try again soon rather than on every request.
                _readAt = time.GetUtcNow() - refreshInterval + TimeSpan.FromSeconds(Math.Min(30, refreshInterval.TotalSeconds));
            }
            return _value;
        }
        finally
        {
            _gate.Release();
        }
    }
}
