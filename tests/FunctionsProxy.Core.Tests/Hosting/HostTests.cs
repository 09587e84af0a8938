using System.Net;
using FunctionsProxy.Local;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Xunit;

namespace FunctionsProxy.Tests.Hosting;

/// <summary>The local host: health, telemetry sink, configuration validation at start (docs/protocol.md §9.4).</summary>
public sealed class HostTests
{
    [Theory]
    [InlineData("GET", "/")]
    [InlineData("HEAD", "/")]
    [InlineData("GET", "/health")]
    [InlineData("HEAD", "/health")]
    public async Task Health_answers_without_calling_the_backend_or_naming_it(string method, string path)
    {
        await using var f = await ProxyFixture.StartAsync();
        var response = await f.Proxy.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        if (method == "GET") Assert.Equal("""{"status":"ok","service":"FunctionsProxy"}""", body);
        Assert.DoesNotContain(f.Upstream.BaseAddress.Authority, body);
        Assert.Empty(f.Upstream.Requests);
    }

    [Fact]
    public async Task Event_logging_batch_is_accepted_and_not_forwarded()
    {
        await using var f = await ProxyFixture.StartAsync();
        var response = await f.Proxy.Client.PostAsync("/api/event_logging/batch", new StringContent("""{"events":[]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(f.Upstream.Requests);
    }

    [Theory]
    [InlineData("MODEL_MAP", "{not json")]
    [InlineData("MODEL_MAP", "[1,2]")]
    [InlineData("TOOL_NAME_MAP", "{\"a\":1}")]
    [InlineData("CHUTES_AUTH_STYLE", "sometimes")]
    [InlineData("PROXY_MAX_RETRY_ON_429", "many")]
    [InlineData("CHUTES_BASE_URL", "not a url")]
    public async Task Invalid_configuration_refuses_to_start_naming_the_variable(string name, string value)
    {
        var settings = new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", [name] = value };
        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = LocalHost.Build([], settings);
            await app.StartAsync();
        });
        Assert.Contains(name, string.Join(" ", e.Failures));
    }

    [Theory]
    [InlineData("", "http://127.0.0.1:8090")]
    [InlineData("9123", "http://127.0.0.1:9123")]
    public async Task Listens_on_8090_unless_PORT_says_otherwise(string port, string expected)
    {
        await using var app = LocalHost.Build([], new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = "", ["urls"] = "", ["PORT"] = port });
        Assert.Equal(expected, app.Configuration["urls"]);
    }
}
