using FunctionsProxy.AdminConsole;
using FunctionsProxy.Endpoints;
using FunctionsProxy.Metering;
using FunctionsProxy.Security;
using FunctionsProxy.Storage;
using FunctionsProxy.Team;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsProxy.Hosting;

/// <summary>Maps the proxy's routes on a plain ASP.NET Core host (the local host). The Functions app maps the
/// same endpoint classes through its triggers.</summary>
public static class ProxyEndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapFunctionsProxy(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], (HttpContext c) => Resolve<HealthEndpoint>(c).HandleAsync(c));
        routes.MapMethods("/health", [HttpMethods.Get, HttpMethods.Head], (HttpContext c) => Resolve<HealthEndpoint>(c).HandleAsync(c));
        routes.MapPost("/v1/messages", (HttpContext c) => Resolve<MessagesEndpoint>(c).HandleAsync(c));
        routes.MapPost("/v1/messages/count_tokens", (HttpContext c) => Resolve<CountTokensEndpoint>(c).HandleAsync(c));
        routes.MapGet("/v1/models", (HttpContext c) => Resolve<ModelsEndpoint>(c).ListAsync(c));
        routes.MapGet("/v1/models/{**id}", (HttpContext c, string id) => Resolve<ModelsEndpoint>(c).GetAsync(c, id));
        routes.MapGet("/_schemas", (HttpContext c) => Resolve<SchemasEndpoint>(c).HandleAsync(c));
        routes.MapPost("/api/event_logging/batch", (HttpContext c) => Resolve<EventLoggingEndpoint>(c).HandleAsync(c));
        // Key management (not under /admin: Azure Functions reserves routes starting with "admin").
        routes.MapGet("/_admin/keys", (HttpContext c) => Resolve<AdminEndpoints>(c).ListKeysAsync(c));
        routes.MapPost("/_admin/keys", (HttpContext c) => Resolve<AdminEndpoints>(c).CreateKeyAsync(c));
        routes.MapDelete("/_admin/keys/{name}", (HttpContext c, string name) => Resolve<AdminEndpoints>(c).RevokeKeyAsync(c, name));
        routes.MapPost("/_admin/keys/{name}/rotate", (HttpContext c, string name) => Resolve<AdminEndpoints>(c).RotateKeyAsync(c, name));
        routes.MapGet("/_admin/usage", (HttpContext c) => Resolve<AdminEndpoints>(c).UsageAsync(c));
        routes.MapAdminConsole();
        return routes;
    }

    private static T Resolve<T>(HttpContext context) where T : notnull => context.RequestServices.GetRequiredService<T>();
}
