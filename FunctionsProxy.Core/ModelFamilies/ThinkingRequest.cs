using System.Text.Json;

namespace FunctionsProxy.ModelFamilies;

/// <summary>What the client asked for in Anthropic terms: <c>thinking.type</c>.</summary>
public enum ThinkingMode { Absent, Enabled, Adaptive, Disabled }

/// <summary>
/// The client's thinking request: <c>thinking</c> (<c>enabled</c> + <c>budget_tokens</c>, <c>adaptive</c>,
/// <c>disabled</c>), <c>output_config.effort</c> (low|medium|high|max) and a <c>:thinking</c>-style model suffix.
/// </summary>
public readonly record struct ThinkingRequest(ThinkingMode Mode, int? BudgetTokens = null, string? Effort = null, bool ForcedBySuffix = false)
{
    /// <summary>Reads the request fields; unknown shapes count as absent (Anthropic accepts and ignores them here).</summary>
    public static ThinkingRequest From(JsonElement? thinking, JsonElement? outputConfig, bool forcedBySuffix)
    {
        var mode = ThinkingMode.Absent;
        int? budget = null;
        if (thinking is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String)
        {
            if (type.ValueEquals("enabled"u8)) mode = ThinkingMode.Enabled;
            else if (type.ValueEquals("adaptive"u8)) mode = ThinkingMode.Adaptive;
            else if (type.ValueEquals("disabled"u8)) mode = ThinkingMode.Disabled;
            if (t.TryGetProperty("budget_tokens"u8, out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetInt32(out var n)) budget = n;
        }
        string? effort = null;
        if (outputConfig is { ValueKind: JsonValueKind.Object } oc && oc.TryGetProperty("effort"u8, out var e) && e.ValueKind == JsonValueKind.String)
        {
            effort = e.GetString() switch
            {
                "low" => "low",
                "medium" => "medium",
                "high" => "high",
                "max" => "max",
                _ => null,
            };
        }
        return new ThinkingRequest(mode, budget, effort, forcedBySuffix);
    }

    /// <summary>Thinking is on: enabled, adaptive, or forced by the model suffix (which wins over disabled).</summary>
    public bool IsOn => ForcedBySuffix || Mode is ThinkingMode.Enabled or ThinkingMode.Adaptive;

    /// <summary>Thinking is explicitly off.</summary>
    public bool IsOff => !ForcedBySuffix && Mode == ThinkingMode.Disabled;
}
