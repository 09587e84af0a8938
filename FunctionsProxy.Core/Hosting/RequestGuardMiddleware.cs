using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Hosting;

/// <summary>The <see cref="RequestGuard"/> in front of the local host's whole pipeline.</summary>
internal sealed class RequestGuardMiddleware(RequestDelegate next, RequestGuard guard)
{
    public Task InvokeAsync(HttpContext context)
        => guard.Check(context.Request) is { } refusal ? guard.RefuseAsync(context, refusal) : next(context);
}
