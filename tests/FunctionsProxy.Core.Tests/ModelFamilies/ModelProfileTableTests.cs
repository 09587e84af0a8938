using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Profiles are data: built-in patterns, MODEL_PROFILES overrides, startup validation.</summary>
public sealed class ModelProfileTableTests
{
    [Theory]
    [InlineData("moonshotai/Kimi-K2-Instruct-0905", "kimi-k2")]
    [InlineData("moonshotai/Kimi-K2-Thinking", "kimi-k2-thinking")]
    [InlineData("deepseek-ai/DeepSeek-V3.1-Terminus", "deepseek")]
    [InlineData("deepseek-ai/DeepSeek-V3-0324", "deepseek")]
    [InlineData("deepseek-ai/DeepSeek-R1-0528", "deepseek-r1")]
    [InlineData("Qwen/Qwen3-235B-A22B-Instruct-2507", "qwen3")]
    [InlineData("Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", "qwen3-coder")]
    [InlineData("zai-org/GLM-4.5-Air", "glm-4.5")]
    [InlineData("zai-org/GLM-4.6-FP8", "glm-4.6")]
    [InlineData("openai/gpt-oss-120b", "gpt-oss")]
    [InlineData("unsloth/gemma-3-27b-it", "default")]
    public void Built_in_families_resolve_by_pattern(string id, string profile)
        => Assert.Equal(profile, ModelProfileTable.Builtin.Resolve(id).Name);

    [Fact]
    public void Built_in_profiles_carry_the_family_switches()
    {
        Assert.True(ModelProfileTable.Kimi.SendReasoningBack);
        Assert.True(ModelProfileTable.KimiThinking.SendReasoningBack);
        // Orphan </think> detection (and its streaming hold-back) only where templates open <think> in the prompt.
        Assert.Equal([0, 4096, 4096, 32768, 4096, 0, 0, 0, 0],
            new[] { ModelProfileTable.Kimi, ModelProfileTable.KimiThinking, ModelProfileTable.DeepSeek, ModelProfileTable.DeepSeekR1, ModelProfileTable.Qwen3,
                    ModelProfileTable.Qwen3Coder, ModelProfileTable.Glm, ModelProfileTable.GptOss, ModelProfile.Default }.Select(p => p.OrphanThinkCloseWindow));
        Assert.Equal((ThinkingSwitch.ThinkingKwarg, true), (ModelProfileTable.DeepSeek.Thinking, ModelProfileTable.DeepSeek.SendReasoningBack));
        Assert.Equal((ThinkingSwitch.ThinkingKwarg, true), (ModelProfileTable.DeepSeekR1.Thinking, ModelProfileTable.DeepSeekR1.SendReasoningBack));
        Assert.Equal((ThinkingSwitch.EnableThinkingKwarg, false), (ModelProfileTable.Qwen3.Thinking, ModelProfileTable.Qwen3.SendReasoningBack));
        Assert.Equal((ThinkingSwitch.EnableThinkingKwarg, true), (ModelProfileTable.Glm.Thinking, ModelProfileTable.Glm.SendReasoningBack));
        Assert.Equal(ThinkingSwitch.ReasoningEffort, ModelProfileTable.GptOss.Thinking);
        Assert.Equal(ThinkingSwitch.None, ModelProfile.Default.Thinking);
    }

