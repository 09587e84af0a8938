using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace FunctionsProxy.Hosting;

/// <summary>
/// Reads and discards the body of a request the proxy refuses before looking at its body. An HTTP/1.1 client that
/// sends the whole body before it reads the answer (.NET's HttpClient, and so YARP, which is how the Functions host
/// forwards requests to the worker) cannot see an early answer while Kestrel has stopped reading: Kestrel drains an
/// unread body for only 5 s after the answer, then drops the connection, and the forwarder reports a failed request
/// instead of the refusal. Reading the body first sends the answer once the body is in, as any other answer is, and
/// keeps the connection usable.
/// </summary>
internal static class RequestBodyDrain
{
    /// <summary>Reads the rest of the body, up to <paramref name="maxBytes"/>. Past that (or when the body cannot be
    /// read), the answer asks the client to close the connection, as nothing reads what is left.</summary>
    public static async Task DrainAsync(HttpContext context, long maxBytes)
    {
        var request = context.Request;
        if (!RequestGuard.HasBody(request)) return;
        if (request.ContentLength > maxBytes || !await TryReadToEndAsync(request.Body, maxBytes, context.RequestAborted).ConfigureAwait(false))
            context.Response.Headers[HeaderNames.Connection] = "close";
    }

    private static async Task<bool> TryReadToEndAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            while (true)
            {
                var read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0) return true;
                total += read;
                if (total > maxBytes) return false;
            }
        }
        catch (BadHttpRequestException)
        {
            // Bad framing, or over Kestrel's own limit: the client's mistake, answered all the same.
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
