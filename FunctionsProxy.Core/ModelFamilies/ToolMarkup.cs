using System.Buffers;

namespace FunctionsProxy.ModelFamilies;

/// <summary>The marker table: the strings that open and close each <see cref="MarkupKind"/> (checked against vLLM's
/// kimi_k2, deepseekv3/v31, hermes, qwen3coder and glm45 tool parsers). <see cref="ToolMarkupParser"/> reads the
/// regions between them.</summary>
internal static class ToolMarkup
{
    public const string ThinkOpen = "<think>";
    public const string ThinkClose = "</think>";

    public const string KimiSectionBegin = "<|tool_calls_section_begin|>";
    public const string KimiSectionEnd = "<|tool_calls_section_end|>";
    public const string KimiSectionBeginSingular = "<|tool_call_section_begin|>";
    public const string KimiSectionEndSingular = "<|tool_call_section_end|>";
    public const string KimiCallBegin = "<|tool_call_begin|>";
    public const string KimiCallEnd = "<|tool_call_end|>";
    public const string KimiArgumentBegin = "<|tool_call_argument_begin|>";

    public const string DeepSeekSectionBegin = "<｜tool▁calls▁begin｜>";
    public const string DeepSeekSectionEnd = "<｜tool▁calls▁end｜>";
    public const string DeepSeekCallBegin = "<｜tool▁call▁begin｜>";
    public const string DeepSeekCallEnd = "<｜tool▁call▁end｜>";
    public const string DeepSeekSep = "<｜tool▁sep｜>";

    public const string XmlBegin = "<tool_call>";
    public const string XmlEnd = "</tool_call>";

    /// <summary>Every marker starts with '&lt;': plain text is scanned for this one character only.</summary>
    public static readonly SearchValues<char> MarkerStart = SearchValues.Create("<");

    public static string Begin(MarkupKind kind) => kind switch
    {
        MarkupKind.ThinkOpen => ThinkOpen,
        MarkupKind.ThinkClose => ThinkClose,
        MarkupKind.KimiSection => KimiSectionBegin,
        MarkupKind.KimiSectionSingular => KimiSectionBeginSingular,
        MarkupKind.KimiCall => KimiCallBegin,
        MarkupKind.DeepSeekSection => DeepSeekSectionBegin,
        MarkupKind.DeepSeekCall => DeepSeekCallBegin,
        MarkupKind.XmlToolCall => XmlBegin,
        _ => "",
    };

    public static string End(MarkupKind kind) => kind switch
    {
        MarkupKind.KimiSection => KimiSectionEnd,
        MarkupKind.KimiSectionSingular => KimiSectionEndSingular,
        MarkupKind.KimiCall => KimiCallEnd,
        MarkupKind.DeepSeekSection => DeepSeekSectionEnd,
        MarkupKind.DeepSeekCall => DeepSeekCallEnd,
        MarkupKind.XmlToolCall => XmlEnd,
        _ => "",
    };

    public static readonly MarkupKind[] ToolKinds =
    [
        MarkupKind.KimiSection, MarkupKind.KimiSectionSingular, MarkupKind.KimiCall,
        MarkupKind.DeepSeekSection, MarkupKind.DeepSeekCall, MarkupKind.XmlToolCall,
    ];
}
