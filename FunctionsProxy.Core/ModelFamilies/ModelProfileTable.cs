using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.ModelFamilies;

/// <summary>A model-id pattern (<c>*</c> any run, <c>?</c> one char, case-insensitive, whole id) and its profile.</summary>
public sealed record ModelProfileRule(string Pattern, ModelProfile Profile)
{
    public bool Matches(string modelId) => Glob.IsMatch(Pattern, modelId);
}

/// <summary>
/// Backend model id → <see cref="ModelProfile"/>. The families are data, not code branches: a built-in table of
/// patterns, with <c>MODEL_PROFILES</c> rules checked first (first match wins; unmatched ids get
/// <see cref="ModelProfile.Default"/>). Patterns match the whole id, so <c>*glm-4.5*</c> also covers <c>zai-org/GLM-4.5-Air</c>.
/// </summary>
public sealed class ModelProfileTable
{
    // Orphan </think> windows: only families whose chat templates open <think> in the prompt need one. For the others
    // 0 keeps streamed text flowing from the first byte instead of holding it back.

    /// <summary>K2 Instruct writes no thinking of its own.</summary>
    public static readonly ModelProfile Kimi = new() { Name = "kimi-k2", SendReasoningBack = true, OrphanThinkCloseWindow = 0 };

    public static readonly ModelProfile KimiThinking = Kimi with { Name = "kimi-k2-thinking", OrphanThinkCloseWindow = ContentDemultiplexer.DefaultOrphanCloseWindow };

    /// <summary>How long a plain answer of a hybrid family (thinking not requested) is held back for an orphan
    /// <c>&lt;/think&gt;</c> before it streams anyway.</summary>
    public static readonly TimeSpan PlainAnswerHoldBack = TimeSpan.FromSeconds(1);

    public static readonly ModelProfile DeepSeek = new() { Name = "deepseek", Thinking = ThinkingSwitch.ThinkingKwarg, SendReasoningBack = true, OrphanThinkCloseWindow = ContentDemultiplexer.DefaultOrphanCloseWindow, OrphanThinkCloseTime = PlainAnswerHoldBack };

    /// <summary>R1 templates open <c>&lt;think&gt;</c> in the prompt and reason at length before the orphan close tag.</summary>
    public static readonly ModelProfile DeepSeekR1 = DeepSeek with { Name = "deepseek-r1", OrphanThinkCloseWindow = 32768, OrphanThinkCloseTime = TimeSpan.Zero };

    /// <summary>Qwen3 thinking templates open <c>&lt;think&gt;</c> in the prompt (orphan close tags).</summary>
    public static readonly ModelProfile Qwen3 = new() { Name = "qwen3", Thinking = ThinkingSwitch.EnableThinkingKwarg, OrphanThinkCloseWindow = ContentDemultiplexer.DefaultOrphanCloseWindow, OrphanThinkCloseTime = PlainAnswerHoldBack };

    /// <summary>Qwen3-Coder does not think; its tool calls are the XML <c>&lt;function=…&gt;</c> form.</summary>
    public static readonly ModelProfile Qwen3Coder = Qwen3 with { Name = "qwen3-coder", OrphanThinkCloseWindow = 0 };

    /// <summary>GLM writes its own <c>&lt;think&gt;</c> tag.</summary>
    public static readonly ModelProfile Glm = new() { Name = "glm-4.5", Thinking = ThinkingSwitch.EnableThinkingKwarg, SendReasoningBack = true, OrphanThinkCloseWindow = 0 };

    /// <summary>Harmony-format reasoning always arrives in the reasoning field.</summary>
    public static readonly ModelProfile GptOss = new() { Name = "gpt-oss", Thinking = ThinkingSwitch.ReasoningEffort, MaxReasoningEffort = "high", OrphanThinkCloseWindow = 0 };

    /// <summary>The built-in rules, in match order.</summary>
    public static IReadOnlyList<ModelProfileRule> BuiltIn { get; } =
    [
        new("*kimi-k2-thinking*", KimiThinking),
        new("*kimi-k2*", Kimi),
        new("*deepseek-r1*", DeepSeekR1),
        new("*deepseek-v3*", DeepSeek),
        new("*qwen3-coder*", Qwen3Coder),
        new("*qwen3*", Qwen3),
        new("*glm-4.5*", Glm),
        new("*glm-4.6*", Glm with { Name = "glm-4.6" }),
        new("*gpt-oss*", GptOss),
    ];

    private readonly ModelProfileRule[] _rules;
    private readonly ConcurrentDictionary<string, ModelProfile> _cache = new(StringComparer.Ordinal);

    public ModelProfileTable(IOptions<ModelProfileOptions> options) : this(options.Value.Rules)
    {
    }

    /// <param name="overrides">Rules checked before the built-in ones.</param>
    public ModelProfileTable(IEnumerable<ModelProfileRule> overrides) => _rules = [.. overrides, .. BuiltIn];

    /// <summary>The built-in table alone (no configuration).</summary>
    public static ModelProfileTable Builtin { get; } = new([]);

    public ModelProfile Resolve(string upstreamModelId)
    {
        if (_cache.TryGetValue(upstreamModelId, out var cached)) return cached;
        var profile = ModelProfile.Default;
        foreach (var rule in _rules)
        {
            if (rule.Matches(upstreamModelId))
            {
                profile = rule.Profile;
                break;
            }
        }
        // Ids come from a small set (model map, discovery); a client sending endless new ids gets no unbounded cache.
        if (_cache.Count < 1024) _cache.TryAdd(upstreamModelId, profile);
        return profile;
    }

    /// <summary>The built-in profile a configuration rule starts from: by name, or the one its pattern names.</summary>
    internal static ModelProfile? BuiltInByName(string name)
    {
        foreach (var rule in BuiltIn)
            if (string.Equals(rule.Profile.Name, name, StringComparison.OrdinalIgnoreCase)) return rule.Profile;
        return string.Equals(name, ModelProfile.Default.Name, StringComparison.OrdinalIgnoreCase) ? ModelProfile.Default : null;
    }

    internal static ModelProfile? BuiltInByPattern(string pattern)
    {
        foreach (var rule in BuiltIn)
            if (string.Equals(rule.Pattern, pattern, StringComparison.OrdinalIgnoreCase)) return rule.Profile;
        return null;
    }
}

/// <summary>Wildcard matching without regex: <c>*</c> any run, <c>?</c> one character, ordinal ignore-case.</summary>
internal static class Glob
{
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
