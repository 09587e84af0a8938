using System.Text.Json;
using FunctionsProxy.Errors;
using FunctionsProxy.OpenAi;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Streaming;

/// <summary>The shape of a backend's 2xx answer: an SSE stream, or one JSON completion read whole.</summary>
public static class UpstreamAnswer
{
    public static bool IsEventStream(HttpResponseMessage response)
        => response.Content.Headers.ContentType?.MediaType is { } mt && mt.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>A whole JSON answer, checked before anything is written, so an unreadable body or an <c>error</c>
    /// object still gets its real HTTP status.</summary>
    /// <exception cref="ProxyErrorException">Not JSON, not a completion, an error document, or no choices.</exception>
    public static async Task<ChatCompletion> ReadWholeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        EnsureJson(response);
        ChatCompletion? completion;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
                completion = await UpstreamChunkReader.ReadCompletionAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            completion = null;
        }
        catch (IOException)
        {
            throw new ProxyErrorException(ProxyError.Overloaded("The backend connection was lost before its answer was complete."));
        }
        if (completion is null) throw UpstreamFailure.NotJson();
        if (UpstreamErrorMapper.FromCompletion(completion) is { } error) throw new ProxyErrorException(error);
        if (completion.Choices is not { Count: > 0 }) throw new ProxyErrorException(UpstreamErrorMapper.NoChoices());
        return completion;
    }

    private static void EnsureJson(HttpResponseMessage response)
    {
        var mt = response.Content.Headers.ContentType?.MediaType;
        if (mt is null || mt.Contains("json", StringComparison.OrdinalIgnoreCase)) return;
        throw new ProxyErrorException(ProxyError.Api($"The backend answered with {mt} instead of JSON.", StatusCodes.Status502BadGateway));
    }
}
