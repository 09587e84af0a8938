using System.Collections.Concurrent;
using System.Globalization;
using FunctionsProxy.Errors;
using FunctionsProxy.Metering;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Team;

/// <summary>
/// Per-key quotas. Semantics:
/// <list type="bullet">
/// <item>Requests per minute: fixed UTC-minute windows. Every admitted-or-refused attempt counts; attempt N+1 in a
/// minute gets 429 with <c>retry-after</c> = seconds to the next minute. The count is shared through the store
/// (ETag-guarded row per key and minute). Fast path: keys without a limit touch no store, and once this instance
/// has seen the limit reached in a minute it refuses without asking the store (the shared count can only be higher).</item>
/// <item>Tokens per day: input + output tokens of the UTC day. A request is admitted while the day's total is below
/// the limit (the request that crosses it completes — its size is unknown in advance); later ones get 429 with
/// <c>retry-after</c> = seconds to UTC midnight. The total is read from the usage store at most once per
/// <see cref="TeamOptions.UsageCacheTtl"/> per key and instance, plus this instance's own recorded use in between,
/// so other instances' use is seen within that time.</item>
/// </list>
/// </summary>
public sealed class QuotaGate(IRequestCounter counter, IUsageStore usage, IOptions<TeamOptions> options, TimeProvider time, SpendGate? spend = null)
{
    /// <summary>Budgets in USD (null when no prices are wired, as in hand-built test instances).</summary>
    public SpendGate? Spend => spend;

    private readonly ConcurrentDictionary<string, (string Minute, long Count)> _localMinute = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DayTotal> _dayTotals = new(StringComparer.Ordinal);

    public async ValueTask<ProxyError?> CheckAsync(ProxyKeyRecord key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (key.TokensPerDay is { } tokenLimit)
        {
            var used = await TokensTodayAsync(key.Name, now, cancellationToken).ConfigureAwait(false);
            if (used >= tokenLimit)
            {
                var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
                return ProxyError.RateLimited($"This proxy key has used its {tokenLimit} tokens for today (UTC).", Seconds(midnight - now));
            }
        }
        if (spend is not null && await spend.CheckAsync(key, cancellationToken).ConfigureAwait(false) is { } overBudget) return overBudget;
        if (key.RequestsPerMinute is { } rpm)
        {
            var minute = now.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
            var nextMinute = new DateTimeOffset(now.UtcDateTime.Ticks - now.UtcDateTime.Ticks % TimeSpan.TicksPerMinute + TimeSpan.TicksPerMinute, TimeSpan.Zero);
            var refused = ProxyError.RateLimited($"This proxy key is limited to {rpm} requests per minute.", Seconds(nextMinute - now));
            if (_localMinute.TryGetValue(key.Name, out var local) && local.Minute == minute && local.Count >= rpm) return refused;
            var count = await counter.IncrementAsync(key.Name, minute, cancellationToken).ConfigureAwait(false);
            _localMinute[key.Name] = (minute, count);
            if (count > rpm) return refused;
        }
        return null;
    }

    /// <summary>Called by the recorder so this instance's own use counts at once.</summary>
    public void OnRecorded(string keyName, string day, long tokens)
    {
        if (_dayTotals.TryGetValue(keyName, out var total) && total.Day == day) Interlocked.Add(ref total.Tokens, tokens);
    }

    private async ValueTask<long> TokensTodayAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var day = UsageRow.DayOf(now);
        if (_dayTotals.TryGetValue(name, out var cached) && cached.Day == day && cached.Expires > now) return Volatile.Read(ref cached.Tokens);
        var rows = await usage.QueryAsync([day], name, cancellationToken).ConfigureAwait(false);
        var sum = rows.Sum(r => r.InputTokens + r.OutputTokens);
        _dayTotals[name] = new DayTotal { Day = day, Tokens = sum, Expires = now + options.Value.UsageCacheTtl };
        return sum;
    }

    /// <summary>A <c>retry-after</c> value: whole seconds, at least 1.</summary>
    internal static string Seconds(TimeSpan span) => Math.Max(1, (long)Math.Ceiling(span.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private sealed class DayTotal
    {
        public required string Day;
        public long Tokens;
        public DateTimeOffset Expires;
    }
}
