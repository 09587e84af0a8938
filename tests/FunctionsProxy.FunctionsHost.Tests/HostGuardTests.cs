using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Tools.FunctionsHost;
using Xunit;

namespace FunctionsProxy.FunctionsHost.Tests;

/// <summary>
/// Both hosts with a storage account that cannot be reached (nothing listens on its table endpoint) and a small
/// <c>PROXY_MAX_BODY_BYTES</c>: what the Functions app answers when a function fails unexpectedly, how its HTTP guards
/// and body limit answer, each compared with the local host.
/// </summary>
public sealed class UnreachableStorageHosts : IAsyncLifetime
{
    public const string AdminKey = "guard-admin-key-0123456789";
    public const int MaxBodyBytes = 16 * 1024;

    // The well-known development account (a public value), pointed at a loopback port nothing listens on.
    private const string DeadStorage = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        + "TableEndpoint=http://127.0.0.1:1/devstoreaccount1;";

    public ScriptedUpstream Upstream { get; private set; } = null!;
    public ProxyServer Local { get; private set; } = null!;
    public FunctionsHostServer Functions { get; private set; } = null!;
    public HttpClient FunctionsClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await ScriptedUpstream.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["CHUTES_BASE_URL"] = Upstream.BaseUrl,
            ["CHUTES_API_KEY"] = "",
            ["MODEL_MAP"] = """{"claude-sonnet-4-5":"org/Model-A"}""",
            ["STORAGE_CONNECTION_STRING"] = DeadStorage,
            ["PROXY_ADMIN_KEY"] = AdminKey,
            ["PROXY_MAX_BODY_BYTES"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MODEL_REFRESH_SCHEDULE"] = "0 */30 * * * *",
        };
        Local = await ProxyServer.StartAsync(Upstream, settings.ToDictionary(p => p.Key, p => (string?)p.Value));
        Functions = await FunctionsHostServer.StartAsync(new FunctionsHostOptions { AppDirectory = await PublishedApp.DirectoryAsync(), Settings = settings });
        FunctionsClient = new HttpClient { BaseAddress = Functions.Address, Timeout = TimeSpan.FromSeconds(90) };
    }

    public async Task DisposeAsync()
    {
        FunctionsClient?.Dispose();
        if (Functions is not null) await Functions.DisposeAsync();
        if (Local is not null) await Local.DisposeAsync();
        if (Upstream is not null) await Upstream.DisposeAsync();
    }
}

public sealed class HostGuardTests(UnreachableStorageHosts hosts) : IClassFixture<UnreachableStorageHosts>
{
    private static async Task<(int Status, string ContentType, string Body)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.ToString() ?? "", await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Sends the request built by <paramref name="build"/> to both hosts; asserts they answer alike and
    /// returns the Functions app's answer.</summary>
    private async Task<(int Status, string ContentType, JsonNode Body)> BothAsync(Func<HttpRequestMessage> build)
    {
        var local = await SendAsync(hosts.Local.Client, build());
        var functions = await SendAsync(hosts.FunctionsClient, build());
        Assert.Equal(local.Status, functions.Status);
        Assert.Equal(local.ContentType, functions.ContentType);
        var body = JsonNode.Parse(functions.Body)!;
        Assert.Equal(JsonNode.Parse(local.Body)!["error"]!.ToJsonString(), body["error"]!.ToJsonString());
        return (functions.Status, functions.ContentType, body);
    }

    private static HttpRequestMessage Post(string path, HttpContent content, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("x-api-key", "client-key");
        if (origin is not null) request.Headers.Add("Origin", origin);
        return request;
    }

