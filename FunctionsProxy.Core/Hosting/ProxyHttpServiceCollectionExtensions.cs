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
    /// <param name="guardInTriggers">The triggers run <see cref="RequestGuard.RefusedAsync"/> themselves (the Functions
    /// app: a request answered in the worker's pipeline before its function runs is reported as a failed invocation);
    /// otherwise the guard is middleware in front of everything (the local host).</param>
    public static IServiceCollection AddFunctionsProxyHttpGuards(this IServiceCollection services, bool filterHostNames, bool guardInTriggers = false)
    {
        services.AddCors();
        if (filterHostNames)
        {
            services.AddOptions<HostFilteringOptions>().Configure<IOptions<ProxyOptions>>((hosts, proxy) =>
            {
                hosts.AllowedHosts = [.. proxy.Value.AllowedHosts ?? LoopbackHostNames];
                hosts.IncludeFailureMessage = false;
            });
        }
        // Kestrel answers an oversized header block itself, before any middleware and with an empty body. Its hard
        // limit sits above the proxy's own so the usual oversized request gets the proxy's 431 envelope instead.
        // The body limit is PROXY_MAX_BODY_BYTES on both hosts (the Functions worker's Kestrel would otherwise refuse
        // bodies of ~30 MB and the local one none), one byte above it so the proxy's own check answers the usual
        // oversized body with its Anthropic-shaped 413; no route, the admin API's included, reads more. On Azure the
        // Functions front end has its own cap (100 MB) ahead of the worker.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ProxyOptions>>((k, proxy) =>
        {
            k.Limits.MaxRequestHeadersTotalSize = Math.Max(k.Limits.MaxRequestHeadersTotalSize, 4 * RequestGuard.MaxRequestHeaderBytes);
            k.Limits.MaxRequestBodySize = proxy.Value.MaxRequestBodyBytes + 1;
        });
        // First registered is outermost: ahead of the web defaults' host filtering (configured above), whose bare 400
        // the envelope middleware then fills in.
        services.Insert(0, ServiceDescriptor.Transient<IStartupFilter>(_ => new ProxyHttpStartupFilter(guardInPipeline: !guardInTriggers)));
        return services;
    }
}
