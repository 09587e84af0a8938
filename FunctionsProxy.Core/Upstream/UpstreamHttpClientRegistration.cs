using System.Globalization;
using System.Net;
using FunctionsProxy.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace FunctionsProxy.Upstream;

/// <summary>The backend HttpClient: one pooled handler tuned for a single upstream, and a retry on 429 that honours
/// <c>Retry-After</c> up to <c>PROXY_MAX_RETRY_AFTER</c> (a longer wait goes back to the client as a 429).</summary>
internal static class UpstreamHttpClientRegistration
{
    public static void AddUpstreamHttpClient(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamClient>();
        // Polly logs every call ("Execution attempt" at Information, the outcome with its exception at Debug): per
        // request noise, and an unreachable backend became a stack trace per call. The endpoint logs each failure once
        // (ProxyLog.BackendUnreachable); retries of a 429 keep their own line.
        services.Configure<TelemetryOptions>(o => o.SeverityProvider = static args => args.Event.EventName switch
        {
            "ExecutionAttempt" or "PipelineExecuting" or "PipelineExecuted" => ResilienceEventSeverity.Debug,
            _ => args.Event.Severity,
        });
        services.AddHttpClient(UpstreamClient.HttpClientName, c =>
            {
                // Time limits are per call (non-stream total, stream headers and idle) in the endpoint, not here.
                c.Timeout = Timeout.InfiniteTimeSpan;
                c.DefaultRequestHeaders.UserAgent.ParseAdd("FunctionsProxy/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
                MaxConnectionsPerServer = int.MaxValue,
                EnableMultipleHttp2Connections = true,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                UseProxy = false,
                ConnectTimeout = TimeSpan.FromSeconds(15),
            })
            // The factory's per-request logging handlers (a scope and two entries per call) cost on the hot path and
            // add nothing: the endpoint logs each call once with its outcome (ProxyLog.MessagesCompleted).
            .RemoveAllLoggers()
            .AddResilienceHandler("upstream-429", (builder, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptionsMonitor<ProxyOptions>>();
                var current = options.CurrentValue;
                if (!current.BackoffOn429 || current.MaxRetryOn429 <= 0) return;
                builder.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = current.MaxRetryOn429,
                    ShouldHandle = args => ValueTask.FromResult(
                        args.Outcome.Result is { StatusCode: HttpStatusCode.TooManyRequests } r && RetryDelay(r) <= options.CurrentValue.MaxRetryAfter),
                    DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result is { } r ? RetryDelay(r) : TimeSpan.Zero),
                    UseJitter = false,
                });
            });
    }

    /// <summary>The backend's Retry-After, or a short default when it gives none.</summary>
    internal static TimeSpan RetryDelay(HttpResponseMessage response)
    {
        var ra = response.Headers.RetryAfter;
        if (ra?.Delta is { } delta) return delta;
        if (ra?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        if (response.Headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var m))
            return TimeSpan.FromMilliseconds(m);
        return TimeSpan.FromMilliseconds(500);
    }
}
