using FunctionsProxy.Configuration;
using FunctionsProxy.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace FunctionsProxy.Hosting;

/// <summary>
/// Refuses what a browser page or an oversized request could do to a proxy that holds a backend key, before any
/// authentication or backend call: an <c>Origin</c> not listed in <c>PROXY_ALLOWED_ORIGINS</c> (403), a POST body
/// that is not JSON (415; a page's <c>text/plain</c> "simple request" needs no CORS preflight), and header blocks
/// above <see cref="MaxRequestHeaderBytes"/> (431). A refused request's body is read before the answer
/// (<see cref="RequestBodyDrain"/>), so that a forwarding proxy sees it.
/// The local host runs it as middleware (<see cref="RequestGuardMiddleware"/>); the Functions app at the start of every
/// trigger (<see cref="RefusedAsync"/>), because there a request answered before its function runs leaves the worker's
/// invocation waiting for it, to be reported failed after 15 s.
/// </summary>
public sealed class RequestGuard
{
    /// <summary>The proxy's own header limit (Kestrel's default). Kestrel's hard limit sits above it so that the
    /// proxy, not Kestrel's bare answer, replies to the usual oversized requests.</summary>
    public const int MaxRequestHeaderBytes = 32 * 1024;

    private readonly AllowedOrigins _origins;
    private readonly IOptions<ProxyOptions> _options;

    internal RequestGuard(AllowedOrigins origins, IOptions<ProxyOptions> options)
    {
        _origins = origins;
        _options = options;
    }

    /// <summary>Answers <paramref name="context"/> with its refusal when one applies; true when it did (the caller
    /// then does nothing more).</summary>
    public static async Task<bool> RefusedAsync(HttpContext context)
    {
        var guard = context.RequestServices.GetRequiredService<RequestGuard>();
        if (guard.Check(context.Request) is not { } refusal) return false;
        try
        {
            await guard.RefuseAsync(context, refusal).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client left while its refused body was drained or the answer written: the request is handled (a
            // trigger that threw would be reported as a failed invocation).
        }
        return true;
    }

    /// <summary>The refusal <paramref name="request"/> gets, or null when it may go on.</summary>
    internal ProxyError? Check(HttpRequest request)
    {
        if (HeaderBytes(request.Headers) > MaxRequestHeaderBytes)
        {
            return new ProxyError(StatusCodes.Status431RequestHeaderFieldsTooLarge, ErrorTypes.InvalidRequest,
                $"The request headers exceed {MaxRequestHeaderBytes} bytes.");
        }

        var origin = request.Headers.Origin;
        if (origin.Count > 0 && !(origin.Count == 1 && (_origins.Contains(origin[0]) || IsAdminConsoleCall(request, origin[0]))))
            return ProxyError.Permission("Requests from web pages are refused: this Origin is not listed in PROXY_ALLOWED_ORIGINS.");

        if (HttpMethods.IsPost(request.Method) && HasBody(request) && !IsJson(request.ContentType))
        {
            return new ProxyError(StatusCodes.Status415UnsupportedMediaType, ErrorTypes.InvalidRequest,
                "The request body must be sent with Content-Type: application/json.");
        }

        return null;
    }

    internal async Task RefuseAsync(HttpContext context, ProxyError error)
    {
        await RequestBodyDrain.DrainAsync(context, _options.Value.MaxRequestBodyBytes).ConfigureAwait(false);
        await AnthropicErrorWriter.WriteAsync(context, error, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The admin console is a page this app serves itself: its calls to <c>/_admin</c> carry the app's own origin.
    /// A foreign page can only present that origin through DNS rebinding, which the local host's <c>Host</c> filter
    /// refuses and a hosted app's front end cannot be pointed at; and every admin call still needs the admin key in a
    /// header, which no other page can read.
    /// </summary>
    private static bool IsAdminConsoleCall(HttpRequest request, string? origin)
    {
        if (!request.Path.StartsWithSegments("/_admin", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || !request.Host.HasValue)
        {
            return false;
        }

        var port = request.Host.Port ?? (uri.IsDefaultPort ? uri.Port : -1);
        return uri.Host.Equals(request.Host.Host, StringComparison.OrdinalIgnoreCase) && uri.Port == port;
    }

    /// <summary>The request carries a body (a length above 0, or chunked).</summary>
    internal static bool HasBody(HttpRequest request)
        => request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    private static bool IsJson(string? contentType)
        => MediaTypeHeaderValue.TryParse(contentType, out var media)
            && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            total += name.Length + 4; // ": " and CRLF, as on the wire
            foreach (var value in values) total += value?.Length ?? 0;
        }
        return total;
    }
}
