using FunctionsProxy.Configuration;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.Errors;
using FunctionsProxy.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary>
/// How every route runs, on both hosts: resolve the endpoint, authenticate the caller when the route needs it, run
/// it, and turn whatever it throws into the Anthropic error envelope. A thrown exception never leaves here: on the
/// Functions host it would fail the invocation outside the ASP.NET Core pipeline, and the client would get a 200 with
/// an empty body.
/// </summary>
public static class EndpointRunner
{
    /// <summary>A route for Anthropic-API clients: the caller is authenticated (<c>PROXY_AUTH</c>) first.</summary>
    public static Task RunAsync<TEndpoint>(HttpContext context, Func<TEndpoint, HttpContext, ClientContext, Task> handle) where TEndpoint : notnull
        => RunCoreAsync(context, async c =>
        {
            var services = c.RequestServices;
            var auth = await services.GetRequiredService<IClientAuthenticator>().AuthenticateAsync(c, c.RequestAborted).ConfigureAwait(false);
            if (auth.Error is { } error)
            {
                await RejectAsync(c, error).ConfigureAwait(false);
                return;
            }
            await handle(services.GetRequiredService<TEndpoint>(), c, auth.Client!).ConfigureAwait(false);
        });

    /// <summary>A route that needs no client key or checks its own (health, telemetry, the admin key).</summary>
    public static Task RunAsync<TEndpoint>(HttpContext context, Func<TEndpoint, HttpContext, Task> handle) where TEndpoint : notnull
        => RunCoreAsync(context, c => handle(c.RequestServices.GetRequiredService<TEndpoint>(), c));

    private static async Task RunCoreAsync(HttpContext context, Func<HttpContext, Task> run)
    {
        var aborted = context.RequestAborted;
        try
        {
            await run(context).ConfigureAwait(false);
        }
        catch (ProxyErrorException e)
        {
            await RejectAsync(context, e.Error).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel refused the body (over the size limit, bad chunking): the client's fault, with Kestrel's status.
            await RejectAsync(context, new ProxyError(e.StatusCode, ErrorTypes.ForStatus(e.StatusCode), $"The request could not be read: {e.Message}")).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception e)
        {
            // A defect or an unavailable dependency, not bad input (validation answers that): still the error envelope,
            // and the log line carries no secret.
            ProxyLog.Unexpected(Logger(context), context.Request.Path,
                SecretScrubber.From(context).Scrub(e.ToString(), context, SecretScrubber.MaxLoggedDetailChars));
            await RejectAsync(context, ProxyError.Api("The proxy failed to handle the request.")).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="error"/> (scrubbed) and logs it; the log line gets the same text the client gets.
    /// Nothing is written once the response has started (a stream reports through its own SSE <c>error</c> event).</summary>
    public static async Task RejectAsync(HttpContext context, ProxyError error)
    {
        var reason = SecretScrubber.From(context).Scrub(error.Message, context);
        var debug = context.RequestServices.GetService<IOptions<ProxyOptions>>()?.Value.Debug == true;
        ProxyLog.Rejected(Logger(context), debug ? LogLevel.Information : LogLevel.Debug, context.Request.Path, error.Status, error.Type, reason);
        try
        {
            await AnthropicErrorWriter.WriteAsync(context, error with { Message = reason.Value }, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client is gone.
        }
    }

    private static ILogger Logger(HttpContext context)
        => context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(EndpointRunner)) ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
}
