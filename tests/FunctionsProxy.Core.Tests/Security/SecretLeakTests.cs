using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Security;

/// <summary>Secrets the server holds (backend key, admin key, proxy keys, the caller's credential) never reach a client
/// or a log line, whatever form the backend puts them in and wherever it puts its error (a non-200, a JSON error body
/// with HTTP 200, an SSE <c>data: {"error":…}</c> chunk, an <c>event: error</c> frame).</summary>
public sealed class SecretLeakTests
{
    // '/' and '+' make the escaped forms differ from the plain one.
    private const string BackendKey = "cpk_live/9f8e7d6c+5b4a3210ZYXWVUTSrq";
    private const string AdminKey = "adm_Q1w2E3r4T5y6U7i8O9p0Zz";
    private const string Hi = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";

    private static Dictionary<string, string?> Settings(bool debug = true) => new()
    {
        ["CHUTES_API_KEY"] = BackendKey,
        ["PROXY_ADMIN_KEY"] = AdminKey,
        ["DEBUG_PROXY"] = debug ? "true" : "false",
    };

    private static string ErrorBody(string message) => JsonSerializer.Serialize(new { error = new { message } });

    private static void AssertNoSecret(string text, params string[] secrets)
    {
        foreach (var s in secrets)
        {
            Assert.DoesNotContain(s, text, StringComparison.Ordinal);
            Assert.DoesNotContain(JsonEncodedText.Encode(s).ToString(), text, StringComparison.Ordinal);
            Assert.DoesNotContain(s[^6..], text, StringComparison.Ordinal);
        }
    }

    private static JsonNode ErrorOf(string body) => JsonNode.Parse(body)!["error"]!;

