using System.Text.Json.Nodes;
using Xunit;

namespace FunctionsProxy.Tests.Infrastructure;

/// <summary>One answer read whole: status, headers and the SSE frames of its body.</summary>
public sealed class StreamResult
{
    public StreamResult(HttpResponseMessage response, string body)
    {
        Status = (int)response.StatusCode;
        ContentType = response.Content.Headers.ContentType?.ToString();
        Headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        Body = body;
    }

    public int Status { get; }
    public string? ContentType { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }
    public string Body { get; }

    private IReadOnlyList<SseFrame>? _frames;
    public IReadOnlyList<SseFrame> Frames => _frames ??= SseFrames.Parse(Body);

    public string[] Shape => SseFrames.Shape(Frames);

    public JsonNode Event(string type) => Frames.Single(f => f.Event == type).Json;

    public string Concat(int index, string field) => SseFrames.Concat(Frames, index, field);

    /// <summary>Checks the grammar every stream must obey: frame event = data.type, indices strictly increasing,
    /// one open block at a time, every delta inside its open block, at most one message_stop and it comes last.</summary>
    public void AssertWellFormed()
    {
        Assert.Equal(200, Status);
        SseFrames.AssertGrammar(Frames);
        Assert.DoesNotContain("[DONE]", Body, StringComparison.Ordinal);
    }
}
