using FunctionsProxy.Anthropic;
using FunctionsProxy.Errors;
using FunctionsProxy.Team;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FunctionsProxy.Tests.Team;

/// <summary>Create, authenticate, revoke, rotate on both stores; two instances share one store (Azurite or one file).</summary>
public sealed class KeyLifecycleTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 10, 0, 30, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private (TeamInstance A, TeamInstance B) TwoInstances(string store, TimeSpan ttl)
    {
        if (store == "table")
        {
            var storage = Azurite.Storage();
            var keys = Azurite.UniqueTable("keys");
            var usage = Azurite.UniqueTable("usage");
            return (TeamInstance.OnTables(storage, keys, usage, _time, new TeamOptions { KeyCacheTtl = ttl }),
                    TeamInstance.OnTables(storage, keys, usage, _time, new TeamOptions { KeyCacheTtl = ttl }));
        }
        var file = _dir.File("keys.json");
        return (TeamInstance.OnFile(file, _time, new TeamOptions { KeyCacheTtl = ttl }), TeamInstance.OnFile(file, _time, new TeamOptions { KeyCacheTtl = ttl }));
    }

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task A_created_key_authenticates_on_another_instance_by_x_api_key_and_bearer(string store)
    {
        var (a, b) = TwoInstances(store, TimeSpan.FromSeconds(5));
        var created = await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, null), default);
        Assert.Null(created.Error);
        var key = created.Value!.Key;

        var viaHeader = await b.AuthenticateAsync(key);
        Assert.Null(viaHeader.Error);
        Assert.Equal("alice", viaHeader.Client!.KeyName);
        Assert.True(viaHeader.Client.CredentialIsProxyKey);
        Assert.Null(viaHeader.Client.InboundCredential);
        Assert.Equal(created.Value.Prefix, ProxyKeys.DisplayPrefix(viaHeader.Client.KeyId!));
        Assert.Null((await b.AuthenticateAsync(key, bearer: true)).Error);

        var stored = (await b.Keys.ListAsync(default)).Single();
        Assert.Equal("alice", stored.Name);
        Assert.DoesNotContain(key[16..], stored.Hash + stored.Salt);
    }

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task Wrong_missing_and_unknown_keys_get_401_authentication_error(string store)
    {
        var (a, b) = TwoInstances(store, TimeSpan.FromSeconds(5));
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, null), default)).Value!.Key;
        var tampered = key[..^1] + (key[^1] == 'x' ? 'y' : 'x');
        var unknown = ProxyKeys.Create().Key;

        foreach (var presented in new[] { null, "", "sk-not-a-proxy-key", tampered, unknown })
        {
            var result = await b.AuthenticateAsync(presented);
            Assert.Null(result.Client);
            Assert.Equal(401, result.Error!.Status);
            Assert.Equal(ErrorTypes.Authentication, result.Error.Type);
            Assert.DoesNotContain("fpk_", result.Error.Message);
        }
    }

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task A_revoked_key_is_refused_by_another_instance_once_its_cache_ttl_has_passed(string store)
    {
        var (a, b) = TwoInstances(store, TimeSpan.FromSeconds(3));
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, null), default)).Value!.Key;
        Assert.Null((await b.AuthenticateAsync(key)).Error); // b caches the hit

        Assert.Null((await a.Manager.RevokeAsync("alice", default)).Error);
        Assert.Equal(401, (await a.AuthenticateAsync(key)).Error!.Status); // the revoking instance refuses at once

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null((await b.AuthenticateAsync(key)).Error); // within b's TTL: the documented staleness bound
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.Equal(401, (await b.AuthenticateAsync(key)).Error!.Status);
        // The record stays (revocation used to delete it: the list was empty and a second revoke answered 404).
        var listed = Assert.Single(await b.Manager.ListAsync(default));
        Assert.Equal(("alice", true, new DateTimeOffset(2026, 11, 25, 10, 0, 30, TimeSpan.Zero)), (listed.Name, listed.Revoked, listed.RevokedAt!.Value));
        var again = await b.Manager.RevokeAsync("alice", default);
        Assert.Equal((409, "the key 'alice' is already revoked."), (again.Status, again.Error));
    }

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task A_revoked_key_stays_listed_with_its_limits_and_usage_and_cannot_be_rotated_or_changed(string store)
    {
        var (a, b) = TwoInstances(store, TimeSpan.FromSeconds(3));
        var created = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", 7, 1000, 2m, null), default)).Value!;
        Assert.Null((await a.Manager.CreateAsync(new CreateKeyRequest("bob", null, null), default)).Error);
        var client = (await a.AuthenticateAsync(created.Key)).Client!;
        await a.Recorder.RecordAsync(client, "org/m", new UsageTotals(100, 20, 0), default);
        var firstUse = _time.GetUtcNow();
        Assert.Equal(firstUse, await WaitForLastUsedAsync(a, firstUse, "alice"));

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null((await a.Manager.RevokeAsync("alice", default)).Error);
        var revokedAt = _time.GetUtcNow();

        // Another instance (a reloaded console, `keys list`) still shows the key, marked revoked with when.
        var keys = await b.Manager.ListAsync(default);
        Assert.Equal(
            [new KeyInfo("alice", created.Prefix, created.CreatedAt, firstUse, 7, 1000, 2m, null, Revoked: true, RevokedAt: revokedAt),
             new KeyInfo("bob", keys[1].Prefix, created.CreatedAt, null, null, null, null, null, Revoked: false, RevokedAt: null)],
            keys);

        var rotate = await b.Manager.RotateAsync("alice", default);
        Assert.Equal((409, "the key 'alice' was revoked on 2026-11-25 10:05:30 UTC; create a new key with that name instead."), (rotate.Status, rotate.Error));
        var limits = await b.Manager.SetLimitsAsync("alice", new KeyLimits(null, null, null, null), default);
        Assert.Equal(409, limits.Status);
        Assert.Equal(7, (await b.Manager.ListAsync(default))[0].RequestsPerMinute);

        // Refused like an unknown key, by the other instance once its cache has expired.
        _time.Advance(TimeSpan.FromSeconds(4));
        var refused = await b.AuthenticateAsync(created.Key);
        Assert.Equal((401, ErrorTypes.Authentication, "Invalid proxy key."), (refused.Error!.Status, refused.Error.Type, refused.Error.Message));

        // Usage rows of the revoked key stay.
        var usage = (await b.Manager.UsageAsync("alice", 1, default)).Value!;
        Assert.Equal([("alice", "org/m", 1L, 100L, 20L)], usage.Select(r => (r.KeyName, r.Model, r.Requests, r.InputTokens, r.OutputTokens)).ToArray());
    }

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task Creating_a_key_with_the_name_of_a_revoked_one_replaces_it(string store)
    {
        var (a, b) = TwoInstances(store, TimeSpan.FromSeconds(3));
        var old = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", 7, null), default)).Value!;
        Assert.Null((await a.Manager.RevokeAsync("alice", default)).Error);
        _time.Advance(TimeSpan.FromMinutes(1));

        var created = await b.Manager.CreateAsync(new CreateKeyRequest("alice", null, 500), default);
        Assert.Null(created.Error);
        Assert.NotEqual(old.Prefix, created.Value!.Prefix);
        // One entry under the name: the new live key with its own limits (the revoked record is gone).
        var listed = Assert.Single(await a.Manager.ListAsync(default));
        Assert.Equal(new KeyInfo("alice", created.Value.Prefix, _time.GetUtcNow(), null, null, 500), listed);

        Assert.Null((await a.AuthenticateAsync(created.Value.Key)).Error);
        Assert.Equal(401, (await a.AuthenticateAsync(old.Key)).Error!.Status);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(401, (await b.AuthenticateAsync(old.Key)).Error!.Status);
        Assert.Null((await b.AuthenticateAsync(created.Value.Key)).Error);
        // A live key is still never replaced by create.
        Assert.Equal(409, (await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, null), default)).Status);
    }

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task Rotation_issues_a_new_key_and_the_old_one_stops_working(string store)
    {
        var (a, b) = TwoInstances(store, TimeSpan.FromSeconds(3));
        var old = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", 7, 1000), default)).Value!;
        Assert.Null((await b.AuthenticateAsync(old.Key)).Error);

        var rotated = await a.Manager.RotateAsync("alice", default);
        Assert.Null(rotated.Error);
        Assert.NotEqual(old.Key, rotated.Value!.Key);
        Assert.Equal(7, rotated.Value.RequestsPerMinute);
        Assert.Equal(1000, rotated.Value.TokensPerDay);
        Assert.Null((await b.AuthenticateAsync(rotated.Value.Key)).Error); // new id: never cached, works at once

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(401, (await b.AuthenticateAsync(old.Key)).Error!.Status);
        Assert.Null((await b.AuthenticateAsync(rotated.Value.Key)).Error);
        var listed = Assert.Single(await b.Manager.ListAsync(default));
        Assert.Equal(rotated.Value.Prefix, listed.Prefix);
    }

    [Theory]
    [InlineData("table")]
    [InlineData("file")]
    public async Task Names_are_unique_and_validated(string store)
    {
        var (a, _) = TwoInstances(store, TimeSpan.FromSeconds(3));
        Assert.Null((await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, null), default)).Error);
        Assert.Equal(409, (await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, null), default)).Status);
        Assert.Equal(400, (await a.Manager.CreateAsync(new CreateKeyRequest("al/ice", null, null), default)).Status);
        Assert.Equal(400, (await a.Manager.CreateAsync(new CreateKeyRequest("bob", 0, null), default)).Status);
        Assert.Equal(404, (await a.Manager.RotateAsync("nobody", default)).Status);
    }

    [Fact]
    public async Task Last_used_is_written_at_most_once_per_interval()
    {
        var (a, b) = TwoInstances("file", TimeSpan.Zero);
        var key = (await a.Manager.CreateAsync(new CreateKeyRequest("alice", null, null), default)).Value!.Key;
        var first = _time.GetUtcNow();
        Assert.Null((await b.AuthenticateAsync(key)).Error);
        var stored = await WaitForLastUsedAsync(a, first);
        Assert.Equal(first, stored);

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Null((await b.AuthenticateAsync(key)).Error);
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null((await b.AuthenticateAsync(key)).Error);
        Assert.Equal(_time.GetUtcNow(), await WaitForLastUsedAsync(a, _time.GetUtcNow()));
    }

    private static async Task<DateTimeOffset?> WaitForLastUsedAsync(TeamInstance instance, DateTimeOffset expected, string? name = null)
    {
        // The write is fire-and-forget; poll the store (bounded) rather than assert on timing.
        async Task<DateTimeOffset?> Read() => (await instance.Manager.ListAsync(default)).Single(k => name is null || k.Name == name).LastUsedAt;
        for (var i = 0; i < 200; i++)
        {
            var last = await Read();
            if (last == expected) return last;
            await Task.Delay(25);
        }
        return await Read();
    }
}
