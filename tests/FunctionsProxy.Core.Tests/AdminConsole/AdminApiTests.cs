using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.AdminConsole;
using FunctionsProxy.Local.Cli;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.AdminConsole;

/// <summary>The console's page and API calls over loopback: cost of real calls, budgets, status, the remote CLI.</summary>
public sealed class AdminApiTests
{
    private static HttpRequestMessage Admin(HttpMethod method, string path, string? json = null, string? key = ConsoleHost.AdminKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Add("x-api-key", key);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> Send(ProxyServer proxy, HttpRequestMessage request)
    {
        using var response = await proxy.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task The_page_exists_only_with_an_admin_key_and_is_served_with_a_strict_csp()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using (var without = await ProxyServer.StartAsync(upstream, ConsoleHost.Settings(adminKey: null)))
        {
            foreach (var path in new[] { "/_admin/", "/_admin", "/_admin/assets/console.js", "/_admin/status" })
            {
                using var r = await without.Client.GetAsync(path);
                Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
                Assert.Equal("not_found_error", JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!["type"]!.GetValue<string>());
            }
        }

        await using var proxy = await ProxyServer.StartAsync(upstream, ConsoleHost.Settings());
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = proxy.BaseAddress };
        using (var redirect = await noRedirects.GetAsync("/_admin"))
        {
            Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
            Assert.Equal("/_admin/", redirect.Headers.Location!.OriginalString);
        }
        using var page = await proxy.Client.GetAsync("/_admin/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Equal(AdminConsoleEndpoint.ContentSecurityPolicy, page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("script-src 'self';", AdminConsoleEndpoint.ContentSecurityPolicy);
        Assert.DoesNotContain("unsafe", AdminConsoleEndpoint.ContentSecurityPolicy);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html);          // no inline script: only <script src=…>
        Assert.DoesNotContain("style=", html);
        Assert.DoesNotContain("http", html.Replace("http-equiv", ""));   // nothing fetched from another origin
        foreach (var asset in new[] { "console.js", "console.css" })
        {
            using var r = await proxy.Client.GetAsync("/_admin/assets/" + asset);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var etag = r.Headers.ETag!;
            var again = new HttpRequestMessage(HttpMethod.Get, "/_admin/assets/" + asset);
            again.Headers.IfNoneMatch.Add(etag);
            using var notModified = await proxy.Client.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }
        using (var unknown = await proxy.Client.GetAsync("/_admin/assets/keys.json")) Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.InRange(AdminConsoleEndpoint.TotalBytes, 10_000, 60_000); // small and self-contained
        // The data calls still need the key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(proxy, Admin(HttpMethod.Get, "/_admin/status", key: "wrong"))).Status);
    }

