using FunctionsProxy.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsProxy.Functions;

/// <summary>Health and Claude Code's telemetry sink: cheap answers that never reach the backend.</summary>
public sealed class ServiceFunctions
{
    /// <summary><c>GET|HEAD /</c>: health at the site root, in place of the Functions host's home page.</summary>
    [Function("Root")]
    public Task<IActionResult> Root([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = ProxyRoutes.Root)] HttpRequest request)
        => HttpFunction.RunAsync<HealthEndpoint>(request, (e, c) => e.HandleAsync(c));

    [Function("Health")]
    public Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = ProxyRoutes.Health)] HttpRequest request)
        => HttpFunction.RunAsync<HealthEndpoint>(request, (e, c) => e.HandleAsync(c));

    [Function("EventLogging")]
    public Task<IActionResult> EventLogging([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ProxyRoutes.EventLogging)] HttpRequest request)
        => HttpFunction.RunAsync<EventLoggingEndpoint>(request, (e, c) => e.HandleAsync(c));
}
