namespace FunctionsProxy.ModelFamilies;

/// <summary>How a backend model is told to think or not (there is no OpenAI standard for it).</summary>
public enum ThinkingSwitch
{
    /// <summary>Send nothing; the model decides.</summary>
    None,
    /// <summary><c>chat_template_kwargs: {"enable_thinking": bool}</c> (Qwen3, GLM).</summary>
    EnableThinkingKwarg,
    /// <summary><c>chat_template_kwargs: {"thinking": bool}</c> (DeepSeek V3.1-style).</summary>
    ThinkingKwarg,
    /// <summary><c>reasoning_effort: low|medium|high</c> (gpt-oss and similar).</summary>
    ReasoningEffort,
    /// <summary>A thinking variant served under its own id: <see cref="ModelProfile.ThinkingModelSuffix"/> appended (e.g. <c>:THINKING</c>).</summary>
    ModelSuffix,
}
