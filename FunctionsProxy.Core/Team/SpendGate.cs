using System.Collections.Concurrent;
using System.Globalization;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Errors;
using FunctionsProxy.Metering;
using FunctionsProxy.Pricing;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Team;

/// <summary>
/// Per-key budgets in USD per UTC day and per UTC calendar month. Spend is the usage rows' cost at the models' prices
/// (<see cref="ModelPrices"/>); usage of a model without a known price costs nothing here, since its cost is unknown.
/// Like tokens per day, a call is admitted while the spend is below the budget (the call that crosses it completes);
/// later calls get 429 with <c>retry-after</c> = seconds to UTC midnight (day) or to the first of the next month.
/// Today's total is read from the usage store at most once per <see cref="TeamOptions.UsageCacheTtl"/> per key and
/// instance (the month's earlier days once a day), plus this instance's own recorded calls in between.
/// </summary>
public sealed class SpendGate(IUsageStore usage, ModelPrices prices, IOptions<TeamOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Spend> _spend = new(StringComparer.Ordinal);

    public async ValueTask<ProxyError?> CheckAsync(ProxyKeyRecord key, CancellationToken cancellationToken)
    {
        if (key.UsdPerDay is null && key.UsdPerMonth is null) return null;
        var now = time.GetUtcNow();
        var spend = await SpendAsync(key.Name, now, cancellationToken).ConfigureAwait(false);
        var today = now.UtcDateTime.Date;
        if (key.UsdPerDay is { } perDay && spend.Day >= perDay)
            return ProxyError.RateLimited($"This proxy key has spent its {Usd(perDay)} USD for today (UTC).", Seconds(today.AddDays(1), now));
        if (key.UsdPerMonth is { } perMonth && spend.Month >= perMonth)
        {
            return ProxyError.RateLimited($"This proxy key has spent its {Usd(perMonth)} USD for this month (UTC).",
                Seconds(new DateTime(today.Year, today.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1), now));
        }

        return null;
    }

    /// <summary>Called by the recorder so this instance's own spend counts at once.</summary>
    public void OnRecorded(string keyName, string day, string model, UsageTotals record)
    {
        if (!_spend.TryGetValue(keyName, out var s) || s.DayKey != day) return;
        if (prices.Cost(model, record.InputTokens, record.OutputTokens, record.CacheReadInputTokens) is not { } cost) return;
        lock (s)
        {
            s.Day += cost;
            s.Month += cost;
        }
    }

    private async ValueTask<(decimal Day, decimal Month)> SpendAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var day = UsageRow.DayOf(now);
        _spend.TryGetValue(name, out var cached);
        if (cached is not null && cached.DayKey == day && cached.Expires > now)
            lock (cached) return (cached.Day, cached.Month);
        // The earlier days of the month are read once per day and key (one partition per day, up to 30): rows are
        // stamped with the day they are recorded on, so those days no longer change. Each refresh reads today only.
        var earlier = cached is not null && cached.DayKey == day ? cached.EarlierDays : (decimal?)null;
        var first = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var days = earlier is null ? Enumerable.Range(0, now.UtcDateTime.Day).Select(i => UsageRow.DayOf(first.AddDays(i))).ToList() : [day];
        var rows = await usage.QueryAsync(days, name, cancellationToken).ConfigureAwait(false);
        decimal dayTotal = 0, earlierTotal = 0;
        foreach (var r in rows)
        {
            if (prices.Cost(r.Model, r.InputTokens, r.OutputTokens, r.CacheReadInputTokens) is not { } cost) continue;
            if (r.Day == day) dayTotal += cost;
            else earlierTotal += cost;
        }
        var earlierDays = earlier ?? earlierTotal;
        _spend[name] = new Spend { DayKey = day, EarlierDays = earlierDays, Day = dayTotal, Month = earlierDays + dayTotal, Expires = now + options.Value.UsageCacheTtl };
        return (dayTotal, earlierDays + dayTotal);
    }

    private static string Usd(decimal v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Seconds(DateTime until, DateTimeOffset now) => QuotaGate.Seconds(new DateTimeOffset(until, TimeSpan.Zero) - now);

    private sealed class Spend
    {
        public required string DayKey;
        public decimal EarlierDays;
        public decimal Day;
        public decimal Month;
        public DateTimeOffset Expires;
    }
}
