using System.Net;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Errors;

/// <summary>Bad input and upstream failures become Anthropic errors with the right status (docs/protocol.md §8).</summary>
public sealed class ErrorTests
{
    private const string Hi = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";

    private static async Task<(HttpStatusCode Status, JsonNode Body, HttpResponseMessage Response)> Send(ProxyFixture f, string body)
    {
        var response = await f.Proxy.PostMessagesAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!, response);
    }

    private static void AssertError(JsonNode body, string type, string? messagePart = null)
    {
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal(type, body["error"]!["type"]!.GetValue<string>());
        Assert.StartsWith("req_", body["request_id"]!.GetValue<string>());
        if (messagePart is not null) Assert.Contains(messagePart, body["error"]!["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "model: Field required")]
    [InlineData("""{"model":"m","max_tokens":10}""", "messages: Field required")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":"ten","messages":[{"role":"user","content":"hi"}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":42,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "model: Input should be a valid string")]
    [InlineData("""{"model":"m","max_tokens":10,"messages":[]}""", "messages: List should have at least 1 item")]
    [InlineData("""{"model":"m","max_tokens":10,"messages":[{"role":"robot","content":"hi"}]}""", "messages.0.role")]
    [InlineData("""{"model":"m","max_tokens":10,"messages":[{"role":"user"}]}""", "messages.0.content: Field required")]
    [InlineData("""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}""", "messages.0.content.0.tool_use_id: Field required")]
    [InlineData("""{"model":"m","max_tokens":10,"stream":"yes","messages":[{"role":"user","content":"hi"}]}""", "stream: Input should be a valid boolean")]
    [InlineData("""{"model":"m","max_tokens":10,"tools":[{"description":"x"}],"messages":[{"role":"user","content":"hi"}]}""", "tools.0.name: Field required")]
    public async Task Invalid_requests_are_400_naming_the_field_and_never_reach_the_backend(string body, string messagePart)
    {
        await using var f = await ProxyFixture.StartAsync();
        var (status, json, _) = await Send(f, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(json, "invalid_request_error", messagePart);
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task Body_over_the_limit_is_413_request_too_large()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["PROXY_MAX_BODY_BYTES"] = "2048" });
        var big = $$"""{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"{{new string('a', 5000)}}"}]}""";
        var (status, json, response) = await Send(f, big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        AssertError(json, "request_too_large", "2048");
        Assert.Empty(f.Upstream.ChatRequests);
        // The unread rest ends the connection; the answer says so, so no forwarder pools it for the next request.
        Assert.True(response.Headers.ConnectionClose);
    }

    [Theory]
    [InlineData(400, """{"object":"error","message":"This model's maximum context length is 131072 tokens. However, you requested 140000 tokens.","type":"BadRequestError","code":400}""", 400, "invalid_request_error", "prompt is too long")]
    [InlineData(400, """{"object":"error","message":"'messages' must contain a user turn","type":"BadRequestError","code":400}""", 400, "invalid_request_error", "must contain a user turn")]
    [InlineData(422, """{"detail":[{"loc":["body","max_tokens"],"msg":"bad"}]}""", 400, "invalid_request_error", "max_tokens")]
    [InlineData(401, """{"detail":"Invalid token"}""", 401, "authentication_error", "backend rejected the proxy's credential")]
    [InlineData(402, """{"detail":"Insufficient balance, please top up your account"}""", 402, "billing_error", "Insufficient balance")]
    [InlineData(403, """{"detail":"Forbidden"}""", 403, "permission_error", "HTTP 403")]
    [InlineData(404, """{"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","code":404}""", 404, "not_found_error", "does not exist")]
    [InlineData(408, """{"detail":"Request timed out"}""", 504, "timeout_error", "Request timed out")]
    [InlineData(408, "", 504, "timeout_error", "HTTP 408")]
    [InlineData(409, """{"detail":"conflict"}""", 400, "invalid_request_error", "conflict")]
    [InlineData(413, """{"error":{"message":"too big"}}""", 413, "request_too_large", "too big")]
    [InlineData(500, """{"error":{"message":"CUDA error"}}""", 500, "api_error", "CUDA error")]
    [InlineData(503, """{"detail":"No instances available"}""", 529, "overloaded_error", "HTTP 503")]
    [InlineData(502, "<html>bad gateway</html>", 529, "overloaded_error", "HTTP 502")]
    public async Task Upstream_errors_keep_their_meaning(int upstreamStatus, string upstreamBody, int status, string type, string messagePart)
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(upstreamStatus, upstreamBody));
        var (actual, json, _) = await Send(f, Hi);
        Assert.Equal(status, (int)actual);
        AssertError(json, type, messagePart);
        Assert.DoesNotContain("<html>", json.Json());
    }

    [Fact]
    public async Task Upstream_429_with_a_long_retry_after_is_returned_with_retry_after()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(429, """{"detail":"slow down"}""").Header("Retry-After", "7"));
        var (status, json, response) = await Send(f, Hi);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        AssertError(json, "rate_limit_error", "slow down");
        Assert.Equal("7", response.Headers.GetValues("retry-after").Single());
        Assert.Single(f.Upstream.ChatRequests); // 7 s > PROXY_MAX_RETRY_AFTER: not waited for
    }

    [Fact]
    public async Task Upstream_429_with_a_short_retry_after_is_retried_once()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["PROXY_MAX_RETRY_AFTER"] = "2" });
        f.Upstream.Enqueue(Reply.Json(429, """{"detail":"slow down"}""").Header("Retry-After", "0"));
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("after retry")));
        var (status, json, _) = await Send(f, Hi);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("after retry", json["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(2, f.Upstream.ChatRequests.Count);
        Assert.Equal(f.Upstream.ChatRequests[0].Body, f.Upstream.ChatRequests[1].Body);
    }

    [Fact]
    public async Task Back_off_can_be_switched_off()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["PROXY_BACKOFF_ON_429"] = "false" });
        f.Upstream.Enqueue(Reply.Json(429, """{"detail":"slow down"}""").Header("Retry-After", "0"));
        var (status, _, response) = await Send(f, Hi);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("0", response.Headers.GetValues("retry-after").Single());
        Assert.Single(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task Unreachable_backend_is_a_retryable_529()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var deadUrl = upstream.BaseUrl;
        await upstream.DisposeAsync();
        await using var proxy = await ProxyServer.StartAsync(new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", ["CHUTES_BASE_URL"] = deadUrl });
        var response = await proxy.PostMessagesAsync(Hi);
        Assert.Equal(529, (int)response.StatusCode);
        AssertError(JsonNode.Parse(await response.Content.ReadAsStringAsync())!, "overloaded_error", "could not be reached");
    }

    [Fact]
    public async Task Unreachable_backend_logs_one_warning_per_call_without_a_stack_trace()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var deadUrl = upstream.BaseUrl;
        await upstream.DisposeAsync();
        await using var proxy = await ProxyServer.StartAsync(new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", ["CHUTES_BASE_URL"] = deadUrl });
        // The first call may also start a model discovery (throttled): count from the second call on.
        Assert.Equal(529, (int)(await proxy.PostMessagesAsync(Hi)).StatusCode);
        var before = proxy.Logs.Entries.Count;

        Assert.Equal(529, (int)(await proxy.PostMessagesAsync(Hi)).StatusCode);

        var lines = proxy.Logs.Entries.Skip(before).ToArray();
        var warning = Assert.Single(lines, e => e.StartsWith("Warning", StringComparison.Ordinal) || e.StartsWith("Error", StringComparison.Ordinal));
        Assert.Contains("Backend unreachable (ConnectionError)", warning, StringComparison.Ordinal);
        // At the default level (Information and up): no resilience-pipeline line, no stack trace, no backend address.
        var visible = proxy.Logs.Entries.Where(e => !e.StartsWith("Debug", StringComparison.Ordinal) && !e.StartsWith("Trace", StringComparison.Ordinal)).ToArray();
        Assert.DoesNotContain(visible, e => e.Contains("Polly", StringComparison.Ordinal));
        Assert.DoesNotContain(visible, e => e.Contains("exception=", StringComparison.Ordinal) || e.Contains("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(visible, e => e.Contains(new Uri(deadUrl).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) && !e.Contains("Now listening", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slow_non_stream_backend_times_out_with_a_504()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["PROXY_UPSTREAM_TIMEOUT"] = "0.3" });
        f.Upstream.Enqueue(new Reply().HangUntilAborted(TimeSpan.FromSeconds(5)));
        var (status, json, _) = await Send(f, Hi);
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        AssertError(json, "timeout_error", "did not answer");
    }

    [Fact]
    public async Task Backend_credentials_never_appear_in_error_bodies()
    {
        const string key = "cpk_live_backend_secret_value_123456";
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["CHUTES_API_KEY"] = key });
        f.Upstream.Enqueue(Reply.Json(401, $$"""{"detail":"Invalid API key {{key}} for this account"}"""));
        var (status, json, response) = await Send(f, Hi);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.DoesNotContain(key, json.Json());
        Assert.Contains("[redacted]", json.Json());
        Assert.DoesNotContain(key, string.Join(";", response.Headers.SelectMany(h => h.Value)));
        Assert.DoesNotContain(key, f.Proxy.Logs.All);
    }

    [Fact]
    public async Task Backend_reset_while_reading_a_non_stream_answer_is_a_retryable_529()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("partial")).Delay(TimeSpan.FromMilliseconds(200)).Abort());
        var (status, json, _) = await Send(f, Hi);
        Assert.Equal(529, (int)status);
        AssertError(json, "overloaded_error", "connection was lost");
    }
}
