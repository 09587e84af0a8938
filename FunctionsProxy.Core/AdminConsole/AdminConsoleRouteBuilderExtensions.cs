using FunctionsProxy.Team;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsProxy.AdminConsole;

/// <summary>Routes of the admin console and the admin API calls it adds (status, limits). The Functions app has
/// the same routes in <c>AdminConsoleFunctions</c>.</summary>
public static class AdminConsoleRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapAdminConsole(this IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/_admin", [HttpMethods.Get, HttpMethods.Head], (HttpContext c) => Resolve<AdminConsoleEndpoint>(c).PageAsync(c));
        routes.MapMethods("/_admin/assets/{name}", [HttpMethods.Get, HttpMethods.Head], (HttpContext c, string name) => Resolve<AdminConsoleEndpoint>(c).AssetAsync(c, name));
        routes.MapGet("/_admin/status", (HttpContext c) => Resolve<AdminStatusEndpoint>(c).StatusAsync(c));
        routes.MapPut("/_admin/keys/{name}/limits", (HttpContext c, string name) => Resolve<AdminEndpoints>(c).SetLimitsAsync(c, name));
        return routes;
    }

    private static T Resolve<T>(HttpContext context) where T : notnull => context.RequestServices.GetRequiredService<T>();
}