    [Fact]
    public async Task Usage_after_real_calls_carries_cost_from_discovery_or_model_prices_and_null_when_unknown()
    {
        var (upstream, proxy) = await ConsoleHost.StartAsync();
        await using var upstreamScope = upstream;
        await using var proxyScope = proxy;
        var key = (await Send(proxy, Admin(HttpMethod.Post, "/_admin/keys", """{"name":"alice"}"""))).Body!["key"]!.GetValue<string>();
        // 1,000 prompt tokens of which 400 cached, 200 completion tokens per call.
        foreach (var model in new[] { "org/listed", "org/configured", "org/free" })
        {
            upstream.Enqueue(Reply.Json(Chunks.Completion("ok", prompt: 1000, completion: 200, cached: 400)));
            using var r = await proxy.PostMessagesAsync(ConsoleHost.Message(model), key);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        var rows = (await Send(proxy, Admin(HttpMethod.Get, "/_admin/usage?days=1"))).Body!.AsArray().ToDictionary(r => r!["model"]!.GetValue<string>());
        // Listing price wins over MODEL_PRICES: (600*2 + 200*8 + 400*0.5)/1e6.
        Assert.Equal(0.003m, rows["org/listed"]!["cost_usd"]!.GetValue<decimal>());
        Assert.Equal(0.0018m, rows["org/configured"]!["cost_usd"]!.GetValue<decimal>()); // (600*1 + 200*4 + 400*1)/1e6: cached at the input price
        Assert.True(rows["org/free"]!.AsObject().ContainsKey("cost_usd"));
        Assert.Null(rows["org/free"]!["cost_usd"]); // unknown price: null, never 0

        var status = (await Send(proxy, Admin(HttpMethod.Get, "/_admin/status"))).Body!;
        Assert.True(status["backend"]!["reachable"]!.GetValue<bool>());
        Assert.Equal(3, status["catalog"]!["models"]!.GetValue<int>());
        Assert.Equal("keys", status["auth_mode"]!.GetValue<string>());
        var models = status["models"]!.AsArray().ToDictionary(m => m!["id"]!.GetValue<string>());
        Assert.Equal("discovery", models["org/listed"]!["price_source"]!.GetValue<string>());
        Assert.Equal("MODEL_PRICES", models["org/configured"]!["price_source"]!.GetValue<string>());
        Assert.Null(models["org/free"]!["price_source"]);
        Assert.DoesNotContain(upstream.BaseUrl, status.ToJsonString());
        Assert.DoesNotContain(ConsoleHost.BackendKey, status.ToJsonString());
    }

    [Fact]
    public async Task A_budget_set_through_the_admin_api_refuses_calls_with_429_once_spent()
    {
        var (upstream, proxy) = await ConsoleHost.StartAsync();
        await using var upstreamScope = upstream;
        await using var proxyScope = proxy;
        var key = (await Send(proxy, Admin(HttpMethod.Post, "/_admin/keys", """{"name":"bob","usd_per_day":5}"""))).Body!["key"]!.GetValue<string>();
        var set = await Send(proxy, Admin(HttpMethod.Put, "/_admin/keys/bob/limits", """{"requests_per_minute":100,"usd_per_day":0.004}"""));
        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal(0.004m, set.Body!["usd_per_day"]!.GetValue<decimal>());
        Assert.False(set.Body.AsObject().ContainsKey("usd_per_month"));
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(proxy, Admin(HttpMethod.Put, "/_admin/keys/bob/limits", """{"usd_per_day":-1}"""))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(proxy, Admin(HttpMethod.Put, "/_admin/keys/bob/limits", """[]"""))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Send(proxy, Admin(HttpMethod.Put, "/_admin/keys/nobody/limits", """{}"""))).Status);

        for (var i = 0; i < 2; i++) // 0.003 USD each: the second call crosses 0.004 and completes
        {
            upstream.Enqueue(Reply.Json(Chunks.Completion("ok", prompt: 1000, completion: 200, cached: 400)));
            using var ok = await proxy.PostMessagesAsync(ConsoleHost.Message("org/listed"), key);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var refused = await proxy.PostMessagesAsync(ConsoleHost.Message("org/listed"), key);
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.True(long.Parse(refused.Headers.GetValues("retry-after").Single()) is > 0 and <= 86400);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal("rate_limit_error", error["error"]!["type"]!.GetValue<string>());
        Assert.Equal(2, upstream.ChatRequests.Count);
    }

