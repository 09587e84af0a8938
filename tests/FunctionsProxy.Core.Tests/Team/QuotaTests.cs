using FunctionsProxy.Anthropic;
using FunctionsProxy.Errors;
using FunctionsProxy.Metering;
using FunctionsProxy.Security;
using FunctionsProxy.Team;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FunctionsProxy.Tests.Team;

/// <summary>Per-key quotas: exact boundaries, shared across instances through Table Storage.</summary>
public sealed class QuotaTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 10, 15, 42, TimeSpan.Zero));

    private (TeamInstance A, TeamInstance B) TwoInstances()
    {
        var storage = Azurite.Storage();
        var keys = Azurite.UniqueTable("keys");
        var usage = Azurite.UniqueTable("usage");
        var options = new TeamOptions { UsageCacheTtl = TimeSpan.FromSeconds(5) };
        return (TeamInstance.OnTables(storage, keys, usage, _time, options), TeamInstance.OnTables(storage, keys, usage, _time, options));
    }

    private static void AssertRateLimited(ClientAuthResult result, string retryAfter)
    {
        Assert.Null(result.Client);
        Assert.Equal(429, result.Error!.Status);
        Assert.Equal(ErrorTypes.RateLimit, result.Error.Type);
        Assert.Equal(retryAfter, result.Error.RetryAfter);
    }

    [Fact]
    public async Task Rpm_N_admits_N_requests_across_instances_and_refuses_the_next_until_the_minute_ends()
    {
        var (a, b) = TwoInstances();
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", 5, null), default)).Value!.Key;

        // 5 admitted, alternating instances: the count is shared, not per instance.
        for (var i = 0; i < 5; i++) Assert.Null((await (i % 2 == 0 ? a : b).AuthenticateAsync(key)).Error);
        AssertRateLimited(await a.AuthenticateAsync(key), "18"); // 10:15:42 → 10:16:00
        AssertRateLimited(await b.AuthenticateAsync(key), "18");

        _time.Advance(TimeSpan.FromSeconds(18)); // a new minute
        Assert.Null((await b.AuthenticateAsync(key)).Error);
    }

    [Fact]
    public async Task Per_minute_counter_rows_of_earlier_minutes_are_removed_and_usage_rows_stay()
    {
        var storage = Azurite.Storage();
        var keys = Azurite.UniqueTable("keys");
        var usageTable = Azurite.UniqueTable("usage");
        var a = TeamInstance.OnTables(storage, keys, usageTable, _time);
        var alice = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", 100, null), default)).Value!.Key;
        var bob = (await a.Manager.CreateAsync(new CreateKeyRequest("bob", 100, null), default)).Value!.Key;
        var aliceClient = (await a.AuthenticateAsync(alice)).Client!;
        await a.Recorder.RecordAsync(aliceClient, "m", new UsageTotals(10, 5, 0), default);
        Assert.Null((await a.AuthenticateAsync(bob)).Error);

        async Task<string[]> CounterRows()
        {
            var table = await storage.GetTableAsync(usageTable, default);
            var rows = new List<string>();
            await foreach (var e in table.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey.CompareTo("rpm-") >= 0 && e.PartitionKey.CompareTo("rpm.") < 0))
                rows.Add($"{e.PartitionKey}/{e.RowKey}={e.GetInt64("Count")}");
            return [.. rows.Order(StringComparer.Ordinal)];
        }
        Assert.Equal(["rpm-202611251015/alice=1", "rpm-202611251015/bob=1"], await CounterRows());

        _time.Advance(TimeSpan.FromMinutes(7)); // a gap of idle minutes, then alice again
        Assert.Null((await a.AuthenticateAsync(alice)).Error);
        Assert.Null((await a.AuthenticateAsync(alice)).Error);
        // alice's old minute is gone; bob has not called since, so his row waits for his next call.
        Assert.Equal(["rpm-202611251015/bob=1", "rpm-202611251022/alice=2"], await CounterRows());
        Assert.Equal(15, (await a.Usage.QueryAsync([UsageRow.DayOf(_time.GetUtcNow())], "alice", default)).Sum(r => r.InputTokens + r.OutputTokens));
    }

    [Fact]
    public async Task Parallel_requests_over_the_rpm_limit_admit_exactly_N()
    {
        var (a, b) = TwoInstances();
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", 7, null), default)).Value!.Key;
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).AuthenticateAsync(key)));
        Assert.Equal(7, results.Count(r => r.Error is null));
        Assert.All(results.Where(r => r.Error is not null), r => AssertRateLimited(r, "18"));
    }

    [Fact]
    public async Task Keys_without_limits_are_never_refused()
    {
        var (a, _) = TwoInstances();
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("bob", null, null), default)).Value!.Key;
        for (var i = 0; i < 30; i++) Assert.Null((await a.AuthenticateAsync(key)).Error);
    }

    [Fact]
    public async Task Tokens_per_day_refuses_once_the_days_total_reaches_the_limit_until_utc_midnight()
    {
        var (a, b) = TwoInstances();
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, 1000), default)).Value!.Key;
        var alice = (await a.AuthenticateAsync(key)).Client!;

        await a.Recorder.RecordAsync(alice, "m", new UsageTotals(600, 399, 100), default); // 999 < 1000
        Assert.Null((await a.AuthenticateAsync(key)).Error);
        Assert.Null((await b.AuthenticateAsync(key)).Error); // b reads 999 from the store and keeps it for its TTL
        await a.Recorder.RecordAsync(alice, "m", new UsageTotals(0, 1, 0), default);       // 1000 = limit
        var midnight = (long)(new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero) - _time.GetUtcNow()).TotalSeconds;
        AssertRateLimited(await a.AuthenticateAsync(key), midnight.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Instance b read the total before the last record; it sees it after its usage cache TTL.
        Assert.Null((await b.AuthenticateAsync(key)).Error);
        _time.Advance(TimeSpan.FromSeconds(6));
        AssertRateLimited(await b.AuthenticateAsync(key), (midnight - 6).ToString(System.Globalization.CultureInfo.InvariantCulture));

        _time.SetUtcNow(new DateTimeOffset(2026, 11, 26, 0, 0, 1, TimeSpan.Zero));
        Assert.Null((await a.AuthenticateAsync(key)).Error);
        Assert.Null((await b.AuthenticateAsync(key)).Error);
    }
}
