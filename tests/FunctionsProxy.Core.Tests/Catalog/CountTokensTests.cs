using System.Net;
using System.Text.Json.Nodes;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.Tests.Catalog;

/// <summary><c>count_tokens</c>: local, positive, grows with tools, never a chat call (docs/protocol.md §9.3).</summary>
public sealed class CountTokensTests
{
    private static async Task<(HttpStatusCode Status, JsonNode Body)> Count(ProxyFixture f, string body)
    {
        var response = await f.Proxy.PostMessagesAsync(body, path: "/v1/messages/count_tokens?beta=true");
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task Counts_locally_and_grows_with_tools()
    {
        await using var f = await ProxyFixture.StartAsync();
        var (status, bare) = await Count(f, """{"model":"m","messages":[{"role":"user","content":"foo"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var n = bare["input_tokens"]!.GetValue<int>();
        Assert.Equal(5, n); // "foo" is one o200k token, plus the message framing
        var (_, withTool) = await Count(f, """{"model":"m","messages":[{"role":"user","content":"foo"}],"tools":[{"name":"Bash","description":"Run a shell command and return its output.","input_schema":{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}}]}""");
        Assert.True(withTool["input_tokens"]!.GetValue<int>() > n + 20);
        Assert.Equal(["input_tokens"], withTool.AsObject().Select(p => p.Key).ToArray());
        Assert.Empty(f.Upstream.ChatRequests);
    }

    [Fact]
    public async Task The_claude_code_sample_counts()
    {
        await using var f = await ProxyFixture.StartAsync();
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", "cc-2.1.330-count-tokens.json")))!;
        var (status, body) = await Count(f, sample["body"]!.Json());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange(body["input_tokens"]!.GetValue<int>(), 100, 5000);
    }

    [Theory]
    [InlineData("{oops", "not valid JSON")]
    [InlineData("""{"messages":[{"role":"user","content":"x"}]}""", "model: Field required")]
    [InlineData("""{"model":"m"}""", "messages: Field required")]
    public async Task Bad_bodies_are_400_naming_the_field(string body, string message)
    {
        await using var f = await ProxyFixture.StartAsync();
        var (status, json) = await Count(f, body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", json["error"]!["type"]!.GetValue<string>());
        Assert.Contains(message, json["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task In_keys_mode_count_tokens_and_models_need_a_proxy_key()
    {
        Azurite.Storage();
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?>
        {
            ["PROXY_AUTH"] = "keys",
            ["CHUTES_API_KEY"] = "server",
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            ["PROXY_KEYS_TABLE"] = Azurite.UniqueTable("keys"),
            ["PROXY_USAGE_TABLE"] = Azurite.UniqueTable("usage"),
        });
        var (status, json) = await Count(f, """{"model":"m","messages":[{"role":"user","content":"foo"}]}""");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("authentication_error", json["error"]!["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Proxy.Client.GetAsync("/v1/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await f.Proxy.Client.GetAsync("/_schemas")).StatusCode);
    }

    [Fact]
    public async Task Backend_mode_asks_the_backends_tokenizer_and_falls_back_to_the_local_count()
    {
        await using var f = await ProxyFixture.StartAsync(new Dictionary<string, string?> { ["COUNT_TOKENS_MODE"] = "backend" });
        f.Upstream.Enqueue(Reply.Json("""{"count":1234,"max_model_len":131072,"tokens":[]}"""), "/tokenize");
        var (status, body) = await Count(f, """{"model":"m","messages":[{"role":"user","content":"foo"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1234, body["input_tokens"]!.GetValue<int>());
        var tokenize = f.Upstream.Requests.Single(r => r.Path == "/tokenize").Json!;
        Assert.Equal("""[{"role":"user","content":"foo"}]""", tokenize["messages"]!.Json());

        // No /tokenize (the scripted upstream answers 404): the local count.
        var (_, local) = await Count(f, """{"model":"m","messages":[{"role":"user","content":"foo"}]}""");
        Assert.Equal(5, local["input_tokens"]!.GetValue<int>());
        Assert.Empty(f.Upstream.ChatRequests);
    }
}
