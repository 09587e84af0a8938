using System.Text.Json;
using FunctionsProxy.Buffers;
using FunctionsProxy.Errors;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Endpoints;

/// <summary>Reads a JSON request body into a pooled buffer with a size limit, and parses it.</summary>
public sealed class RequestBody : IDisposable
{
    private readonly PooledBufferWriter _buffer;

    private RequestBody(PooledBufferWriter buffer, JsonDocument document)
    {
        _buffer = buffer;
        Document = document;
    }

    public JsonDocument Document { get; }
    public int Length => _buffer.WrittenCount;

    public static async Task<RequestBody> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength is long declared && declared > maxBytes) throw TooLarge(request, maxBytes);
        var buffer = new PooledBufferWriter(request.ContentLength is long n and > 0 and < int.MaxValue ? (int)n : 16 * 1024);
        try
        {
            try
            {
                while (true)
                {
                    var memory = buffer.GetMemory(8 * 1024);
                    var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                    if (read == 0) break;
                    buffer.Advance(read);
                    if (buffer.WrittenCount > maxBytes) throw TooLarge(request, maxBytes);
                }
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                // Kestrel's limit is this one (plus the byte that tells "over" from "at"), found while it buffered ahead
                // of this loop: the same answer as the loop's own check.
                throw TooLarge(request, maxBytes);
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Kestrel refused the body's framing (bad or overflowing chunk sizes, a truncated body). An IOException
                // would otherwise read as a lost backend connection (529): this one is the client's, not to be retried.
                // A body whose framing failed leaves nothing reusable on the connection.
                request.HttpContext.Response.Headers.Connection = "close";
                throw new ProxyErrorException(ProxyError.InvalidRequest($"The request body could not be read: {e.Message}"));
            }
            if (buffer.WrittenCount == 0) throw new ProxyErrorException(ProxyError.InvalidRequest("Request body is empty; expected a JSON object."));
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = 256 });
            }
            catch (JsonException e)
            {
                throw new ProxyErrorException(ProxyError.InvalidRequest($"Request body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."));
            }
            return new RequestBody(buffer, document);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static ProxyErrorException TooLarge(HttpRequest request, long maxBytes)
    {
        // The rest of the body is never read, and Kestrel cannot drain it past its own limit: the connection ends with
        // this answer. Saying so keeps a forwarder (the Functions host) from pooling it and losing the next request on it.
        request.HttpContext.Response.Headers.Connection = "close";
        return new(ProxyError.TooLarge($"Request body exceeds the proxy's limit of {maxBytes} bytes."));
    }

    public void Dispose()
    {
        Document.Dispose();
        _buffer.Dispose();
    }
}
