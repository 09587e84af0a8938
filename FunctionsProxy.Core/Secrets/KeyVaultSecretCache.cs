using Azure;
using Azure.Security.KeyVault.Secrets;
using FunctionsProxy.Security;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Secrets;

/// <summary>
/// One Key Vault secret, read through <see cref="SecretClient"/> (managed identity in Azure) and cached: read once,
/// re-read after the refresh interval so a rotated secret is picked up without a restart, one read at a time, and
/// the last good value kept when the vault fails. Key Vault throttles at a few thousand reads per 10 s, so it is
/// never read per request. The value is never logged. When the backend refuses the cached value, it is re-read at once
/// (at most every <see cref="RejectionRereadInterval"/>): rotating a key at the backend and in the vault then costs one
/// refused call per instance instead of a refresh interval of refusals.
/// </summary>
/// <param name="scrubber">Learns each value read, so a Key Vault key is scrubbed from errors and logs like a configured one.</param>
public sealed class KeyVaultSecretCache(SecretClient client, string secretName, TimeSpan refreshInterval, TimeProvider time, ILogger logger,
    SecretScrubber? scrubber = null)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile string? _value;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;
    private DateTimeOffset _rejectionReadAt = DateTimeOffset.MinValue;
    private string? _replaced;

    /// <summary>How often a refused value may trigger a read (a wrong key in the vault must not hammer it).</summary>
    public static readonly TimeSpan RejectionRereadInterval = TimeSpan.FromSeconds(15);

    public string SecretName => secretName;

    public async ValueTask<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (_value is { } cached && time.GetUtcNow() - _readAt < refreshInterval) return cached;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_value is { } fresh && time.GetUtcNow() - _readAt < refreshInterval) return fresh;
            await ReadAsync(cancellationToken).ConfigureAwait(false);
            return _value;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The backend refused <paramref name="rejected"/>: re-reads the secret (unless another caller already
    /// did, or one did within <see cref="RejectionRereadInterval"/>) and returns the new value if it differs, else null.</summary>
    public async ValueTask<string?> RereadAfterRejectionAsync(string rejected, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Only this secret's own values count: a caller's key refused by the backend is not renewed from the vault.
            if (rejected == _replaced && _value is not null && _value != rejected) return _value; // renewed by another call
            if (_value != rejected) return null;
            var now = time.GetUtcNow();
            if (now - _rejectionReadAt < RejectionRereadInterval) return null;
            _rejectionReadAt = now;
            await ReadAsync(cancellationToken).ConfigureAwait(false);
            return _value is { } renewed && renewed != rejected ? renewed : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var secret = await client.GetSecretAsync(secretName, cancellationToken: cancellationToken).ConfigureAwait(false);
            var read = string.IsNullOrEmpty(secret.Value.Value) ? null : secret.Value.Value;
            if (read != _value) _replaced = _value;
            _value = read;
            _readAt = time.GetUtcNow();
            scrubber?.Remember(_value);
        }
        catch (Exception e) when (e is RequestFailedException or Azure.Identity.AuthenticationFailedException or HttpRequestException)
        {
            var status = e is RequestFailedException r ? r.Status : 0;
            SecretsLog.ReadFailed(logger, secretName, status, e.GetType().Name, _value is null ? "no value yet" : "keeping the last good value");
            // Try again soon rather than on every request.
            _readAt = time.GetUtcNow() - refreshInterval + TimeSpan.FromSeconds(Math.Min(30, refreshInterval.TotalSeconds));
        }
    }
}
