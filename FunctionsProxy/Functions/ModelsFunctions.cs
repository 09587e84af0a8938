using FunctionsProxy.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsProxy.Functions;

/// <summary>Model listing and the schema cache view (anonymous at the Functions level; see <see cref="MessagesFunctions"/>).</summary>
public sealed class ModelsFunctions
{
    [Function("ListModels")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProxyRoutes.Models)] HttpRequest request)
        => HttpFunction.RunAsync<ModelsEndpoint>(request, (e, c, client) => e.ListAsync(c, client));

    // Catch-all: backend model ids contain '/'.
    [Function("GetModel")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProxyRoutes.Model)] HttpRequest request, string id)
        => HttpFunction.RunAsync<ModelsEndpoint>(request, (e, c, client) => e.GetAsync(c, client, id));

    [Function("Schemas")]
    public Task<IActionResult> Schemas([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ProxyRoutes.Schemas)] HttpRequest request)
        => HttpFunction.RunAsync<SchemasEndpoint>(request, (e, c, client) => e.HandleAsync(c, client));
}