    [Fact]
    public async Task The_remote_cli_runs_the_team_through_a_running_host_with_only_the_url_and_admin_key()
    {
        var (upstream, proxy) = await ConsoleHost.StartAsync();
        await using var upstreamScope = upstream;
        await using var proxyScope = proxy;
        var url = proxy.BaseAddress.ToString().TrimEnd('/');
        // Nothing but the endpoint and the admin key: no backend key, no storage, no host settings.
        var env = new Dictionary<string, string?> { ["PROXY_ENDPOINT"] = url, ["PROXY_ADMIN_KEY"] = ConsoleHost.AdminKey, ["PROXY_AUTH"] = "nonsense", ["MODEL_PRICES"] = "not json" };
        async Task<(int Exit, string Out, string Err)> Keys(Dictionary<string, string?> settings, params string[] args)
        {
            var o = new StringWriter();
            var e = new StringWriter();
            return (await KeysCommand.RunAsync(args, settings, o, e), o.ToString(), e.ToString());
        }
        string Last(string s) => s.TrimEnd().Split('\n')[^1].TrimEnd('\r');

        var created = await Keys(env, "create", "--name", "dana", "--rpm", "60", "--usd-per-month", "20");
        Assert.Equal((0, ""), (created.Exit, created.Err));
        var key = Last(created.Out);
        upstream.Enqueue(Reply.Json(Chunks.Completion("ok", prompt: 1000, completion: 200, cached: 400)));
        using (var r = await proxy.PostMessagesAsync(ConsoleHost.Message("org/configured"), key)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        var list = await Keys(env, "list");
        Assert.Equal(0, list.Exit);
        Assert.Contains("60 rpm, $20/month", list.Out);
        var limits = await Keys(env, "limits", "--name", "dana", "--rpm", "none", "--usd-per-day", "1.5");
        Assert.Equal((0, "Limits of 'dana': $1.5/day, $20/month.\n"), (limits.Exit, limits.Out.Replace("\r", "")));
        var usage = await Keys(env, "usage", "--name", "dana");
        Assert.Equal(["dana", "org/configured", "1", "600", "200", "400", "0.001800"], usage.Out.TrimEnd().Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);
        var status = await Keys(env, "status");
        Assert.Contains("backend     reachable", status.Out);
        var rotated = await Keys(env, "rotate", "--name", "dana");
        Assert.NotEqual(key, Last(rotated.Out));
        Assert.Equal(0, (await Keys(env, "revoke", "--name", "dana")).Exit);
        Assert.DoesNotContain(ConsoleHost.AdminKey, string.Join("", created.Out, list.Out, usage.Out, status.Out));

        // Flags instead of the environment, with the URL as azd prints it (and /_admin appended by a careless admin).
        var flags = await Keys([], "--endpoint", url + "/_admin/", "--admin-key", ConsoleHost.AdminKey, "list");
        Assert.Equal(0, flags.Exit);

        // Every failure is one line on stderr.
        foreach (var (settings, args, expected) in new (Dictionary<string, string?>, string[], string)[]
        {
            (new() { ["PROXY_ENDPOINT"] = url, ["PROXY_ADMIN_KEY"] = "wrong" }, ["list"], "error: the deployment refused the admin key (401)."),
            (new() { ["PROXY_ENDPOINT"] = url }, ["list"], "error: remote mode needs the admin key: --admin-key KEY or PROXY_ADMIN_KEY."),
            (new() { ["PROXY_ENDPOINT"] = "http://proxy.example.com", ["PROXY_ADMIN_KEY"] = "k" }, ["list"], "error: --endpoint must use https: the admin key must not travel in clear text (http is accepted for localhost only)."),
            (new() { ["PROXY_ENDPOINT"] = "ftp://x", ["PROXY_ADMIN_KEY"] = "k" }, ["list"], "error: --endpoint must be an http(s) URL such as https://my-proxy.azurewebsites.net (got 'ftp://x')."),
            (new() { ["PROXY_ENDPOINT"] = "http://127.0.0.1:9", ["PROXY_ADMIN_KEY"] = "k" }, ["list"], "error: cannot reach http://127.0.0.1:9/: connection refused."),
            (env, ["revoke", "--name", "nobody"], "error: no key named 'nobody'."),
            (env, ["create", "--name", "x", "--usd-per-day", "0"], "error: --rpm and --tokens-per-day take a positive integer, --usd-per-day and --usd-per-month a positive amount (or 'none' with 'keys limits')."),
            (env, ["create", "--name", "bad/name"], "error: name must be 1-64 characters: letters, digits, '.', '_' or '-'."),
        })
        {
            var (exit, output, error) = await Keys(settings, args);
            Assert.Equal((1, "", expected + "\n"), (exit, output, error.Replace("\r", "")));
        }
    }
}
