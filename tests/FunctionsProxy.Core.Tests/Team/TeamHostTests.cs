using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Team;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FunctionsProxy.Tests.Team;

/// <summary>Keys mode through the real local host over loopback, with the scripted upstream and Azurite.</summary>
public sealed class TeamHostTests
{
    private const string BackendKey = "sk-backend-SECRET-4242";
    private const string AdminKey = "admin-SECRET-9999";
    private const string Hi = """{"model":"org/model","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";
    private const string HiStream = """{"model":"org/model","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    private static Dictionary<string, string?> KeysMode(string? adminKey = AdminKey)
    {
        Azurite.Storage(); // fails clearly when Azurite is absent
        return new()
        {
            ["PROXY_AUTH"] = "keys",
            ["CHUTES_API_KEY"] = BackendKey,
            ["PROXY_ADMIN_KEY"] = adminKey,
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            ["PROXY_KEYS_TABLE"] = Azurite.UniqueTable("keys"),
            ["PROXY_USAGE_TABLE"] = Azurite.UniqueTable("usage"),
        };
    }

    private static HttpRequestMessage Admin(HttpMethod method, string path, string? key = AdminKey, string? json = null, bool bearer = false)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            if (bearer) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            else request.Headers.Add("x-api-key", key);
        }
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    private static async Task<(HttpStatusCode Status, string Body, string Headers)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, response.Headers.ToString() + response.Content.Headers);
    }

    [Fact]
    public async Task Missing_and_wrong_keys_get_401_and_the_upstream_is_never_called()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, KeysMode());
        var created = JsonNode.Parse((await SendAsync(proxy.Client, Admin(HttpMethod.Post, "/_admin/keys", json: """{"name":"alice"}"""))).Body)!;
        var key = created["key"]!.GetValue<string>();

        foreach (var presented in new string?[] { null, "sk-random", BackendKey, key[..^1] + (key[^1] == 'A' ? 'B' : 'A') })
        {
            using var response = await proxy.PostMessagesAsync(Hi, presented);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("error", error["type"]!.GetValue<string>());
            Assert.Equal("authentication_error", error["error"]!["type"]!.GetValue<string>());
        }
        Assert.Empty(upstream.ChatRequests); // the catalog may list models with the server key; no model call happens
    }

    [Fact]
    public async Task A_valid_key_reaches_the_backend_with_the_servers_key_and_streamed_usage_is_metered()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, KeysMode());
        var key = JsonNode.Parse((await SendAsync(proxy.Client, Admin(HttpMethod.Post, "/_admin/keys", json: """{"name":"alice"}"""))).Body)!["key"]!.GetValue<string>();

        upstream.Enqueue(Reply.Json(Chunks.Completion("ok", prompt: 12, completion: 5, cached: 2)));
        using (var response = await proxy.PostMessagesAsync(Hi, key))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("hel"), Chunks.Content("lo"), Chunks.Finish("stop"), Chunks.Usage(30, 7, 20), Chunks.Done));
        var bearer = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(HiStream, Encoding.UTF8, "application/json") };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using (var response = await proxy.Client.SendAsync(bearer))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(["Bearer " + BackendKey, "Bearer " + BackendKey], upstream.ChatRequests.Select(r => r.Header("authorization") ?? "<none>").ToArray());
        Assert.All(upstream.ChatRequests, r => Assert.DoesNotContain(key, string.Join("\n", r.Headers.Values) + r.Body));

        var usage = JsonNode.Parse((await SendAsync(proxy.Client, Admin(HttpMethod.Get, "/_admin/usage?name=alice&days=1"))).Body)!.AsArray();
        var row = Assert.Single(usage)!;
        Assert.Equal("alice", row["key_name"]!.GetValue<string>());
        Assert.Equal("org/model", row["model"]!.GetValue<string>());
        Assert.Equal(2, row["requests"]!.GetValue<long>());
        Assert.Equal(10 + 10, row["input_tokens"]!.GetValue<long>());   // (12-2) + (30-20): cached tokens are reported apart
        Assert.Equal(5 + 7, row["output_tokens"]!.GetValue<long>());
        Assert.Equal(2 + 20, row["cache_read_input_tokens"]!.GetValue<long>());
    }

    [Fact]
    public async Task Admin_endpoints_create_list_rotate_revoke_and_refuse_wrong_admin_keys()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 10, 15, 42, TimeSpan.Zero));
        await using var proxy = await ProxyServer.StartAsync(upstream, KeysMode(), b =>
        {
            b.Services.Configure<TeamOptions>(o => o.KeyCacheTtl = TimeSpan.Zero);
            b.Services.AddSingleton<TimeProvider>(time);
        });
        var c = proxy.Client;

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(c, Admin(HttpMethod.Get, "/_admin/keys", key: null))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(c, Admin(HttpMethod.Get, "/_admin/keys", key: AdminKey + "x"))).Status);

        var create = await SendAsync(c, Admin(HttpMethod.Post, "/_admin/keys", json: """{"name":"alice","requests_per_minute":2,"tokens_per_day":5000}""", bearer: true));
        Assert.Equal(HttpStatusCode.Created, create.Status);
        var created = JsonNode.Parse(create.Body)!;
        var key = created["key"]!.GetValue<string>();
        Assert.True(ProxyKeys.TryParse(key, out _, out _));
        Assert.Equal(key[..16], created["prefix"]!.GetValue<string>());
        Assert.Contains("no-store", create.Headers);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(c, Admin(HttpMethod.Post, "/_admin/keys", json: """{"name":"alice"}"""))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(c, Admin(HttpMethod.Post, "/_admin/keys", json: """{"name":"a/b"}"""))).Status);

        var list = await SendAsync(c, Admin(HttpMethod.Get, "/_admin/keys"));
        var entry = Assert.Single(JsonNode.Parse(list.Body)!.AsArray())!;
        Assert.Equal(("alice", 2L, 5000L), (entry["name"]!.GetValue<string>(), entry["requests_per_minute"]!.GetValue<long>(), entry["tokens_per_day"]!.GetValue<long>()));
        Assert.Null(entry["key"]);
        Assert.DoesNotContain(key[16..], list.Body);
        Assert.DoesNotContain("hash", list.Body);
        Assert.DoesNotContain("salt", list.Body);

        upstream.On("/v1/chat/completions", _ => Reply.Json(Chunks.Completion("ok")));
        Assert.Equal(HttpStatusCode.OK, (await proxy.PostMessagesAsync(Hi, key)).StatusCode);

        var rotate = await SendAsync(c, Admin(HttpMethod.Post, "/_admin/keys/alice/rotate"));
        Assert.Equal(HttpStatusCode.OK, rotate.Status);
        var rotated = JsonNode.Parse(rotate.Body)!["key"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.PostMessagesAsync(Hi, key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.PostMessagesAsync(Hi, rotated)).StatusCode);

        // rpm 2 (counted per name, so across the rotation; refused keys don't count): the third is refused.
        var upstreamCalls = upstream.ChatRequests.Count;
        using (var refused = await proxy.PostMessagesAsync(Hi, rotated))
        {
            Assert.Equal((HttpStatusCode)429, refused.StatusCode);
            Assert.Equal("18", refused.Headers.GetValues("retry-after").Single()); // 10:15:42 → 10:16:00
            Assert.Equal("rate_limit_error", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
        }
        Assert.Equal(upstreamCalls, upstream.ChatRequests.Count);
        time.Advance(TimeSpan.FromSeconds(18));
        Assert.Equal(HttpStatusCode.OK, (await proxy.PostMessagesAsync(Hi, rotated)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(c, Admin(HttpMethod.Delete, "/_admin/keys/alice"))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.PostMessagesAsync(Hi, rotated)).StatusCode);
        // Revoked keys stay listed (revocation used to delete the record: a second DELETE answered 404 and the list was []).
        var again = await SendAsync(c, Admin(HttpMethod.Delete, "/_admin/keys/alice"));
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        var againError = JsonNode.Parse(again.Body)!;
        Assert.Equal(("error", "invalid_request_error", "the key 'alice' is already revoked."),
            (againError["type"]!.GetValue<string>(), againError["error"]!["type"]!.GetValue<string>(), againError["error"]!["message"]!.GetValue<string>()));
        var revoked = Assert.Single(JsonNode.Parse((await SendAsync(c, Admin(HttpMethod.Get, "/_admin/keys"))).Body)!.AsArray())!;
        Assert.Equal(("alice", true, "2026-11-25T10:16:00+00:00"),
            (revoked["name"]!.GetValue<string>(), revoked["revoked"]!.GetValue<bool>(), revoked["revoked_at"]!.GetValue<string>()));
        var rotateRevoked = await SendAsync(c, Admin(HttpMethod.Post, "/_admin/keys/alice/rotate"));
        Assert.Equal(HttpStatusCode.Conflict, rotateRevoked.Status);
        Assert.Equal("the key 'alice' was revoked on 2026-11-25 10:16:00 UTC; create a new key with that name instead.",
            JsonNode.Parse(rotateRevoked.Body)!["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.PostMessagesAsync(Hi, rotated)).StatusCode);
    }

    [Fact]
    public async Task Without_an_admin_key_the_admin_routes_answer_404()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, KeysMode(adminKey: null));
        foreach (var presented in new[] { null, "", "anything" })
        {
            var (status, body, _) = await SendAsync(proxy.Client, Admin(HttpMethod.Get, "/_admin/keys", key: presented));
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("not_found_error", JsonNode.Parse(body)!["error"]!["type"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Keys_mode_without_a_backend_key_refuses_to_start_with_a_clear_message()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var settings = KeysMode();
        settings["CHUTES_API_KEY"] = "";
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => ProxyServer.StartAsync(upstream, settings));
        Assert.Contains("PROXY_AUTH=keys needs the server's own backend key: set CHUTES_API_KEY", e.Message);

        // A secret name without a vault to read it from supplies no key either.
        settings["CHUTES_API_KEY_SECRET_NAME"] = "chutes-api-key";
        e = await Assert.ThrowsAsync<OptionsValidationException>(() => ProxyServer.StartAsync(upstream, settings));
        Assert.Contains("PROXY_AUTH=keys needs the server's own backend key", e.Message);
    }

    [Fact]
    public async Task Keys_mode_with_only_a_vault_starts_as_env_auth_does_reading_the_default_secret()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var settings = KeysMode();
        settings["CHUTES_API_KEY"] = "";
        settings["KEYVAULT_URI"] = "https://127.0.0.1:9/"; // never reached: the test only starts the host
        await using var proxy = await ProxyServer.StartAsync(upstream, settings);
        Assert.Equal(ProxyAuthMode.Keys, proxy.Services.GetRequiredService<IOptions<TeamOptions>>().Value.Mode);
        Assert.IsType<FunctionsProxy.Secrets.KeyVaultBackendKeyProvider>(proxy.Services.GetRequiredService<FunctionsProxy.Upstream.IBackendKeyProvider>());
    }

    [Fact]
    public async Task Forward_mode_is_unchanged_and_the_default()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?> { ["PROXY_KEYS_FILE"] = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "k.json") });
        upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        using var response = await proxy.PostMessagesAsync(Hi, "K1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer K1", upstream.ChatRequests.Single().Header("authorization"));
        Assert.Equal(ProxyAuthMode.Forward, proxy.Services.GetRequiredService<IOptions<TeamOptions>>().Value.Mode);
    }

    [Fact]
    public async Task No_secret_appears_in_logs_or_responses_across_a_full_cycle()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var settings = KeysMode();
        settings["DEBUG_PROXY"] = "true";
        await using var proxy = await ProxyServer.StartAsync(upstream, settings, b =>
            b.Services.Configure<TeamOptions>(o => o.KeyCacheTtl = TimeSpan.Zero));
        var seen = new StringBuilder();
        async Task<string> Record(HttpResponseMessage r)
        {
            var body = await r.Content.ReadAsStringAsync();
            seen.Append(r.Headers).Append(r.Content.Headers).Append(body).Append('\n');
            r.Dispose();
            return body;
        }

        var key = JsonNode.Parse(await Record(await proxy.Client.SendAsync(Admin(HttpMethod.Post, "/_admin/keys", json: """{"name":"alice","requests_per_minute":100}"""))))!["key"]!.GetValue<string>();
        await Record(await proxy.PostMessagesAsync(Hi, null));                       // 401 missing
        await Record(await proxy.PostMessagesAsync(Hi, key[..^2] + "zz"));           // 401 wrong
        upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        await Record(await proxy.PostMessagesAsync(Hi, key));                        // 200
        upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("x"), Chunks.Finish("stop"), Chunks.Usage(3, 1), Chunks.Done));
        await Record(await proxy.PostMessagesAsync(HiStream, key));                  // 200 stream
        upstream.Enqueue(Reply.Json(401, """{"detail":"bad key"}"""));
        await Record(await proxy.PostMessagesAsync(Hi, key));                        // backend refuses
        await Record(await proxy.Client.SendAsync(Admin(HttpMethod.Get, "/_admin/keys")));
        await Record(await proxy.Client.SendAsync(Admin(HttpMethod.Get, "/_admin/usage?days=2")));
        var rotated = JsonNode.Parse(await Record(await proxy.Client.SendAsync(Admin(HttpMethod.Post, "/_admin/keys/alice/rotate"))))!["key"]!.GetValue<string>();
        await Record(await proxy.PostMessagesAsync(Hi, key));                        // 401 old key
        await Record(await proxy.Client.SendAsync(Admin(HttpMethod.Get, "/_admin/keys", key: "wrong-admin")));

        var logs = proxy.Logs.All;
        Assert.Contains("alice", logs); // structured key name is logged …
        foreach (var secret in new[] { BackendKey, AdminKey, key, key[16..], rotated[16..] })
            Assert.DoesNotContain(secret, logs); // … never a key
        var responses = seen.ToString();
        foreach (var secret in new[] { BackendKey, AdminKey })
            Assert.DoesNotContain(secret, responses);
        // Each proxy key appears exactly once in responses: in the answer that created it.
        Assert.Equal(1, Count(responses, key[16..]));
        Assert.Equal(1, Count(responses, rotated[16..]));
        var store = proxy.Services.GetRequiredService<IProxyKeyStore>();
        var hash = (await store.ListAsync(default)).Single().Hash;
        Assert.DoesNotContain(hash, logs + responses);
    }

    private static int Count(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
