namespace FunctionsProxy.ModelFamilies;

/// <summary>The tool-call formats open-weight models write into text when the server runs no tool parser.</summary>
internal enum MarkupKind
{
    None,
    ThinkOpen,
    ThinkClose,
    /// <summary>Kimi K2: <c>&lt;|tool_calls_section_begin|&gt; &lt;|tool_call_begin|&gt;functions.NAME:IDX&lt;|tool_call_argument_begin|&gt;{json}&lt;|tool_call_end|&gt; … &lt;|tool_calls_section_end|&gt;</c>.</summary>
    KimiSection,
    /// <summary>Kimi K2 variant spelling <c>&lt;|tool_call_section_begin|&gt;</c>.</summary>
    KimiSectionSingular,
    /// <summary>A Kimi call without the section wrapper.</summary>
    KimiCall,
    /// <summary>DeepSeek V3/V3.1/R1 full-width markers: <c>&lt;｜tool▁calls▁begin｜&gt; … &lt;｜tool▁calls▁end｜&gt;</c>.</summary>
    DeepSeekSection,
    DeepSeekCall,
    /// <summary><c>&lt;tool_call&gt;…&lt;/tool_call&gt;</c>: Hermes/Qwen JSON, Qwen3-Coder XML or GLM-4.5 arg_key/arg_value.</summary>
    XmlToolCall,
}
