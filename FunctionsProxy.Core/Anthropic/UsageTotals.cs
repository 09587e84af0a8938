namespace FunctionsProxy.Anthropic;

/// <summary>Token usage of one model call in Anthropic's terms (input excludes cached prompt tokens): what the client
/// is told and what metering records.</summary>
public readonly record struct UsageTotals(long InputTokens, long OutputTokens, long CacheReadInputTokens);
