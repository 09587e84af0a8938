using FunctionsProxy.AdminConsole;
using FunctionsProxy.Endpoints;
using FunctionsProxy.Team;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FunctionsProxy.Hosting;

/// <summary>Maps the proxy's routes (<see cref="ProxyRoutes"/>) on a plain ASP.NET Core host (the local host). The
/// Functions app has one trigger per line here, with the same route, methods and <see cref="EndpointRunner"/> call.</summary>
public static class ProxyEndpointRouteBuilderExtensions
{
    private static readonly string[] GetOrHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapFunctionsProxy(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods(ProxyRoutes.Root, GetOrHead, (HttpContext c) => EndpointRunner.RunAsync<HealthEndpoint>(c, (e, c) => e.HandleAsync(c)));
        routes.MapMethods(ProxyRoutes.Health, GetOrHead, (HttpContext c) => EndpointRunner.RunAsync<HealthEndpoint>(c, (e, c) => e.HandleAsync(c)));
        routes.MapPost(ProxyRoutes.Messages, (HttpContext c) => EndpointRunner.RunAsync<MessagesEndpoint>(c, (e, c, client) => e.HandleAsync(c, client)));
        routes.MapPost(ProxyRoutes.CountTokens, (HttpContext c) => EndpointRunner.RunAsync<CountTokensEndpoint>(c, (e, c, client) => e.HandleAsync(c, client)));
        routes.MapGet(ProxyRoutes.Models, (HttpContext c) => EndpointRunner.RunAsync<ModelsEndpoint>(c, (e, c, client) => e.ListAsync(c, client)));
        routes.MapGet(ProxyRoutes.Model, (HttpContext c, string id) => EndpointRunner.RunAsync<ModelsEndpoint>(c, (e, c, client) => e.GetAsync(c, client, id)));
        routes.MapGet(ProxyRoutes.Schemas, (HttpContext c) => EndpointRunner.RunAsync<SchemasEndpoint>(c, (e, c, client) => e.HandleAsync(c, client)));
        routes.MapPost(ProxyRoutes.EventLogging, (HttpContext c) => EndpointRunner.RunAsync<EventLoggingEndpoint>(c, (e, c) => e.HandleAsync(c)));

        // Team administration: the admin key is checked by the endpoints themselves.
        routes.MapGet(ProxyRoutes.AdminKeys, (HttpContext c) => EndpointRunner.RunAsync<AdminEndpoints>(c, (e, c) => e.ListKeysAsync(c)));
        routes.MapPost(ProxyRoutes.AdminKeys, (HttpContext c) => EndpointRunner.RunAsync<AdminEndpoints>(c, (e, c) => e.CreateKeyAsync(c)));
        routes.MapDelete(ProxyRoutes.AdminKey, (HttpContext c, string name) => EndpointRunner.RunAsync<AdminEndpoints>(c, (e, c) => e.RevokeKeyAsync(c, name)));
        routes.MapPost(ProxyRoutes.AdminRotateKey, (HttpContext c, string name) => EndpointRunner.RunAsync<AdminEndpoints>(c, (e, c) => e.RotateKeyAsync(c, name)));
        routes.MapPut(ProxyRoutes.AdminKeyLimits, (HttpContext c, string name) => EndpointRunner.RunAsync<AdminEndpoints>(c, (e, c) => e.SetLimitsAsync(c, name)));
        routes.MapGet(ProxyRoutes.AdminUsage, (HttpContext c) => EndpointRunner.RunAsync<AdminEndpoints>(c, (e, c) => e.UsageAsync(c)));
        routes.MapMethods(ProxyRoutes.AdminConsole, GetOrHead, (HttpContext c) => EndpointRunner.RunAsync<AdminConsoleEndpoint>(c, (e, c) => e.PageAsync(c)));
        routes.MapMethods(ProxyRoutes.AdminConsoleAsset, GetOrHead, (HttpContext c, string name) => EndpointRunner.RunAsync<AdminConsoleEndpoint>(c, (e, c) => e.AssetAsync(c, name)));
        routes.MapGet(ProxyRoutes.AdminStatus, (HttpContext c) => EndpointRunner.RunAsync<AdminStatusEndpoint>(c, (e, c) => e.StatusAsync(c)));
        return routes;
    }
}
