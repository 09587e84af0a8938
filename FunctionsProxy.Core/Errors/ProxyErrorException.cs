namespace FunctionsProxy.Errors;

/// <summary>
/// Thrown where a request cannot continue, before or after the answer began (a backend that reports an error inside
/// a 200 stream included); the endpoint turns it into an Anthropic error response or SSE <c>error</c> event. The
/// exception text names only the status and type: the message can be backend text, and reaches clients and logs only
/// through <see cref="Security.SecretScrubber"/>.
/// </summary>
public sealed class ProxyErrorException(ProxyError error) : Exception($"The request failed with {error.Status} {error.Type}.")
{
    public ProxyError Error { get; } = error;
}
