using FunctionsProxy.Endpoints;
using FunctionsProxy.Hosting;
using FunctionsProxy.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FunctionsProxy.Functions;

/// <summary>
/// Every trigger is the same line: Core's <see cref="RequestGuard"/> first (origin, content type, header size: here
/// rather than in the worker's pipeline, where a refusal would leave the invocation to fail), then the HttpContext to
/// Core's <see cref="EndpointRunner"/> (the local host's routes do the same), which writes the whole response itself
/// (status, headers, SSE with flushes) and never throws; the empty result keeps the worker from writing anything twice.
/// </summary>
internal static class HttpFunction
{
    public static async Task<IActionResult> RunAsync<TEndpoint>(HttpRequest request, Func<TEndpoint, HttpContext, ClientContext, Task> handle) where TEndpoint : notnull
    {
        if (!await RequestGuard.RefusedAsync(request.HttpContext).ConfigureAwait(false))
            await EndpointRunner.RunAsync(request.HttpContext, handle).ConfigureAwait(false);
        return new EmptyResult();
    }

    public static async Task<IActionResult> RunAsync<TEndpoint>(HttpRequest request, Func<TEndpoint, HttpContext, Task> handle) where TEndpoint : notnull
    {
        if (!await RequestGuard.RefusedAsync(request.HttpContext).ConfigureAwait(false))
            await EndpointRunner.RunAsync(request.HttpContext, handle).ConfigureAwait(false);
        return new EmptyResult();
    }
}