    [Fact]
    public async Task Backend_key_in_a_200_json_error_body_is_a_401_and_scrubbed()
    {
        await using var f = await ProxyFixture.StartAsync(Settings());
        f.Upstream.Enqueue(Reply.Json(200, ErrorBody($"Invalid token {BackendKey}")));

        using var response = await f.Proxy.PostMessagesAsync(Hi);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = ErrorOf(body);
        Assert.Equal("authentication_error", error["type"]!.GetValue<string>());
        Assert.Equal("The backend rejected the proxy's credential. Invalid token [redacted]", error["message"]!.GetValue<string>());
        AssertNoSecret(body, BackendKey);
        AssertNoSecret(f.Proxy.Logs.All, BackendKey);
        // DEBUG_PROXY: the rejection is logged with its reason, scrubbed.
        Assert.Contains(f.Proxy.Logs.Entries, e => e.StartsWith("Information", StringComparison.Ordinal) && e.Contains("reason=The backend rejected the proxy's credential. Invalid token [redacted]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Backend_key_in_an_sse_error_chunk_is_an_error_event_and_scrubbed()
    {
        await using var h = await ProxyFixture.StartMappedAsync(Settings());
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("Work"), ErrorBody($"Invalid token {BackendKey}")));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "error"], r.Shape);
        var error = r.Frames[^1].Json["error"]!;
        Assert.Equal("authentication_error", error["type"]!.GetValue<string>());
        Assert.Contains("[redacted]", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("message_stop", r.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("end_turn", r.Body, StringComparison.Ordinal);
        AssertNoSecret(r.Body, BackendKey);
        AssertNoSecret(h.Proxy.Logs.All, BackendKey);
    }

    [Fact]
    public async Task Backend_key_in_an_event_error_frame_is_an_error_event_and_scrubbed()
    {
        await using var h = await ProxyFixture.StartMappedAsync(Settings());
        h.Upstream.Enqueue(Reply.Sse(Chunks.Role()).Write($"event: error\ndata: Unauthorized: bearer {BackendKey} is not valid\n\n"));

        var r = await h.StreamAsync();

        r.AssertWellFormed();
        Assert.Equal(["message_start", "error"], r.Shape);
        var error = r.Frames[^1].Json["error"]!;
        Assert.Equal("authentication_error", error["type"]!.GetValue<string>());
        Assert.Contains("bearer [redacted] is not valid", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        AssertNoSecret(r.Body, BackendKey);
        AssertNoSecret(h.Proxy.Logs.All, BackendKey);
    }

    [Fact]
    public async Task Backend_key_in_a_non_200_error_is_scrubbed()
    {
        await using var f = await ProxyFixture.StartAsync(Settings());
        f.Upstream.Enqueue(Reply.Json(500, ErrorBody($"upstream call with key={BackendKey} failed")));

        using var response = await f.Proxy.PostMessagesAsync(Hi);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("upstream call with key=[redacted] failed", ErrorOf(body)["message"]!.GetValue<string>());
        AssertNoSecret(body, BackendKey);
        AssertNoSecret(f.Proxy.Logs.All, BackendKey);
    }

    [Fact]
    public async Task Key_right_after_a_long_message_is_scrubbed_before_the_message_is_cut()
    {
        await using var f = await ProxyFixture.StartAsync(Settings());
        // The key starts 10 characters before the 1000-character limit: cutting first would keep its first 10 characters.
        f.Upstream.Enqueue(Reply.Json(400, ErrorBody(new string('x', 990) + BackendKey + " trailing words")));

        using var response = await f.Proxy.PostMessagesAsync(Hi);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = ErrorOf(body)["message"]!.GetValue<string>();
        Assert.Equal(1000, message.Length);
        Assert.EndsWith("…", message, StringComparison.Ordinal);
        Assert.StartsWith(new string('x', 990) + "[redacte", message, StringComparison.Ordinal);
        Assert.DoesNotContain(BackendKey[..8], body, StringComparison.Ordinal);
        Assert.DoesNotContain(BackendKey[..8], f.Proxy.Logs.All, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> PartialForms => new()
    {
        { "last characters", $"key ending …{BackendKey[^8..]} was revoked" },
        { "last six in a word", $"key xxxx{BackendKey[^6..]} was revoked" },
        { "masked with prefix and last four", $"key sk-…****{BackendKey[^4..]} was revoked" },
        { "masked keeping the start", $"key {BackendKey[..8]}**** was revoked" },
        { "json escaped", $"request was {{\"authorization\":\"Bearer {JsonEncodedText.Encode(BackendKey)}\"}}" },
        { "slash escaped", $"request was {{\"key\":\"{BackendKey.Replace("/", "\\/", StringComparison.Ordinal)}\"}}" },
        { "url encoded", $"GET /v1/models?api_key={Uri.EscapeDataString(BackendKey)} failed" },
    };

    [Theory]
    [MemberData(nameof(PartialForms))]
    public async Task Partial_masked_and_escaped_forms_of_the_key_are_scrubbed(string form, string message)
    {
        _ = form;
        await using var f = await ProxyFixture.StartAsync(Settings());
        f.Upstream.Enqueue(Reply.Json(403, JsonSerializer.Serialize(new { detail = message })));

        using var response = await f.Proxy.PostMessagesAsync(Hi);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var text = ErrorOf(body)["message"]!.GetValue<string>();
        Assert.Contains("[redacted]", text, StringComparison.Ordinal);
        Assert.DoesNotContain(BackendKey[^4..], text, StringComparison.Ordinal);
        Assert.DoesNotContain(BackendKey[..8], text, StringComparison.Ordinal);
        AssertNoSecret(body, BackendKey);
        AssertNoSecret(f.Proxy.Logs.All, BackendKey);
    }

    [Fact]
    public async Task Admin_key_and_the_callers_own_credential_are_scrubbed()
    {
        const string callerKey = "caller-credential-7h3x9QmZ";
        await using var f = await ProxyFixture.StartAsync(Settings());
        f.Upstream.Enqueue(Reply.Json(200, ErrorBody($"bad request: admin {AdminKey}, caller {callerKey}")));

        using var response = await f.Proxy.PostMessagesAsync(Hi, apiKey: callerKey);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad request: admin [redacted], caller [redacted]", ErrorOf(body)["message"]!.GetValue<string>());
        AssertNoSecret(body, AdminKey, callerKey);
        AssertNoSecret(f.Proxy.Logs.All, AdminKey, callerKey);
    }

    [Fact]
    public async Task Proxy_key_echoed_by_the_backend_is_scrubbed_in_keys_mode()
    {
        var keysFile = Path.Combine(Path.GetTempPath(), "fp-keys-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var settings = Settings();
            settings["PROXY_AUTH"] = "keys";
            settings["PROXY_KEYS_FILE"] = keysFile;
            await using var f = await ProxyFixture.StartAsync(settings);
            using var create = new HttpRequestMessage(HttpMethod.Post, "/_admin/keys") { Content = new StringContent("""{"name":"alice"}""", Encoding.UTF8, "application/json") };
            create.Headers.Add("x-api-key", AdminKey);
            using var created = await f.Proxy.Client.SendAsync(create);
            var proxyKey = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
            // A user pasted the key into the prompt; the backend quotes the prompt in its validation error.
            f.Upstream.Enqueue(Reply.Json(400, ErrorBody($"prompt contains an unsupported token near '{proxyKey}'")));
            f.Upstream.Enqueue(Reply.Sse(Chunks.Role(), ErrorBody($"worker crashed while reading '{proxyKey}'")));

            using var response = await f.Proxy.PostMessagesAsync(Hi, apiKey: proxyKey);
            var body = await response.Content.ReadAsStringAsync();
            using var streamed = await f.Proxy.PostMessagesAsync(ProxyFixture.Request(), apiKey: proxyKey);
            var streamBody = await streamed.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("prompt contains an unsupported token near '[redacted]'", ErrorOf(body)["message"]!.GetValue<string>());
            Assert.Equal("api_error", SseFrames.Parse(streamBody)[^1].Json["error"]!["type"]!.GetValue<string>());
            AssertNoSecret(body + streamBody, proxyKey, BackendKey);
            AssertNoSecret(f.Proxy.Logs.All, proxyKey, BackendKey, AdminKey);
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileNameWithoutExtension(keysFile) + "*")) File.Delete(file);
        }
    }
}
