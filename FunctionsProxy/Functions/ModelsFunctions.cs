using FunctionsProxy.Endpoints;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsProxy.Functions;

/// <summary>Model listing and the schema cache view (anonymous at the Functions level; see <see cref="MessagesFunctions"/>).</summary>
public sealed class ModelsFunctions
{
    [Function("ListModels")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/models")] HttpRequest request)
        => HttpFunction.RunAsync<ModelsEndpoint>(request, (e, c) => e.ListAsync(c));

    // Catch-all: backend model ids contain '/'.
    [Function("GetModel")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/models/{*id}")] HttpRequest request, string id)
        => HttpFunction.RunAsync<ModelsEndpoint>(request, (e, c) => e.GetAsync(c, id));

    [Function("Schemas")]
    public Task<IActionResult> Schemas([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "_schemas")] HttpRequest request)
        => HttpFunction.RunAsync<SchemasEndpoint>(request, (e, c) => e.HandleAsync(c));
}
