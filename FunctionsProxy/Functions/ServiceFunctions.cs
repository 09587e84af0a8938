using FunctionsProxy.Endpoints;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsProxy.Functions;

/// <summary>Health and Claude Code's telemetry sink: cheap answers that never reach the backend.</summary>
public sealed class ServiceFunctions
{
    [Function("Health")]
    public Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "health")] HttpRequest request)
        => HttpFunction.RunAsync<HealthEndpoint>(request, (e, c) => e.HandleAsync(c));

    [Function("EventLogging")]
    public Task<IActionResult> EventLogging([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/event_logging/batch")] HttpRequest request)
        => HttpFunction.RunAsync<EventLoggingEndpoint>(request, (e, c) => e.HandleAsync(c));
}
