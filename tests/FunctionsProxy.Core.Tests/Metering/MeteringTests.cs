using FunctionsProxy.Anthropic;
using FunctionsProxy.Security;
using FunctionsProxy.Team;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Tests.Team;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FunctionsProxy.Tests.Metering;

/// <summary>Usage totals stay exact when many calls finish at once on several instances.</summary>
public sealed class MeteringTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 23, 59, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private static ClientContext Client(string name) => new() { KeyName = name, KeyId = "id" + name, CredentialIsProxyKey = true };

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task Forty_parallel_records_on_two_instances_sum_exactly(string store)
    {
        TeamInstance a, b;
        if (store == "table")
        {
            var storage = Azurite.Storage();
            var usage = Azurite.UniqueTable("usage");
            var keys = Azurite.UniqueTable("keys");
            a = TeamInstance.OnTables(storage, keys, usage, _time);
            b = TeamInstance.OnTables(storage, keys, usage, _time);
        }
        else
        {
            a = TeamInstance.OnFile(_dir.File("k.json"), _time);
            b = TeamInstance.OnFile(_dir.File("k.json"), _time);
        }

        // 40 calls of alice on org/model-A (i = 1..40), split over both instances, plus 10 of bob on another model.
        var calls = Enumerable.Range(1, 40).Select(i => (i % 2 == 0 ? a : b).Recorder.RecordAsync(Client("alice"), "org/model-A", new UsageTotals(100 + i, i, i % 3), default).AsTask())
            .Concat(Enumerable.Range(1, 10).Select(i => (i % 2 == 0 ? b : a).Recorder.RecordAsync(Client("bob"), "other/Model:B", new UsageTotals(7, 3, 1), default).AsTask()));
        await Task.WhenAll(calls);

        var rows = (await a.Manager.UsageAsync(null, 1, default)).Value!;
        Assert.Equal(2, rows.Count);
        var alice = rows.Single(r => r.KeyName == "alice");
        Assert.Equal("2026-11-25", alice.Day);
        Assert.Equal("org/model-A", alice.Model);
        Assert.Equal(40, alice.Requests);
        Assert.Equal(40 * 100 + 820, alice.InputTokens);        // Σ(100+i), i=1..40
        Assert.Equal(820, alice.OutputTokens);                  // Σi
        Assert.Equal(Enumerable.Range(1, 40).Sum(i => i % 3), alice.CacheReadInputTokens);
        var bob = rows.Single(r => r.KeyName == "bob");
        Assert.Equal(("other/Model:B", 10L, 70L, 30L, 10L), (bob.Model, bob.Requests, bob.InputTokens, bob.OutputTokens, bob.CacheReadInputTokens));

        var onlyBob = (await b.Manager.UsageAsync("bob", 1, default)).Value!;
        Assert.Equal("bob", Assert.Single(onlyBob).KeyName);
    }

    [Fact]
    public async Task Usage_is_kept_per_utc_day_and_read_back_over_several_days()
    {
        var storage = Azurite.Storage();
        var instance = TeamInstance.OnTables(storage, Azurite.UniqueTable("keys"), Azurite.UniqueTable("usage"), _time);
        await instance.Recorder.RecordAsync(Client("alice"), "m", new UsageTotals(10, 1, 0), default);
        _time.Advance(TimeSpan.FromMinutes(2)); // past UTC midnight
        await instance.Recorder.RecordAsync(Client("alice"), "m", new UsageTotals(20, 2, 0), default);
        await instance.Recorder.RecordAsync(new ClientContext(), "m", new UsageTotals(5, 5, 0), default);

        var today = (await instance.Manager.UsageAsync("alice", 1, default)).Value!;
        Assert.Equal(("2026-11-26", 1L, 20L), (Assert.Single(today).Day, today[0].Requests, today[0].InputTokens));
        var two = (await instance.Manager.UsageAsync("alice", 2, default)).Value!;
        Assert.Equal(["2026-11-26", "2026-11-25"], two.Select(r => r.Day).ToArray());
        var anonymous = (await instance.Manager.UsageAsync(TeamUsageRecorder.Anonymous, 1, default)).Value!;
        Assert.Equal(5, Assert.Single(anonymous).OutputTokens);
        Assert.Equal(400, (await instance.Manager.UsageAsync(null, 0, default)).Status);
    }
}
