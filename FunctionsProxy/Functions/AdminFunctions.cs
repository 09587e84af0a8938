using FunctionsProxy.Endpoints;
using FunctionsProxy.Team;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsProxy.Functions;

/// <summary>Team key management, guarded by the proxy's admin key in Core. Under <c>_admin</c> because the Functions
/// host reserves routes that start with <c>admin</c>.</summary>
public sealed class AdminFunctions
{
    [Function("AdminListKeys")]
    public Task<IActionResult> ListKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProxyRoutes.AdminKeys)] HttpRequest request)
        => HttpFunction.RunAsync<AdminEndpoints>(request, (e, c) => e.ListKeysAsync(c));

    [Function("AdminCreateKey")]
    public Task<IActionResult> CreateKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ProxyRoutes.AdminKeys)] HttpRequest request)
        => HttpFunction.RunAsync<AdminEndpoints>(request, (e, c) => e.CreateKeyAsync(c));

    [Function("AdminRevokeKey")]
    public Task<IActionResult> RevokeKey([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = ProxyRoutes.AdminKey)] HttpRequest request, string name)
        => HttpFunction.RunAsync<AdminEndpoints>(request, (e, c) => e.RevokeKeyAsync(c, name));

    [Function("AdminRotateKey")]
    public Task<IActionResult> RotateKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ProxyRoutes.AdminRotateKey)] HttpRequest request, string name)
        => HttpFunction.RunAsync<AdminEndpoints>(request, (e, c) => e.RotateKeyAsync(c, name));

    [Function("AdminUsage")]
    public Task<IActionResult> Usage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProxyRoutes.AdminUsage)] HttpRequest request)
        => HttpFunction.RunAsync<AdminEndpoints>(request, (e, c) => e.UsageAsync(c));
}
