using FunctionsProxy.Metering;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Team;

/// <summary>Key listing as shown to admins: never the key or its hash. Revoked keys are listed too, with when.</summary>
public sealed record KeyInfo(string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, long? RequestsPerMinute, long? TokensPerDay,
    decimal? UsdPerDay = null, decimal? UsdPerMonth = null, bool Revoked = false, DateTimeOffset? RevokedAt = null);

/// <summary>A newly issued key: the only time <see cref="Key"/> is ever shown.</summary>
public sealed record CreatedKey(string Name, string Key, string Prefix, DateTimeOffset CreatedAt, long? RequestsPerMinute, long? TokensPerDay,
    decimal? UsdPerDay = null, decimal? UsdPerMonth = null);

public sealed record CreateKeyRequest(string? Name, long? RequestsPerMinute, long? TokensPerDay, decimal? UsdPerDay = null, decimal? UsdPerMonth = null);

/// <summary>A key's complete set of limits (absent or null = unlimited), as set by <c>PUT /_admin/keys/{name}/limits</c>.</summary>
public sealed record KeyLimits(long? RequestsPerMinute, long? TokensPerDay, decimal? UsdPerDay, decimal? UsdPerMonth);

/// <summary>Outcome of an admin operation: a value, or an error with the HTTP status it maps to.</summary>
public readonly record struct TeamResult<T>(T? Value, int Status, string? Error)
{
    public static TeamResult<T> Ok(T value) => new(value, 200, null);
    public static TeamResult<T> Fail(int status, string error) => new(default, status, error);
}

