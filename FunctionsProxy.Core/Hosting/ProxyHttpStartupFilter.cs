using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsProxy.Hosting;

/// <summary>
/// Puts the proxy's HTTP guards in front of whatever pipeline the host builds. A startup filter because the Functions
/// worker builds its ASP.NET Core pipeline itself and offers no other place for middleware; the local host gets the
/// same filter, so both answer alike. Host filtering itself is the web defaults' own middleware, which runs inside.
/// </summary>
/// <param name="guardInPipeline">The <see cref="RequestGuard"/> runs here (the local host) rather than in the triggers
/// (the Functions app).</param>
internal sealed class ProxyHttpStartupFilter(bool guardInPipeline) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<ErrorEnvelopeMiddleware>();
        if (guardInPipeline) app.UseMiddleware<RequestGuardMiddleware>();
        var origins = app.ApplicationServices.GetRequiredService<AllowedOrigins>();
        if (!origins.IsEmpty)
        {
            // Listed origins may read answers and pass preflight; the guard refuses every other (above, or in the trigger).
            app.UseCors(policy => policy.WithOrigins(origins.ToArray()).AllowAnyHeader().AllowAnyMethod()
                .WithExposedHeaders("request-id", "retry-after"));
        }
        next(app);
    };
}
