using FunctionsProxy.AdminConsole;
using FunctionsProxy.Endpoints;
using FunctionsProxy.Team;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsProxy.Functions;

/// <summary>The team admin console (page, script, styles), its status call and key limits, as on the local host
/// (<c>AdminConsoleRouteBuilderExtensions</c>). The page answers 404 when no admin key is configured.</summary>
public sealed class AdminConsoleFunctions
{
    [Function("AdminConsole")]
    public Task<IActionResult> Page([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = ProxyRoutes.AdminConsole)] HttpRequest request)
        => HttpFunction.RunAsync<AdminConsoleEndpoint>(request, (e, c) => e.PageAsync(c));

    [Function("AdminConsoleAsset")]
    public Task<IActionResult> Asset([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = ProxyRoutes.AdminConsoleAsset)] HttpRequest request, string name)
        => HttpFunction.RunAsync<AdminConsoleEndpoint>(request, (e, c) => e.AssetAsync(c, name));

    [Function("AdminStatus")]
    public Task<IActionResult> Status([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProxyRoutes.AdminStatus)] HttpRequest request)
        => HttpFunction.RunAsync<AdminStatusEndpoint>(request, (e, c) => e.StatusAsync(c));

    [Function("AdminSetKeyLimits")]
    public Task<IActionResult> SetLimits([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = ProxyRoutes.AdminKeyLimits)] HttpRequest request, string name)
        => HttpFunction.RunAsync<AdminEndpoints>(request, (e, c) => e.SetLimitsAsync(c, name));
}
