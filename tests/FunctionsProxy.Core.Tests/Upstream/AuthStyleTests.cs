using System.Net;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Upstream;

/// <summary>Which credential reaches the backend per CHUTES_AUTH_STYLE (docs/protocol.md §2.7).</summary>
public sealed class AuthStyleTests
{
    private const string Hi = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";

    private static async Task<string?> UpstreamAuthorization(Dictionary<string, string?> settings, Action<HttpRequestMessage> addAuth, params Reply[] replies)
    {
        await using var f = await ProxyFixture.StartAsync(settings);
        foreach (var r in replies) f.Upstream.Enqueue(r);
        if (replies.Length == 0) f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(Hi, System.Text.Encoding.UTF8, "application/json") };
        addAuth(request);
        var response = await f.Proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return string.Join(" | ", f.Upstream.ChatRequests.Select(r => r.Header("authorization") ?? "<none>"));
    }

    private static Action<HttpRequestMessage> ApiKey(string k) => r => r.Headers.Add("x-api-key", k);
    private static Action<HttpRequestMessage> Bearer(string k) => r => r.Headers.Authorization = new("Bearer", k);

    [Fact]
    public async Task Without_a_server_key_the_callers_x_api_key_is_forwarded_as_bearer()
        => Assert.Equal("Bearer K1", await UpstreamAuthorization([], ApiKey("K1")));

    [Fact]
    public async Task Without_a_server_key_the_callers_bearer_is_forwarded()
        => Assert.Equal("Bearer K2", await UpstreamAuthorization([], Bearer("K2")));

    [Fact]
    public async Task Default_style_prefers_the_configured_key()
        => Assert.Equal("Bearer SERVER", await UpstreamAuthorization(new() { ["CHUTES_API_KEY"] = "SERVER" }, ApiKey("K1")));

    [Fact]
    public async Task Header_style_always_forwards()
        => Assert.Equal("Bearer K1", await UpstreamAuthorization(new() { ["CHUTES_API_KEY"] = "SERVER", ["CHUTES_AUTH_STYLE"] = "header" }, ApiKey("K1")));

    [Fact]
    public async Task Env_style_always_uses_the_configured_key()
        => Assert.Equal("Bearer SERVER", await UpstreamAuthorization(new() { ["CHUTES_API_KEY"] = "SERVER", ["CHUTES_AUTH_STYLE"] = "env" }, ApiKey("K1")));

    [Fact]
    public async Task Both_style_falls_back_to_the_callers_key_when_the_backend_refuses_the_configured_one()
        => Assert.Equal("Bearer SERVER | Bearer K1", await UpstreamAuthorization(
            new() { ["CHUTES_API_KEY"] = "SERVER", ["CHUTES_AUTH_STYLE"] = "both" }, ApiKey("K1"),
            Reply.Json(401, """{"detail":"bad key"}"""), Reply.Json(Chunks.Completion("ok"))));

    [Fact]
    public async Task No_credential_at_all_sends_no_authorization_header()
        => Assert.Equal("<none>", await UpstreamAuthorization([], _ => { }));
}
