using FunctionsProxy.Configuration;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Hosting;

/// <summary>The HTTP-level protections both hosts add with one call.</summary>
public static class ProxyHttpServiceCollectionExtensions
{
    /// <summary>The local host's default <c>PROXY_ALLOWED_HOSTS</c>: loopback names only, so a DNS-rebound name
    /// pointing at 127.0.0.1 does not reach the proxy from a browser.</summary>
    public static readonly IReadOnlyList<string> LoopbackHostNames = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>
    /// Origin check, JSON-only POST bodies, header size limit and the Anthropic error envelope on every error answer.
    /// </summary>
    /// <param name="services">The host's services (after <c>AddFunctionsProxyCore</c>).</param>
    /// <param name="filterHostNames">Accept only the <c>Host</c> names of <c>PROXY_ALLOWED_HOSTS</c> (default: loopback
    /// names). The local host does; the Functions worker does not, as the Functions front end routes by host name and
    /// hands the worker a forwarded request.</param>
    public static IServiceCollection AddFunctionsProxyHttpGuards(this IServiceCollection services, bool filterHostNames)
    {
        services.AddSingleton<AllowedOrigins>();
        services.AddCors();
        if (filterHostNames)
            services.AddOptions<HostFilteringOptions>().Configure<IOptions<ProxyOptions>>((hosts, proxy) =>
            {
                hosts.AllowedHosts = [.. proxy.Value.AllowedHosts ?? LoopbackHostNames];
                hosts.IncludeFailureMessage = false;
            });
        // Kestrel answers an oversized header block itself, before any middleware and with an empty body. Its hard
        // limit sits above the proxy's own so the usual oversized request gets the proxy's 431 envelope instead.
        services.Configure<KestrelServerOptions>(k =>
            k.Limits.MaxRequestHeadersTotalSize = Math.Max(k.Limits.MaxRequestHeadersTotalSize, 4 * RequestGuardMiddleware.MaxRequestHeaderBytes));
        // First registered is outermost: ahead of the web defaults' host filtering (configured above), whose bare 400
        // the envelope middleware then fills in.
        services.Insert(0, ServiceDescriptor.Transient<IStartupFilter, ProxyHttpStartupFilter>());
        return services;
    }
}
