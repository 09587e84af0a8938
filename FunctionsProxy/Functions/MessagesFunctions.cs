using FunctionsProxy.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsProxy.Functions;

/// <summary>
/// The Messages API. Anonymous at the Functions level on purpose: Claude Code and the SDKs send <c>x-api-key</c> or a
/// bearer token, not <c>x-functions-key</c>; the proxy's own key check (<c>PROXY_AUTH=keys</c>) is the gate, the
/// same on the local host.
/// </summary>
public sealed class MessagesFunctions
{
    [Function("Messages")]
    public Task<IActionResult> Messages([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ProxyRoutes.Messages)] HttpRequest request)
        => HttpFunction.RunAsync<MessagesEndpoint>(request, (e, c, client) => e.HandleAsync(c, client));

    [Function("CountTokens")]
    public Task<IActionResult> CountTokens([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ProxyRoutes.CountTokens)] HttpRequest request)
        => HttpFunction.RunAsync<CountTokensEndpoint>(request, (e, c, client) => e.HandleAsync(c, client));
}
