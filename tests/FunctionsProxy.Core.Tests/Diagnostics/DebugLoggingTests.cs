using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Diagnostics;

/// <summary>DEBUG_PROXY logs request metadata at Information, never keys or message content.</summary>
public sealed class DebugLoggingTests
{
    [Fact]
    public async Task Debug_proxy_logs_metadata_without_keys_or_content()
    {
        const string serverKey = "cpk_server_side_secret_abcdef123456";
        const string clientKey = "client_side_secret_zyxw98765";
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["DEBUG_PROXY"] = "true", ["CHUTES_API_KEY"] = serverKey });
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("the secret answer", prompt: 21, completion: 7)));
        var response = await f.Proxy.PostMessagesAsync("""{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"a private question"}]}""", apiKey: clientKey);
        response.EnsureSuccessStatusCode();

        var entry = Assert.Single(f.Proxy.Logs.Entries, e => e.StartsWith("Information") && e.Contains("messages claude-x"));
        Assert.Contains("Model=claude-x", entry);
        Assert.Contains("Status=200", entry);
        Assert.Contains("InputTokens=21", entry);
        Assert.Contains("OutputTokens=7", entry);
        Assert.Contains("ElapsedMs=", entry);
        var all = f.Proxy.Logs.All;
        Assert.DoesNotContain(serverKey, all);
        Assert.DoesNotContain(clientKey, all);
        Assert.DoesNotContain("a private question", all);
        Assert.DoesNotContain("the secret answer", all);
    }

    [Fact]
    public async Task Without_debug_the_metadata_is_logged_at_debug_level_only()
    {
        await using var f = await ProxyFixture.StartAsync();
        f.Upstream.Enqueue(Reply.Json(Chunks.Completion("ok")));
        (await f.Proxy.PostMessagesAsync("""{"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"q"}]}""")).EnsureSuccessStatusCode();
        Assert.DoesNotContain(f.Proxy.Logs.Entries, e => e.StartsWith("Information") && e.Contains("messages claude-x"));
        Assert.Contains(f.Proxy.Logs.Entries, e => e.StartsWith("Debug") && e.Contains("messages claude-x"));
    }
}