    [Fact]
    public void Configured_rules_come_first_and_start_from_the_built_in_profile()
    {
        var errors = new List<string>();
        var rules = ModelProfileOptions.Parse("""
            {
              "*kimi-k2*": { "send_reasoning_back": false },
              "org/custom-*": { "base": "gpt-oss", "maxReasoningEffort": "max", "orphan_think_close_window": 0 },
              "other/*": { "thinking": "model_suffix", "thinking_model_suffix": ":THINK", "parse_tool_markup": false },
              "*qwen3*thinking*": { "base": "qwen3", "orphan_think_close_seconds": 0 },
              "*qwen3*slow*": { "base": "qwen3", "orphan_think_close_seconds": 2.5 }
            }
            """, errors);
        Assert.Empty(errors);
        var table = new ModelProfileTable(rules);

        var kimi = table.Resolve("moonshotai/Kimi-K2-Instruct");
        Assert.Equal(ModelProfileTable.Kimi with { Name = "*kimi-k2*", SendReasoningBack = false }, kimi);

        var custom = table.Resolve("org/custom-70b");
        Assert.Equal(ModelProfileTable.GptOss with { Name = "org/custom-*", MaxReasoningEffort = "max", OrphanThinkCloseWindow = 0 }, custom);

        var other = table.Resolve("OTHER/Model");
        Assert.Equal(new ModelProfile { Name = "other/*", Thinking = ThinkingSwitch.ModelSuffix, ThinkingModelSuffix = ":THINK", ParseToolMarkup = false }, other);

        Assert.Equal(ModelProfileTable.Qwen3 with { Name = "*qwen3*thinking*", OrphanThinkCloseTime = TimeSpan.Zero }, table.Resolve("Qwen/Qwen3-235B-A22B-Thinking-2507"));
        Assert.Equal(TimeSpan.FromSeconds(2.5), table.Resolve("Qwen/Qwen3-slow").OrphanThinkCloseTime);
        // Plain answers of hybrid families stream within a second; always-thinking R1 keeps the character window only.
        Assert.Equal(TimeSpan.FromSeconds(1), ModelProfileTable.Qwen3.OrphanThinkCloseTime);
        Assert.Equal(TimeSpan.FromSeconds(1), ModelProfileTable.DeepSeek.OrphanThinkCloseTime);
        Assert.Equal(TimeSpan.Zero, ModelProfileTable.DeepSeekR1.OrphanThinkCloseTime);
        Assert.Equal(TimeSpan.Zero, ModelProfileTable.KimiThinking.OrphanThinkCloseTime);
        Assert.Equal("qwen3", table.Resolve("Qwen/Qwen3-32B").Name);
        Assert.Same(ModelProfile.Default, table.Resolve("x/y"));
    }

    [Theory]
    [InlineData("not json", "MODEL_PROFILES is not valid JSON")]
    [InlineData("[1]", "MODEL_PROFILES must be a JSON object")]
    [InlineData("""{"*x*": 1}""", "MODEL_PROFILES: the value for \"*x*\" must be an object")]
    [InlineData("""{"*x*": {"thinking": "sometimes"}}""", "MODEL_PROFILES \"*x*\": thinking must be one of")]
    [InlineData("""{"*x*": {"send_reasoning_back": "yes"}}""", "MODEL_PROFILES \"*x*\": send_reasoning_back must be true or false")]
    [InlineData("""{"*x*": {"sendReasoningBak": true}}""", "MODEL_PROFILES \"*x*\": unknown field \"sendReasoningBak\"")]
    [InlineData("""{"*x*": {"base": "llama"}}""", "MODEL_PROFILES \"*x*\": base must name a built-in profile")]
    [InlineData("""{"*x*": {"orphan_think_close_window": -1}}""", "MODEL_PROFILES \"*x*\": orphan_think_close_window must be a non-negative integer")]
    [InlineData("""{"*x*": {"orphan_think_close_seconds": "1"}}""", "MODEL_PROFILES \"*x*\": orphan_think_close_seconds must be a number of seconds from 0 to 3600")]
    [InlineData("""{"*x*": {"orphan_think_close_seconds": -0.5}}""", "MODEL_PROFILES \"*x*\": orphan_think_close_seconds must be a number of seconds from 0 to 3600")]
    public void Invalid_configuration_names_the_variable(string json, string message)
    {
        var errors = new List<string>();
        var rules = ModelProfileOptions.Parse(json, errors);
        Assert.Empty(rules);
        Assert.StartsWith(message, Assert.Single(errors));
    }

    [Fact]
    public async Task The_host_refuses_to_start_with_an_invalid_setting()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            ProxyServer.StartAsync(upstream, new Dictionary<string, string?> { [SettingNames.ModelProfiles] = """{"*x*":{"thinking":"sometimes"}}""" }));
        Assert.Contains("MODEL_PROFILES \"*x*\": thinking must be one of", e.Message);
    }

    [Fact]
    public async Task The_host_resolves_models_through_the_configured_table()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var proxy = await ProxyServer.StartAsync(upstream, new Dictionary<string, string?>
        {
            [SettingNames.ModelProfiles] = """{"acme/*":{"base":"deepseek"}}""",
            [SettingNames.ModelMap] = """{"claude-sonnet-4-5":"acme/big-model"}""",
        });
        var resolver = proxy.Services.GetRequiredService<IModelResolver>();
        var resolved = await resolver.ResolveAsync("claude-sonnet-4-5", null, CancellationToken.None);
        Assert.Equal("acme/big-model", resolved.UpstreamId);
        Assert.Equal(ModelProfileTable.DeepSeek with { Name = "acme/*" }, resolved.Profile);
    }
}
