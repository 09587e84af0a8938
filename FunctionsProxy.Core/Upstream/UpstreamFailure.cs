using System.Text.Json;
using FunctionsProxy.Errors;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Upstream;

/// <summary>
/// What the client is told when the backend call fails with an exception rather than an HTTP status (those are
/// <see cref="UpstreamErrorMapper"/>'s): the one table for before the answer began, where the error keeps its HTTP
/// status, and the one for after the 200 went out, where it becomes an SSE <c>error</c> event.
/// </summary>
public static class UpstreamFailure
{
    /// <summary>Before anything was written. Null for an exception that is not the backend's (a defect: the endpoint
    /// runner answers it as 500).</summary>
    /// <param name="timeout"><c>PROXY_UPSTREAM_TIMEOUT</c>, named in the timeout message.</param>
    public static ProxyError? BeforeAnswer(Exception e, TimeSpan timeout) => e switch
    {
        ProxyErrorException p => p.Error,
        OperationCanceledException => ProxyError.Timeout($"The backend did not answer within {timeout.TotalSeconds:0} s. Long generations should use streaming."),
        // Connection refused/reset before any answer: retryable for clients (Claude Code backs off on 529).
        HttpRequestException h => ProxyError.Overloaded($"The backend could not be reached ({h.HttpRequestError})."),
        // The backend dropped the connection while a non-stream answer was being read.
        IOException => ProxyError.Overloaded("The backend connection was lost before the answer was complete."),
        _ => null,
    };

    /// <summary>After the 200 and <c>message_start</c> went out: every failure is an <c>error</c> event, never a fake
    /// <c>message_stop</c>. <see cref="MidStreamIsBackends"/> tells the backend's failures from the proxy's own.</summary>
    /// <param name="idleTimeout">The idle limit a stream ran into, named in the message.</param>
    public static ProxyError MidStream(Exception e, TimeSpan idleTimeout) => e switch
    {
        ProxyErrorException p => p.Error,
        JsonException => ProxyError.Api("The backend sent an unreadable stream chunk."),
        OperationCanceledException => ProxyError.Api($"The backend sent nothing for {idleTimeout.TotalSeconds:0.#} s."),
        IOException or HttpRequestException => ProxyError.Api("The backend connection was lost mid-stream."),
        _ => ProxyError.Api("The proxy failed while relaying the stream."),
    };

    /// <summary>The failure came from the backend (logged as such, without a stack trace), not from the proxy.</summary>
    public static bool MidStreamIsBackends(Exception e)
        => e is ProxyErrorException or JsonException or IOException or HttpRequestException or OperationCanceledException;

    /// <summary>A stream that ended with neither a <c>finish_reason</c> nor <c>[DONE]</c>, or a whole answer without
    /// choices: the answer is not complete, so it is not passed on as one.</summary>
    public static ProxyErrorException Truncated() => new(UpstreamErrorMapper.Truncated());

    public static ProxyErrorException NotJson()
        => new(ProxyError.Api("The backend returned a response that is not valid JSON.", StatusCodes.Status502BadGateway));
}
