namespace FunctionsProxy.Anthropic;

/// <summary>Kinds of Anthropic content blocks the proxy produces.</summary>
public enum BlockKind { Text, Thinking, ToolUse }
