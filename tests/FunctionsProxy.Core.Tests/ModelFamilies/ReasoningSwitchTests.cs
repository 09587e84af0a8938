using System.Text;
using System.Text.Json;
using FunctionsProxy.ModelFamilies;
using Xunit;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Anthropic thinking/effort → backend switch per profile (docs/protocol.md §7.3).</summary>
public sealed class ReasoningSwitchTests
{
    private static string Written(ModelProfile profile, ThinkingRequest request)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            ReasoningSwitch.Write(w, profile, request);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static ThinkingRequest Parse(string? thinking, string? outputConfig = null, bool suffix = false)
    {
        JsonElement? t = thinking is null ? null : JsonDocument.Parse(thinking).RootElement;
        JsonElement? o = outputConfig is null ? null : JsonDocument.Parse(outputConfig).RootElement;
        return ThinkingRequest.From(t, o, suffix);
    }

    public static TheoryData<string, string?, string?, bool, string> Cases => new()
    {
        // profile, thinking, output_config, suffix, expected body
        { "qwen3", """{"type":"enabled","budget_tokens":31999}""", null, false, """{"chat_template_kwargs":{"enable_thinking":true}}""" },
        { "qwen3", """{"type":"disabled"}""", null, false, """{"chat_template_kwargs":{"enable_thinking":false}}""" },
        { "qwen3", null, null, false, "{}" },
        { "qwen3", null, """{"effort":"high"}""", false, "{}" },
        { "qwen3", """{"type":"disabled"}""", null, true, """{"chat_template_kwargs":{"enable_thinking":true}}""" },
        { "glm-4.5", """{"type":"adaptive"}""", """{"effort":"low"}""", false, """{"chat_template_kwargs":{"enable_thinking":true}}""" },
        { "deepseek", """{"type":"enabled","budget_tokens":2048}""", null, false, """{"chat_template_kwargs":{"thinking":true}}""" },
        { "deepseek", """{"type":"disabled"}""", null, false, """{"chat_template_kwargs":{"thinking":false}}""" },
        { "deepseek", null, null, true, """{"chat_template_kwargs":{"thinking":true}}""" },
        { "gpt-oss", """{"type":"enabled","budget_tokens":1024}""", null, false, """{"reasoning_effort":"low"}""" },
        { "gpt-oss", """{"type":"enabled","budget_tokens":1025}""", null, false, """{"reasoning_effort":"medium"}""" },
        { "gpt-oss", """{"type":"enabled","budget_tokens":8192}""", null, false, """{"reasoning_effort":"medium"}""" },
        { "gpt-oss", """{"type":"enabled","budget_tokens":31999}""", null, false, """{"reasoning_effort":"high"}""" },
        { "gpt-oss", """{"type":"adaptive"}""", """{"effort":"low"}""", false, """{"reasoning_effort":"low"}""" },
        { "gpt-oss", """{"type":"adaptive"}""", """{"effort":"max"}""", false, """{"reasoning_effort":"high"}""" },
        { "gpt-oss", """{"type":"enabled","budget_tokens":31999}""", """{"effort":"low"}""", false, """{"reasoning_effort":"low"}""" },
        { "gpt-oss", null, """{"effort":"medium"}""", false, """{"reasoning_effort":"medium"}""" },
        { "gpt-oss", """{"type":"disabled"}""", null, false, "{}" },
        { "gpt-oss", null, null, false, "{}" },
        { "gpt-oss", """{"type":"adaptive"}""", """{"effort":"extreme"}""", false, "{}" },
        { "kimi-k2", """{"type":"enabled","budget_tokens":31999}""", null, false, "{}" },
        { "default", """{"type":"enabled","budget_tokens":31999}""", null, true, "{}" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Switch_per_profile(string profile, string? thinking, string? outputConfig, bool suffix, string expected)
    {
        var p = ModelProfileTable.BuiltInByName(profile)!;
        Assert.Equal(expected, Written(p, Parse(thinking, outputConfig, suffix)));
    }

    [Fact]
    public void Max_effort_maps_to_the_profiles_highest()
    {
        var p = ModelProfileTable.GptOss with { MaxReasoningEffort = "max" };
        Assert.Equal("""{"reasoning_effort":"max"}""", Written(p, new ThinkingRequest(ThinkingMode.Adaptive, Effort: "max")));
        var disabledLow = ModelProfileTable.GptOss with { DisabledReasoningEffort = "low" };
        Assert.Equal("""{"reasoning_effort":"low"}""", Written(disabledLow, new ThinkingRequest(ThinkingMode.Disabled)));
    }

    [Fact]
    public void Model_suffix_profiles_switch_by_model_id()
    {
        var p = new ModelProfile { Name = "chutes-variant", Thinking = ThinkingSwitch.ModelSuffix };
        Assert.Equal("org/Model:THINKING", ReasoningSwitch.ModelId("org/Model", p, new ThinkingRequest(ThinkingMode.Enabled, 31999)));
        Assert.Equal("org/Model:THINKING", ReasoningSwitch.ModelId("org/Model", p, new ThinkingRequest(ThinkingMode.Absent, ForcedBySuffix: true)));
        Assert.Equal("org/Model", ReasoningSwitch.ModelId("org/Model", p, new ThinkingRequest(ThinkingMode.Disabled)));
        Assert.Equal("org/Model", ReasoningSwitch.ModelId("org/Model", ModelProfileTable.Qwen3, new ThinkingRequest(ThinkingMode.Enabled, 31999)));
        Assert.Equal("{}", Written(p, new ThinkingRequest(ThinkingMode.Enabled, 31999)));
    }

    [Theory]
    [InlineData("moonshotai/Kimi-K2-Instruct:THINKING", "moonshotai/Kimi-K2-Instruct")]
    [InlineData("deepseek-ai/DeepSeek-V3.1:think", "deepseek-ai/DeepSeek-V3.1")]
    [InlineData("m:Reasoning", "m")]
    [InlineData("m:reason", "m")]
    public void Thinking_suffixes_are_stripped(string id, string stripped)
    {
        Assert.True(ModelIdSuffix.TryStrip(id, out var s));
        Assert.Equal(stripped, s);
    }

    [Theory]
    [InlineData("m:thinker")]
    [InlineData(":thinking")]
    [InlineData("Qwen/Qwen3-235B-A22B-Thinking-2507")]
    public void Other_ids_are_not_stripped(string id)
    {
        Assert.False(ModelIdSuffix.TryStrip(id, out var s));
        Assert.Equal(id, s);
    }
}
