using System.Net;
using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using FunctionsProxy.Local;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace FunctionsProxy.Tests.Fallback;

/// <summary>MODEL_MAP chains, MODEL_ROUTES and the breaker settings: parsed at start, refused with one line naming the
/// variable, and shown (model ids only) by /_schemas and /v1/models.</summary>
public sealed class FallbackConfigurationTests
{
    private static async Task<ProxyOptions> OptionsAsync(Dictionary<string, string?> settings)
    {
        settings["urls"] = "http://127.0.0.1:0";
        await using var app = LocalHost.Build([], settings);
        return app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value;
    }

    [Fact]
    public async Task A_map_value_may_be_a_string_or_an_ordered_list_and_the_first_id_is_the_primary()
    {
        var o = await OptionsAsync(new() { [SettingNames.ModelMap] = """{"opus":["deepseek-ai/DeepSeek-V3.1"," moonshotai/Kimi-K2-Instruct-0905 "],"sonnet":"org/one"}""" });
        Assert.Equal(["deepseek-ai/DeepSeek-V3.1", "moonshotai/Kimi-K2-Instruct-0905"], o.ModelChains["opus"]);
        Assert.Equal(["org/one"], o.ModelChains["sonnet"]);
        Assert.Equal("deepseek-ai/DeepSeek-V3.1", o.ModelMap["opus"]);
        Assert.Equal("org/one", o.ModelMap["sonnet"]);
    }

    [Fact]
    public async Task Routes_and_breaker_settings_are_read()
    {
        var o = await OptionsAsync(new()
        {
            [SettingNames.ModelRoutes] = """{"long_context":{"min_input_tokens":60000,"model":["org/long","org/long2"]},"thinking":{"model":"org/think"}}""",
            [SettingNames.ModelCooldown] = "45",
            [SettingNames.ModelFailureThreshold] = "5",
            [SettingNames.ModelFirstByteTimeout] = "20",
        });
        Assert.Equal(["org/long", "org/long2"], o.ModelRoutes.LongContext);
        Assert.Equal(60000, o.ModelRoutes.LongContextMinInputTokens);
        Assert.Equal(["org/think"], o.ModelRoutes.Thinking);
        Assert.Equal(TimeSpan.FromSeconds(45), o.ModelCooldown);
        Assert.Equal(5, o.ModelFailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(20), o.ModelFirstByteTimeout);
    }

    [Fact]
    public async Task Defaults_cool_a_model_down_for_a_minute_after_three_failures()
    {
        var o = await OptionsAsync([]);
        Assert.Equal(TimeSpan.FromSeconds(60), o.ModelCooldown);
        Assert.Equal(3, o.ModelFailureThreshold);
        Assert.Equal(TimeSpan.FromSeconds(60), o.ModelFirstByteTimeout);
        Assert.True(o.ModelRoutes.IsEmpty);
    }

