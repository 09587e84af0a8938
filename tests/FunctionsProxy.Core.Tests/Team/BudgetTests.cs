using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Errors;
using FunctionsProxy.Metering;
using FunctionsProxy.Pricing;
using FunctionsProxy.Security;
using FunctionsProxy.Team;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FunctionsProxy.Tests.Team;

/// <summary>USD budgets per UTC day and month: exact boundaries, retry-after, day and month rollover, shared store.</summary>
public sealed class BudgetTests : IDisposable
{
    // 10 USD per 1M input and output tokens: 100,000 tokens cost exactly 1 USD.
    private static readonly ModelPrices Prices = new([new ModelPriceRule("org/priced", new ModelPrice(10m, 10m, 1m))]);
    private readonly TempDir _dir = new();
    // FakeTimeProvider only moves forward: the clock starts early and each test sets the time it needs.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private sealed record Instance(KeyManager Manager, TeamUsageRecorder Recorder, ProxyKeyAuthenticator Authenticator);

    private Instance Team(IProxyKeyStore keys, IUsageStore usage)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new TeamOptions { UsageCacheTtl = TimeSpan.FromSeconds(5) });
        var cache = new KeyLookupCache(keys, options, _time);
        var quotas = new QuotaGate(new MemoryRequestCounter(), usage, options, _time, new SpendGate(usage, Prices, options, _time));
        return new Instance(
            new KeyManager(keys, usage, cache, _time, NullLogger<KeyManager>.Instance, Prices),
            new TeamUsageRecorder(usage, quotas, _time, NullLogger<TeamUsageRecorder>.Instance),
            new ProxyKeyAuthenticator(cache, quotas, keys, options, _time, NullLogger<ProxyKeyAuthenticator>.Instance));
    }

    private Instance OnFile() => Team(new FileProxyKeyStore(_dir.File("keys.json")), new FileUsageStore(_dir.File("keys.usage.json")));

    private static async Task<ClientAuthResult> Auth(Instance team, string key)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Headers["x-api-key"] = key;
        return await team.Authenticator.AuthenticateAsync(context, default);
    }

    private static void AssertOverBudget(ClientAuthResult result, string retryAfter, string period)
    {
        Assert.Equal(429, result.Error!.Status);
        Assert.Equal(ErrorTypes.RateLimit, result.Error.Type);
        Assert.Equal(retryAfter, result.Error.RetryAfter);
        Assert.Contains(period, result.Error.Message);
    }

    [Fact]
    public async Task A_daily_budget_admits_calls_while_spend_is_below_it_and_refuses_until_utc_midnight()
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 1, 31, 23, 59, 30, TimeSpan.Zero));
        var team = OnFile();
        var key = (await team.Manager.CreateAsync(new CreateKeyRequest("alice", null, null, UsdPerDay: 2m), default)).Value!.Key;
        var client = (await Auth(team, key)).Client!;

        await team.Recorder.RecordAsync(client, "org/priced", new UsageTotals(150_000, 49_999, 0), default); // 1.99999 USD
        Assert.Null((await Auth(team, key)).Error);                                                          // below 2: admitted
        await team.Recorder.RecordAsync(client, "org/priced", new UsageTotals(0, 1, 0), default);             // exactly 2.00000
        AssertOverBudget(await Auth(team, key), "30", "today");                                              // 23:59:30 → midnight

        // Unpriced usage costs nothing here (its cost is unknown, never guessed).
        _time.Advance(TimeSpan.FromSeconds(30)); // 2026-02-01 00:00:00: a new UTC day (and month)
        await team.Recorder.RecordAsync((await Auth(team, key)).Client!, "org/unpriced", new UsageTotals(10_000_000, 10_000_000, 0), default);
        Assert.Null((await Auth(team, key)).Error);
    }

    [Fact]
    public async Task A_monthly_budget_spans_the_utc_month_and_resets_on_the_first()
    {
        var team = OnFile();
        _time.SetUtcNow(new DateTimeOffset(2026, 1, 10, 12, 0, 0, TimeSpan.Zero));
        var key = (await team.Manager.CreateAsync(new CreateKeyRequest("bob", null, null, UsdPerDay: 5m, UsdPerMonth: 3m), default)).Value!.Key;
        var client = (await Auth(team, key)).Client!;
        await team.Recorder.RecordAsync(client, "org/priced", new UsageTotals(100_000, 0, 0), default);           // 1 USD on Jan 10
        _time.SetUtcNow(new DateTimeOffset(2026, 1, 20, 8, 0, 0, TimeSpan.Zero));
        await team.Recorder.RecordAsync((await Auth(team, key)).Client!, "org/priced", new UsageTotals(0, 150_000, 1_000_000), default); // 1.5 + 1 = 2.5 USD
        // Jan total 3.5 ≥ 3 (this instance counts its own calls at once): refused until February 1st, 00:00 UTC.
        AssertOverBudget(await Auth(team, key), ((long)(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero) - _time.GetUtcNow()).TotalSeconds).ToString(), "this month");

        _time.SetUtcNow(new DateTimeOffset(2026, 2, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Null((await Auth(team, key)).Error);
        var usage = (await team.Manager.UsageAsync("bob", 31, default)).Value!;
        Assert.Equal([2.5m, 1m], usage.Select(r => r.CostUsd!.Value).ToArray()); // Jan 20, Jan 10 (newest first)
    }

    [Fact]
    public async Task Budgets_are_shared_through_table_storage_and_set_through_the_manager()
    {
        var storage = Azurite.Storage();
        var keysTable = Azurite.UniqueTable("keys");
        var usageTable = Azurite.UniqueTable("usage");
        var a = Team(new TableProxyKeyStore(storage, keysTable), new TableUsageStore(storage, usageTable));
        var b = Team(new TableProxyKeyStore(storage, keysTable), new TableUsageStore(storage, usageTable));
        _time.SetUtcNow(new DateTimeOffset(2026, 3, 3, 9, 0, 0, TimeSpan.Zero));
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("carol", 100, null), default)).Value!.Key;

        var set = await a.Manager.SetLimitsAsync("carol", new KeyLimits(null, null, 1m, null), default);
        Assert.Equal(new KeyInfo("carol", key[..16], _time.GetUtcNow(), null, null, null, 1m, null), set.Value);
        Assert.Equal(set.Value, Assert.Single(await b.Manager.ListAsync(default))); // rpm cleared, budget stored

        await a.Recorder.RecordAsync((await Auth(a, key)).Client!, "org/priced", new UsageTotals(100_000, 0, 0), default); // 1 USD through a
        AssertOverBudget(await Auth(b, key), "54000", "today"); // b reads the shared total: 09:00 → midnight

        Assert.Equal(400, (await a.Manager.SetLimitsAsync("carol", new KeyLimits(null, null, 0m, null), default)).Status);
        Assert.Equal(404, (await a.Manager.SetLimitsAsync("nobody", new KeyLimits(null, null, 1m, null), default)).Status);
        Assert.Null((await a.Manager.SetLimitsAsync("carol", new KeyLimits(null, null, null, null), default)).Error);
        _time.Advance(TimeSpan.FromSeconds(6)); // b's cached key record and totals expire
        Assert.Null((await Auth(b, key)).Error);
    }
}
