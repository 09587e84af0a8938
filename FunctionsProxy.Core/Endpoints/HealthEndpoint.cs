using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Endpoints;

/// <summary><c>GET|HEAD /</c> and <c>/health</c>: answers without touching the backend and without naming it.</summary>
public sealed class HealthEndpoint
{
    private static readonly byte[] Body = """{"status":"ok","service":"FunctionsProxy"}"""u8.ToArray();

    public Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        response.ContentLength = Body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(Body, context.RequestAborted).AsTask();
    }
}
