using System.Text.Json;

namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// Anthropic <c>thinking</c>/<c>output_config.effort</c> → the backend's own switch (docs/protocol.md §7.3), chosen by the
/// profile: <c>chat_template_kwargs.enable_thinking</c> (Qwen3, GLM), <c>chat_template_kwargs.thinking</c> (DeepSeek
/// V3.1), <c>reasoning_effort</c> (gpt-oss), or a thinking variant of the model id. Nothing is written when the client
/// said nothing (the server default stays), unless a <c>:thinking</c> suffix forced thinking on.
/// </summary>
public static class ReasoningSwitch
{
    public static void Write(Utf8JsonWriter writer, ModelProfile profile, ThinkingRequest request)
    {
        switch (profile.Thinking)
        {
            case ThinkingSwitch.EnableThinkingKwarg:
                WriteKwarg(writer, "enable_thinking"u8, request);
                break;
            case ThinkingSwitch.ThinkingKwarg:
                WriteKwarg(writer, "thinking"u8, request);
                break;
            case ThinkingSwitch.ReasoningEffort:
                if (Effort(profile, request) is { } effort) writer.WriteString("reasoning_effort"u8, effort);
                break;
        }
    }

    /// <summary>The id to send: for <see cref="ThinkingSwitch.ModelSuffix"/> profiles with thinking on, the thinking
    /// variant (<see cref="ModelProfile.ThinkingModelSuffix"/> appended); otherwise <paramref name="upstreamId"/>.</summary>
    public static string ModelId(string upstreamId, ModelProfile profile, ThinkingRequest request)
        => profile.Thinking == ThinkingSwitch.ModelSuffix && request.IsOn && !string.IsNullOrEmpty(profile.ThinkingModelSuffix)
            ? upstreamId + profile.ThinkingModelSuffix
            : upstreamId;

    /// <summary>The <c>reasoning_effort</c> for a request, or null to send none. Explicit effort wins over the budget;
    /// budget ≤1024 → low, ≤8192 → medium, else high; <c>max</c> → the profile's highest.</summary>
    public static string? Effort(ModelProfile profile, ThinkingRequest request)
    {
        if (request.IsOff) return profile.DisabledReasoningEffort;
        if (request.Effort is { } effort) return effort == "max" ? profile.MaxReasoningEffort : effort;
        if (request.Mode == ThinkingMode.Enabled && request.BudgetTokens is int budget)
            return budget <= 1024 ? "low" : budget <= 8192 ? "medium" : "high";
        return null;
    }

    private static void WriteKwarg(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ThinkingRequest request)
    {
        if (!request.IsOn && !request.IsOff) return;
        writer.WriteStartObject("chat_template_kwargs"u8);
        writer.WriteBoolean(name, request.IsOn);
        writer.WriteEndObject();
    }
}
