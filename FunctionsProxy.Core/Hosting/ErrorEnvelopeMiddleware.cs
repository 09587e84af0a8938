using FunctionsProxy.Errors;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Hosting;

/// <summary>
/// Gives the answers the proxy's endpoints do not write themselves — routing's 404/405, host filtering's 400, a body
/// Kestrel refused to read (bad chunking, over its size limit) — the Anthropic error envelope, so every client sees
/// one error shape. Only an error response that has not started and carries no body of its own is filled in.
/// </summary>
internal sealed class ErrorEnvelopeMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            // A malformed or oversized body is the client's fault: 400/413, never a retryable overload answer.
            context.Response.Clear();
            context.Response.StatusCode = e.StatusCode;
            // The body could not be read to its end: the connection ends with this answer, and says so.
            context.Response.Headers.Connection = "close";
            await WriteAsync(context, $"The request could not be read: {e.Message}").ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null or 0 && string.IsNullOrEmpty(response.ContentType))
            await WriteAsync(context, null).ConfigureAwait(false);
    }

    private static Task WriteAsync(HttpContext context, string? message)
    {
        var status = context.Response.StatusCode;
        var error = new ProxyError(status, ErrorTypes.ForStatus(status), message ?? MessageFor(context, status));
        if (HttpMethods.IsHead(context.Request.Method))
        {
            // A HEAD answer has no body; the status already says it.
            return Task.CompletedTask;
        }
        return AnthropicErrorWriter.WriteAsync(context, error, context.RequestAborted);
    }

    private static string MessageFor(HttpContext context, int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is malformed.",
        StatusCodes.Status404NotFound => "Not found.",
        StatusCodes.Status405MethodNotAllowed => $"Method {context.Request.Method} is not allowed on this route.",
        StatusCodes.Status413PayloadTooLarge => "The request is too large.",
        StatusCodes.Status415UnsupportedMediaType => "The request body must be application/json.",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "The request headers are too large.",
        >= 500 => "The proxy failed to handle the request.",
        _ => $"The request was refused (HTTP {status}).",
    };
}