    private const string Hi = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""";

    [Fact]
    public async Task A_function_that_fails_unexpectedly_answers_the_error_envelope_not_an_empty_200()
    {
        // Listing keys needs the key table, which cannot be reached: the store throws out of the endpoint.
        var (status, contentType, body) = await BothAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/_admin/keys");
            request.Headers.Add("x-api-key", UnreachableStorageHosts.AdminKey);
            return request;
        });
        Assert.Equal(500, status);
        Assert.Equal("application/json", contentType);
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("api_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Equal("The proxy failed to handle the request.", body["error"]!["message"]!.GetValue<string>());
        Assert.StartsWith("req_", body["request_id"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_web_page_origin_is_refused_with_403_before_any_backend_call()
    {
        var calls = hosts.Upstream.Requests.Count;
        var (status, _, body) = await BothAsync(() => Post("/v1/messages", new StringContent(Hi, Encoding.UTF8, "application/json"), origin: "https://evil.example"));
        Assert.Equal(403, status);
        Assert.Equal("permission_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Equal(calls, hosts.Upstream.Requests.Count);
    }

    /// <summary>A refusal is the function's answer, not a failed invocation: the real host reports failed invocations
    /// (Application Insights' failure rate, alerts), and one whose function never runs is failed by the worker only after
    /// it waited 5 s for the request.</summary>
    [Theory]
    [InlineData("origin")]
    [InlineData("content-type")]
    public async Task A_refused_request_is_a_completed_invocation_on_the_functions_host(string refusal)
    {
        // A body length no other test sends tells this request's invocation from a previous test's late report.
        var length = refusal == "origin" ? 777 : 778;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(Hi.PadRight(length), Encoding.UTF8, refusal == "content-type" ? "text/plain" : "application/json"),
        };
        request.Headers.Add("x-api-key", "client-key");
        if (refusal == "origin") request.Headers.Add("Origin", "https://evil.example");
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await hosts.FunctionsClient.SendAsync(request);
        Assert.True((refusal == "origin" ? 403 : 415) == (int)response.StatusCode,
            $"{(int)response.StatusCode} after {started.Elapsed}; invocations: {string.Join("; ", hosts.Functions.Invocations)}");

        while (!hosts.Functions.Invocations.Any(o => o.RequestLength == length) && started.Elapsed < TimeSpan.FromSeconds(40)) await Task.Delay(20);
        var outcome = Assert.Single(hosts.Functions.Invocations, o => o.RequestLength == length);
        Assert.Equal("Messages", outcome.Function);
        Assert.True(outcome.Succeeded, outcome.Error);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"the invocation ended after {started.Elapsed}"); // a refusal outside the function: 15 s
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        var (status, _, body) = await BothAsync(() => Post("/v1/messages", new StringContent(Hi, Encoding.UTF8, "text/plain")));
        Assert.Equal(415, status);
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
        Assert.Equal("The request body must be sent with Content-Type: application/json.", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_refusal_reaches_a_client_that_sends_its_body_for_longer_than_Kestrels_drain_window()
    {
        // The guard answers without needing the body. The host forwards with HttpClient over HTTP/1.1, which reads no
        // answer until it has sent the whole body; Kestrel waits only 5 s for an unread body after the answer, then
        // drops the connection, so a body still arriving by then (a slow link, a loaded machine) used to turn the
        // 415 into a failed forward (500). Raw bytes: HttpClient cannot be told to pace a body. 600 B every 300 ms
        // (~2 KB/s for ~6 s, under PROXY_MAX_BODY_BYTES) stays above Kestrel's minimum body data rate (240 B/s) even
        // when a loaded machine (CI runs the test projects side by side on two cores) stretches every pause eightfold.
        var text = new string('x', 12000);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, hosts.Functions.Address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: client-key\r\nConnection: close\r\n"
            + $"Content-Type: text/plain\r\nContent-Length: {text.Length}\r\n\r\n"));
        for (var sent = 0; sent < text.Length; sent += 600)
        {
            await Task.Delay(300);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(text.Substring(sent, 600)));
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("HTTP/1.1 415 Unsupported Media Type", answer.Split("\r\n")[0]);
        var body = JsonNode.Parse(answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..])!;
        Assert.Equal("The request body must be sent with Content-Type: application/json.", body["error"]!["message"]!.GetValue<string>());
    }

    /// <summary>An oversized body is answered without being read, and Kestrel cannot drain it past its limit either: the
    /// worker closes that connection. The answer says so (<c>Connection: close</c>, checked on the local host), and a
    /// forward that still meets a closed connection is sent again, as the real host's forwarder does; before both, the
    /// next request could be lost on it (a 500 after the worker's 15 s wait for it).</summary>
    [Fact]
    public async Task A_request_after_an_oversized_body_is_served_normally()
    {
        var big = Hi.Replace("\"hi\"", "\"" + new string('a', 2 * UnreachableStorageHosts.MaxBodyBytes) + "\"", StringComparison.Ordinal);
        for (var round = 0; round < 5; round++)
        {
            var (tooLarge, _, _) = await SendAsync(hosts.FunctionsClient, Post("/v1/messages", new StringContent(big, Encoding.UTF8, "application/json")));
            Assert.Equal(413, tooLarge);
            var started = System.Diagnostics.Stopwatch.StartNew();
            var (next, _, body) = await SendAsync(hosts.FunctionsClient, Post("/v1/messages", new StringContent(Hi, Encoding.UTF8, "text/plain")));
            Assert.True(next == 415, $"round {round}: {next} after {started.Elapsed}: {body}; invocations: {string.Join("; ", hosts.Functions.Invocations.TakeLast(2))}");
        }
    }

    [Fact]
    public async Task The_body_limit_is_PROXY_MAX_BODY_BYTES_on_both_hosts()
    {
        var big = Hi.Replace("\"hi\"", "\"" + new string('a', UnreachableStorageHosts.MaxBodyBytes) + "\"", StringComparison.Ordinal);
        var (status, _, body) = await BothAsync(() => Post("/v1/messages", new StringContent(big, Encoding.UTF8, "application/json")));
        Assert.Equal(413, status);
        Assert.Equal("request_too_large", body["error"]!["type"]!.GetValue<string>());
        Assert.Equal($"Request body exceeds the proxy's limit of {UnreachableStorageHosts.MaxBodyBytes} bytes.", body["error"]!["message"]!.GetValue<string>());
    }
}