    [Theory]
    [InlineData("MODEL_MAP", """{"opus":[]}""", "MODEL_MAP: the value for \"opus\" must be a model id or a non-empty list of model ids.")]
    [InlineData("MODEL_MAP", """{"opus":["a",""]}""", "MODEL_MAP: the value for \"opus\" must list model ids as non-empty strings.")]
    [InlineData("MODEL_MAP", """{"opus":["a","b","a"]}""", "MODEL_MAP: the value for \"opus\" lists \"a\" twice.")]
    [InlineData("MODEL_MAP", """{"opus":{"model":"a"}}""", "MODEL_MAP: the value for \"opus\" must be a model id or a non-empty list of model ids.")]
    [InlineData("MODEL_ROUTES", """{"long-context":{"model":"a"}}""", "MODEL_ROUTES: unknown route \"long-context\"; the routes are long_context and thinking.")]
    [InlineData("MODEL_ROUTES", """{"long_context":{"model":"a"}}""", "MODEL_ROUTES: long_context.min_input_tokens must be a positive integer.")]
    [InlineData("MODEL_ROUTES", """{"long_context":{"min_input_tokens":0,"model":"a"}}""", "MODEL_ROUTES: long_context.min_input_tokens must be a positive integer.")]
    [InlineData("MODEL_ROUTES", """{"thinking":{}}""", "MODEL_ROUTES: thinking.model is required (a model id or a list of them).")]
    [InlineData("MODEL_ROUTES", """{"thinking":{"model":"a","min_input_tokens":5}}""", "MODEL_ROUTES: unknown key \"thinking.min_input_tokens\".")]
    [InlineData("MODEL_ROUTES", """["a"]""", "MODEL_ROUTES must be a JSON object")]
    [InlineData("MODEL_ROUTES", "{nope", "MODEL_ROUTES is not valid JSON")]
    [InlineData("MODEL_COOLDOWN", "soon", "MODEL_COOLDOWN must be a number of seconds.")]
    [InlineData("MODEL_COOLDOWN", "0", "MODEL_COOLDOWN must be greater than 0 (set MODEL_FAILURE_THRESHOLD=0 to turn the breaker off).")]
    [InlineData("MODEL_FAILURE_THRESHOLD", "-1", "MODEL_FAILURE_THRESHOLD must be a non-negative integer.")]
    [InlineData("MODEL_FAILURE_THRESHOLD", "101", "MODEL_FAILURE_THRESHOLD must be at most 100 (0 turns the breaker off).")]
    [InlineData("MODEL_FIRST_BYTE_TIMEOUT", "0", "MODEL_FIRST_BYTE_TIMEOUT must be greater than 0.")]
    public async Task Invalid_settings_refuse_the_start_with_one_line_naming_the_variable(string name, string value, string expected)
    {
        var settings = new Dictionary<string, string?> { ["urls"] = "http://127.0.0.1:0", [name] = value };
        var e = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = LocalHost.Build([], settings);
            await app.StartAsync();
        });
        var failure = Assert.Single(e.Failures);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
    }

    [Fact]
    public async Task Models_and_schemas_list_chains_by_their_alias_and_show_routes_and_the_breaker()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/models", _ => Reply.Json("""{"object":"list","data":[{"id":"org/first","object":"model","created":1752000000,"owned_by":"org","max_model_len":131072}]}"""));
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?>
        {
            [SettingNames.ApiKey] = "sk-backend-SECRET-1234",
            [SettingNames.ModelMap] = """{"claude-opus-4-1":["org/first","org/second"],"sonnet":"org/one"}""",
            [SettingNames.ModelRoutes] = """{"long_context":{"min_input_tokens":60000,"model":"org/long"},"thinking":{"model":["org/think","org/first"]}}""",
        });

        using var models = await proxy.Client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        var data = JsonNode.Parse(await models.Content.ReadAsStringAsync())!["data"]!.AsArray();
        var opus = data.Single(m => m!["id"]!.GetValue<string>() == "claude-opus-4-1")!;
        // The alias carries its primary's capabilities (the catalog knows org/first's context length).
        Assert.Equal(131072, opus["max_input_tokens"]!.GetValue<int>());

        using var schemas = await proxy.Client.GetAsync("/_schemas");
        var text = await schemas.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text)!;
        Assert.Equal("""{"claude-opus-4-1":["org/first","org/second"],"sonnet":["org/one"]}""", body["model_chains"]!.ToJsonString());
        Assert.Equal("""{"long_context":{"min_input_tokens":60000,"model":["org/long"]},"thinking":{"model":["org/think","org/first"]}}""", body["model_routes"]!.ToJsonString());
        Assert.Equal("""{"failure_threshold":3,"cooldown_seconds":60,"first_byte_timeout_seconds":60,"store":"memory","cooling_down":[]}""", body["circuit_breaker"]!.ToJsonString());
        Assert.Equal(4, body["routing_order"]!.AsArray().Count);
        Assert.StartsWith("model_routes.long_context", body["routing_order"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("org/first", body["model_map"]!["claude-opus-4-1"]!.GetValue<string>());
        Assert.DoesNotContain("SECRET", text, StringComparison.Ordinal);
        Assert.DoesNotContain(upstream.BaseUrl, text, StringComparison.Ordinal);
    }
}
