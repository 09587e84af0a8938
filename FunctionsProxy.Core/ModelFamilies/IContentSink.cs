namespace FunctionsProxy.ModelFamilies;

/// <summary>Receives what <see cref="ContentDemultiplexer"/> separates out of assistant content.</summary>
public interface IContentSink
{
    void OnText(ReadOnlySpan<char> text);
    void OnThinking(ReadOnlySpan<char> text);

    /// <summary>A complete tool call written as markup. <paramref name="arguments"/> is JSON object text (normalised by
    /// <see cref="ToolArguments.Normalize"/>); <paramref name="id"/> is the model's own id when the format has one (Kimi).</summary>
    void OnToolCall(string? id, string name, string arguments);
}
