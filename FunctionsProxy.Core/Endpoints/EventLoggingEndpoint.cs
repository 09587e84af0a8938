using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Endpoints;

/// <summary>Claude Code's telemetry batch (<c>POST /api/event_logging/batch</c>): accepted and dropped, never forwarded.</summary>
public sealed class EventLoggingEndpoint
{
    public Task HandleAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