/// <summary>Create, list, revoke, rotate and usage: the operations behind both the CLI and <c>/_admin</c>.</summary>
public sealed class KeyManager(IProxyKeyStore store, IUsageStore usage, KeyLookupCache cache, TimeProvider time, ILogger<KeyManager> logger,
    Pricing.ModelPrices? prices = null)
{
    public const string LimitsError = "limits must be positive: requests_per_minute and tokens_per_day integers, usd_per_day and usd_per_month USD amounts.";

    private static bool LimitsValid(long? rpm, long? tokens, decimal? usdDay, decimal? usdMonth)
        => rpm is null or > 0 && tokens is null or > 0 && usdDay is null or > 0 && usdMonth is null or > 0;

    public const int MaxUsageDays = 366;

    public async Task<TeamResult<CreatedKey>> CreateAsync(CreateKeyRequest request, CancellationToken cancellationToken)
    {
        if (!ProxyKeys.IsValidName(request.Name))
            return TeamResult<CreatedKey>.Fail(400, "name must be 1-64 characters: letters, digits, '.', '_' or '-'.");
        if (!LimitsValid(request.RequestsPerMinute, request.TokensPerDay, request.UsdPerDay, request.UsdPerMonth))
            return TeamResult<CreatedKey>.Fail(400, LimitsError);
        var (key, id, salt, hash) = ProxyKeys.Create();
        var record = new ProxyKeyRecord
        {
            Name = request.Name!,
            KeyId = id,
            Salt = salt,
            Hash = hash,
            CreatedAt = time.GetUtcNow(),
            RequestsPerMinute = request.RequestsPerMinute,
            TokensPerDay = request.TokensPerDay,
            UsdPerDay = request.UsdPerDay,
            UsdPerMonth = request.UsdPerMonth,
        };
        if (!await store.AddAsync(record, cancellationToken).ConfigureAwait(false))
        {
            // A revoked key keeps its name only for the record: a new key for the same person takes it over (its
            // usage rows stay under the name). A live key is never replaced by create: rotate is the way for that.
            var existing = await store.FindByNameAsync(record.Name, cancellationToken).ConfigureAwait(false);
            if (existing is not { IsRevoked: true })
                return TeamResult<CreatedKey>.Fail(409, $"a key named '{request.Name}' already exists (use rotate for a new key).");
            if (!await store.ReplaceAsync(existing, record, cancellationToken).ConfigureAwait(false))
                return TeamResult<CreatedKey>.Fail(409, $"the key '{request.Name}' changed meanwhile; try again.");
            cache.Invalidate(existing.KeyId);
            TeamLog.ReplacedRevoked(logger, record.Name, record.DisplayPrefix, existing.DisplayPrefix);
            return TeamResult<CreatedKey>.Ok(Created(record, key));
        }
        TeamLog.Created(logger, record.Name, record.DisplayPrefix);
        return TeamResult<CreatedKey>.Ok(Created(record, key));
    }

    public async Task<IReadOnlyList<KeyInfo>> ListAsync(CancellationToken cancellationToken)
        => (await store.ListAsync(cancellationToken).ConfigureAwait(false))
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .Select(Info)
            .ToList();

    /// <summary>Replaces the named key's limits (quotas and budgets). The key itself does not change.</summary>
    public async Task<TeamResult<KeyInfo>> SetLimitsAsync(string? name, KeyLimits limits, CancellationToken cancellationToken)
    {
        if (!ProxyKeys.IsValidName(name)) return TeamResult<KeyInfo>.Fail(400, "a valid key name is required.");
        if (!LimitsValid(limits.RequestsPerMinute, limits.TokensPerDay, limits.UsdPerDay, limits.UsdPerMonth)) return TeamResult<KeyInfo>.Fail(400, LimitsError);
        var current = await store.FindByNameAsync(name!, cancellationToken).ConfigureAwait(false);
        if (current is null) return TeamResult<KeyInfo>.Fail(404, $"no key named '{name}'.");
        if (current.IsRevoked) return TeamResult<KeyInfo>.Fail(409, RevokedError(current));
        var updated = current with
        {
            RequestsPerMinute = limits.RequestsPerMinute,
            TokensPerDay = limits.TokensPerDay,
            UsdPerDay = limits.UsdPerDay,
            UsdPerMonth = limits.UsdPerMonth,
        };
        if (!await store.UpdateAsync(updated, cancellationToken).ConfigureAwait(false))
            return TeamResult<KeyInfo>.Fail(409, $"the key '{name}' changed meanwhile; try again.");
        cache.Invalidate(current.KeyId);
        TeamLog.LimitsChanged(logger, name);
        return TeamResult<KeyInfo>.Ok(Info(updated));
    }

    private static KeyInfo Info(ProxyKeyRecord r)
        => new(r.Name, r.DisplayPrefix, r.CreatedAt, r.LastUsedAt, r.RequestsPerMinute, r.TokensPerDay, r.UsdPerDay, r.UsdPerMonth, r.IsRevoked, r.RevokedAt);

    private static string RevokedError(ProxyKeyRecord r)
        => $"the key '{r.Name}' was revoked on {r.RevokedAt!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)} UTC; "
            + "create a new key with that name instead.";

    private static CreatedKey Created(ProxyKeyRecord r, string key)
        => new(r.Name, key, r.DisplayPrefix, r.CreatedAt, r.RequestsPerMinute, r.TokensPerDay, r.UsdPerDay, r.UsdPerMonth);

    public async Task<TeamResult<bool>> RevokeAsync(string? name, CancellationToken cancellationToken)
    {
        if (!ProxyKeys.IsValidName(name)) return TeamResult<bool>.Fail(400, "a valid key name is required.");
        var current = await store.FindByNameAsync(name!, cancellationToken).ConfigureAwait(false);
        if (current is null) return TeamResult<bool>.Fail(404, $"no key named '{name}'.");
        if (current.IsRevoked) return TeamResult<bool>.Fail(409, $"the key '{name}' is already revoked.");
        // The record stays, marked revoked, so lists keep showing the key; lookups by its id now refuse it.
        if (!await store.RevokeAsync(current, time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            return TeamResult<bool>.Fail(409, $"the key '{name}' changed meanwhile; try again.");
        cache.Invalidate(current.KeyId);
        TeamLog.Revoked(logger, name);
        return TeamResult<bool>.Ok(true);
    }

    public async Task<TeamResult<CreatedKey>> RotateAsync(string? name, CancellationToken cancellationToken)
    {
        if (!ProxyKeys.IsValidName(name)) return TeamResult<CreatedKey>.Fail(400, "a valid key name is required.");
        var current = await store.FindByNameAsync(name!, cancellationToken).ConfigureAwait(false);
        if (current is null) return TeamResult<CreatedKey>.Fail(404, $"no key named '{name}'.");
        if (current.IsRevoked) return TeamResult<CreatedKey>.Fail(409, RevokedError(current));
        var (key, id, salt, hash) = ProxyKeys.Create();
        var replacement = current with { KeyId = id, Salt = salt, Hash = hash, CreatedAt = time.GetUtcNow(), LastUsedAt = null };
        if (!await store.ReplaceAsync(current, replacement, cancellationToken).ConfigureAwait(false))
            return TeamResult<CreatedKey>.Fail(409, $"the key '{name}' changed meanwhile; try again.");
        cache.Invalidate(current.KeyId);
        TeamLog.Rotated(logger, name, replacement.DisplayPrefix);
        return TeamResult<CreatedKey>.Ok(Created(replacement, key));
    }

    /// <summary>Usage rows of the last <paramref name="days"/> UTC days (today included), newest day first.</summary>
    public async Task<TeamResult<IReadOnlyList<UsageRow>>> UsageAsync(string? name, int days, CancellationToken cancellationToken)
    {
        if (name is not null && !ProxyKeys.IsValidName(name) && name != TeamUsageRecorder.Anonymous)
            return TeamResult<IReadOnlyList<UsageRow>>.Fail(400, "invalid key name.");
        if (days is < 1 or > MaxUsageDays) return TeamResult<IReadOnlyList<UsageRow>>.Fail(400, $"days must be between 1 and {MaxUsageDays}.");
        var today = time.GetUtcNow();
        var list = Enumerable.Range(0, days).Select(i => UsageRow.DayOf(today.AddDays(-i))).ToList();
        var rows = await usage.QueryAsync(list, name, cancellationToken).ConfigureAwait(false);
        var priced = prices ?? Pricing.ModelPrices.None;
        IReadOnlyList<UsageRow> ordered = rows.OrderByDescending(r => r.Day, StringComparer.Ordinal).ThenBy(r => r.KeyName, StringComparer.Ordinal).ThenBy(r => r.Model, StringComparer.Ordinal)
            .Select(r => r with { CostUsd = priced.Cost(r.Model, r.InputTokens, r.OutputTokens, r.CacheReadInputTokens) })
            .ToList();
        return TeamResult<IReadOnlyList<UsageRow>>.Ok(ordered);
    }
}
