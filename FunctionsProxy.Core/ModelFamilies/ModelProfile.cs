namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// Per-model-family behaviour, as data: which switch turns thinking on, whether reasoning goes back in history,
/// which extra sampling parameters the server takes. Profiles are looked up by model-id pattern
/// (<see cref="FunctionsProxy.ModelFamilies.ModelProfileTable"/>) and can be overridden with <c>MODEL_PROFILES</c>.
/// </summary>
public sealed record ModelProfile
{
    public static readonly ModelProfile Default = new() { Name = "default" };

    public required string Name { get; init; }

    public ThinkingSwitch Thinking { get; init; } = ThinkingSwitch.None;

    /// <summary>Send assistant thinking from history back as <c>reasoning_content</c> (interleaved-thinking models).</summary>
    public bool SendReasoningBack { get; init; }

    /// <summary>The server accepts vLLM/SGLang extras such as <c>top_k</c>.</summary>
    public bool AllowsTopK { get; init; } = true;

    /// <summary>Assistant messages with only tool calls carry <c>content: ""</c> instead of <c>null</c>.</summary>
    public bool EmptyStringToolContent { get; init; }

    /// <summary>Highest <c>reasoning_effort</c> the model accepts (for Anthropic's <c>max</c>).</summary>
    public string MaxReasoningEffort { get; init; } = "high";

    /// <summary><c>reasoning_effort</c> sent when the client disables thinking on a <see cref="ThinkingSwitch.ReasoningEffort"/>
    /// model (such models cannot switch reasoning off); null sends nothing.</summary>
    public string? DisabledReasoningEffort { get; init; }

    /// <summary>Suffix appended to the upstream model id when thinking is on (<see cref="ThinkingSwitch.ModelSuffix"/>).</summary>
    public string ThinkingModelSuffix { get; init; } = ":THINKING";

    /// <summary>Split <c>&lt;think&gt;…&lt;/think&gt;</c> written into content (servers without a reasoning parser).</summary>
    public bool ParseThinkTags { get; init; } = true;

    /// <summary>Turn tool-call markup written into content (no tool parser on the server) into tool calls.</summary>
    public bool ParseToolMarkup { get; init; } = true;

    /// <summary>
    /// How far into the content (chars) an orphan <c>&lt;/think&gt;</c> (template opened the tag in the prompt) is
    /// still recognised. While streaming, text is held back until this much arrived or a tag decided it, so it is a
    /// latency/recall trade-off; 0 turns orphan detection off. Not used once the server sent a reasoning field.
    /// Off by default: a plain model's streamed text must not wait; families whose templates open the tag in the
    /// prompt set a window. Non-streaming answers always detect it (the whole text is there, nothing waits).
    /// </summary>
    public int OrphanThinkCloseWindow { get; init; }

    /// <summary>
    /// How long streamed text may be held back for orphan <c>&lt;/think&gt;</c> detection before it is released
    /// anyway, so a plain answer starts streaming within about this time instead of arriving whole at the end.
    /// Applies when the request did not turn thinking on (with thinking on, reasoning is expected first and only
    /// <see cref="OrphanThinkCloseWindow"/> bounds the wait). Zero: no time bound (models that always reason in
    /// content after a template-opened tag, such as DeepSeek R1).
    /// </summary>
    public TimeSpan OrphanThinkCloseTime { get; init; }

    /// <summary>How long streamed text may be held back for an orphan <c>&lt;/think&gt;</c> in an answer to
    /// <paramref name="thinking"/>: no time bound when the request turned thinking on (reasoning is expected before any
    /// answer, and only the character window applies).</summary>
    public TimeSpan HoldBackTime(ThinkingRequest thinking)
        => ParseThinkTags && OrphanThinkCloseWindow > 0 && !thinking.IsOn ? OrphanThinkCloseTime : TimeSpan.Zero;
}
