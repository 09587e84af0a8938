using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.ModelFamilies;

namespace FunctionsProxy.Tests.ModelFamilies;

/// <summary>Collects demultiplexer output as a normalised event list: adjacent text (or thinking) pieces merged, so
/// results compare equal however the input was chunked.</summary>
public sealed class RecordingSink : IContentSink
{
    private readonly List<(string Kind, StringBuilder Text)> _segments = [];

    public List<(string? Id, string Name, string Arguments)> ToolCalls { get; } = [];
    public int Calls { get; private set; }

    public void OnText(ReadOnlySpan<char> text) => Add("text", text);
    public void OnThinking(ReadOnlySpan<char> text) => Add("thinking", text);

    public void OnToolCall(string? id, string name, string arguments)
    {
        Calls++;
        _segments.Add(("tool", new StringBuilder($"{id}|{name}|{JsonNode.Parse(arguments)!.ToJsonString()}")));
        ToolCalls.Add((id, name, arguments));
    }

    private void Add(string kind, ReadOnlySpan<char> text)
    {
        Calls++;
        if (text.IsEmpty) return;
        if (_segments.Count > 0 && _segments[^1].Kind == kind) _segments[^1].Text.Append(text);
        else _segments.Add((kind, new StringBuilder().Append(text)));
    }

    public string Text => string.Concat(_segments.Where(s => s.Kind == "text").Select(s => s.Text.ToString()));
    public string Thinking => string.Concat(_segments.Where(s => s.Kind == "thinking").Select(s => s.Text.ToString()));

    /// <summary>"kind:content" per segment, in order.</summary>
    public string[] Events => _segments.Select(s => s.Kind + ":" + s.Text).ToArray();

    public static RecordingSink Run(IEnumerable<string> chunks, bool thinkTags = true, bool toolMarkup = true, int window = ContentDemultiplexer.DefaultOrphanCloseWindow)
    {
        var sink = new RecordingSink();
        var demux = new ContentDemultiplexer(thinkTags, toolMarkup, window);
        foreach (var chunk in chunks) demux.Push(chunk, sink);
        demux.Complete(sink);
        return sink;
    }

    public static RecordingSink Run(string content, bool thinkTags = true, bool toolMarkup = true, int window = ContentDemultiplexer.DefaultOrphanCloseWindow)
        => Run([content], thinkTags, toolMarkup, window);

    /// <summary>The content cut at the given (sorted, in-range) positions.</summary>
    public static IEnumerable<string> Cut(string content, params int[] positions)
    {
        var last = 0;
        foreach (var p in positions)
        {
            yield return content[last..p];
            last = p;
        }
        yield return content[last..];
    }
}
