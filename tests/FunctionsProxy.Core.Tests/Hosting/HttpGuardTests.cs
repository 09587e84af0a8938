using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Xunit;

namespace FunctionsProxy.Tests.Hosting;

/// <summary>
/// What a browser page, a DNS-rebound name or malformed HTTP can do to the local host: refused before any
/// authentication or backend call, always with the Anthropic error envelope.
/// </summary>
public sealed class HttpGuardTests
{
    private const string Hi = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";

    private static async Task<(HttpStatusCode Status, string Type, string Message, HttpResponseMessage Response)> ErrorOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(body)!;
        Assert.Equal("error", json["type"]!.GetValue<string>());
        Assert.StartsWith("req_", json["request_id"]!.GetValue<string>());
        return (response.StatusCode, json["error"]!["type"]!.GetValue<string>(), json["error"]!["message"]!.GetValue<string>(), response);
    }

    private static HttpRequestMessage Messages(string? origin = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(Hi, Encoding.UTF8, contentType) };
        request.Headers.Add("x-api-key", "client-key");
        if (origin is not null) request.Headers.Add("Origin", origin);
        return request;
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("http://127.0.0.1:8090")]
    public async Task A_request_from_an_unlisted_origin_is_refused_before_auth_and_the_backend(string origin)
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["CHUTES_API_KEY"] = "sk-backend" });
        var (status, type, message, _) = await ErrorOf(await f.Proxy.Client.SendAsync(Messages(origin)));
        Assert.Equal((HttpStatusCode.Forbidden, "permission_error"), (status, type));
        Assert.Contains("PROXY_ALLOWED_ORIGINS", message);
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task The_admin_consoles_own_origin_reaches_admin_routes_only()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["PROXY_ADMIN_KEY"] = "admin-secret-123456" });
        var self = f.Proxy.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

        // The console page calls /_admin with the app's own origin (what Chromium sends on a same-origin fetch).
        var list = new HttpRequestMessage(HttpMethod.Get, "/_admin/keys");
        list.Headers.Add("x-api-key", "admin-secret-123456");
        list.Headers.Add("Origin", self);
        Assert.Equal(HttpStatusCode.OK, (await f.Proxy.Client.SendAsync(list)).StatusCode);

        // The same origin on another port, or on the Messages API, is still a foreign page.
        var otherPort = new HttpRequestMessage(HttpMethod.Get, "/_admin/keys");
        otherPort.Headers.Add("x-api-key", "admin-secret-123456");
        otherPort.Headers.Add("Origin", "http://127.0.0.1:1");
        var (status, type, _, _) = await ErrorOf(await f.Proxy.Client.SendAsync(otherPort));
        Assert.Equal((HttpStatusCode.Forbidden, "permission_error"), (status, type));
        (status, type, _, _) = await ErrorOf(await f.Proxy.Client.SendAsync(Messages(self)));
        Assert.Equal((HttpStatusCode.Forbidden, "permission_error"), (status, type));
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task A_listed_origin_passes_and_gets_cors_headers_while_others_stay_refused()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["PROXY_ALLOWED_ORIGINS"] = "https://App.Example/, http://localhost:3000" });
        f.Upstream.On("/v1/chat/completions", _ => Reply.Json(Chunks.Completion("ok", prompt: 9, completion: 4)));

        var response = await f.Proxy.Client.SendAsync(Messages("https://app.example"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://app.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Single(f.Upstream.ChatRequests);

        var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/messages");
        preflight.Headers.Add("Origin", "http://localhost:3000");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        var answer = await f.Proxy.Client.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("http://localhost:3000", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var (status, type, _, _) = await ErrorOf(await f.Proxy.Client.SendAsync(Messages("https://app.example.evil")));
        Assert.Equal((HttpStatusCode.Forbidden, "permission_error"), (status, type));
        Assert.Single(f.Upstream.ChatRequests);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data")]
    public async Task A_post_body_that_is_not_json_is_415_without_a_backend_call(string contentType)
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["CHUTES_API_KEY"] = "sk-backend" });
        var request = Messages(contentType: contentType);
        request.Headers.Remove("x-api-key");
        var (status, type, _, _) = await ErrorOf(await f.Proxy.Client.SendAsync(request));
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "invalid_request_error"), (status, type));
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task Json_with_a_charset_and_bodiless_posts_are_not_refused()
    {
        await using var f = await ProxyFixture.StartAsync();
        var response = await f.Proxy.Client.PostAsync("/api/event_logging/batch", new StringContent("""{"events":[]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        // No body at all: the endpoint's own message, not the media-type refusal.
        var (status, type, message, _) = await ErrorOf(await f.Proxy.Client.PostAsync("/v1/messages", null));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request_error"), (status, type));
        Assert.Contains("empty", message);
    }

    [Fact]
    public async Task The_local_host_answers_loopback_host_names_only_unless_configured()
    {
        await using var f = await ProxyFixture.StartAsync();
        foreach (var host in new[] { "localhost", "127.0.0.1", "[::1]", "LOCALHOST:8090" })
        {
            var ok = new HttpRequestMessage(HttpMethod.Get, "/health");
            ok.Headers.Host = host;
            Assert.Equal(HttpStatusCode.OK, (await f.Proxy.Client.SendAsync(ok)).StatusCode);
        }
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/health");
        rebound.Headers.Host = "attacker.example:8090";
        var (status, type, _, _) = await ErrorOf(await f.Proxy.Client.SendAsync(rebound));
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request_error"), (status, type));

        await using var configured = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["PROXY_ALLOWED_HOSTS"] = "proxy.internal;localhost" });
        var named = new HttpRequestMessage(HttpMethod.Get, "/health");
        named.Headers.Host = "proxy.internal";
        Assert.Equal(HttpStatusCode.OK, (await configured.Proxy.Client.SendAsync(named)).StatusCode);
        var loopbackIp = new HttpRequestMessage(HttpMethod.Get, "/health");
        loopbackIp.Headers.Host = "127.0.0.1";
        Assert.Equal(HttpStatusCode.BadRequest, (await configured.Proxy.Client.SendAsync(loopbackIp)).StatusCode);
    }

    [Fact]
    public async Task Routing_404_and_405_carry_the_envelope()
    {
        await using var f = await ProxyFixture.StartAsync();
        var (status, type, _, _) = await ErrorOf(await f.Proxy.Client.GetAsync("/v1/nothing-here"));
        Assert.Equal((HttpStatusCode.NotFound, "not_found_error"), (status, type));
        (status, type, _, _) = await ErrorOf(await f.Proxy.Client.GetAsync("/v1/messages"));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "invalid_request_error"), (status, type));
        (status, type, _, _) = await ErrorOf(await f.Proxy.Client.DeleteAsync("/v1/models"));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, "invalid_request_error"), (status, type));
    }

    [Fact]
    public async Task Kestrels_body_size_limit_is_a_413_envelope_on_every_route()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?> { ["PROXY_ADMIN_KEY"] = "admin-key-0123456789" },
            b => b.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 4096));
        var big = Hi.Replace("hi", new string('x', 10_000));

        var (status, type, _, _) = await ErrorOf(await proxy.PostMessagesAsync(big));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "request_too_large"), (status, type));

        var admin = new HttpRequestMessage(HttpMethod.Post, "/_admin/keys") { Content = new StringContent($$"""{"name":"{{new string('a', 10_000)}}"}""", Encoding.UTF8, "application/json") };
        admin.Headers.Add("x-api-key", "admin-key-0123456789");
        (status, type, _, _) = await ErrorOf(await proxy.Client.SendAsync(admin));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "request_too_large"), (status, type));
        Assert.Empty(upstream.ChatRequests);
    }

    [Fact]
    public async Task Oversized_headers_are_a_431_envelope()
    {
        await using var f = await ProxyFixture.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("x-padding", new string('p', 40 * 1024));
        var (status, type, _, _) = await ErrorOf(await f.Proxy.Client.SendAsync(request));
        Assert.Equal((HttpStatusCode.RequestHeaderFieldsTooLarge, "invalid_request_error"), (status, type));
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked\r\n", "zz\r\nabc\r\n0\r\n\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\n", "5\r\n{\"a\":1}\r\n0\r\n\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\n", "FFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n")]
    public async Task Malformed_chunked_bodies_are_400_not_a_retryable_529(string framing, string body)
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["CHUTES_API_KEY"] = "sk-backend" });
        var (status, json) = await RawAsync(f.Proxy.BaseAddress, $"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{framing}Connection: close\r\n\r\n{body}");
        Assert.Equal(400, status);
        Assert.Equal("invalid_request_error", JsonNode.Parse(json)!["error"]!["type"]!.GetValue<string>());
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task Content_length_with_chunked_is_never_a_529()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["CHUTES_API_KEY"] = "sk-backend" });
        var (status, json) = await RawAsync(f.Proxy.BaseAddress,
            "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
        Assert.Equal(400, status);
        if (json.Length > 0) Assert.Equal("invalid_request_error", JsonNode.Parse(json)!["error"]!["type"]!.GetValue<string>());
        Assert.Empty(f.Upstream.ChatRequests);
    }

    /// <summary>Sends bytes no HTTP client would, returns the status and body of the answer.</summary>
    private static async Task<(int Status, string Body)> RawAsync(Uri address, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = await reader.ReadToEndAsync(timeout.Token);
        var statusLine = text[..text.IndexOf('\r')];
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (int.Parse(statusLine.Split(' ')[1]), text[(split + 4)..]);
    }
}
