using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.FunctionsHost.Tests.Rehearsal;

/// <summary>
/// Application Insights' ingestion and live-metrics endpoints on loopback HTTPS, reached through
/// <see cref="TunnelProxy"/> under their public names, so the worker's telemetry never leaves the machine. Accepts
/// every batch and records whether it came with an Entra token (the component has local auth disabled).
/// </summary>
internal sealed class IngestionStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private IngestionStandIn(WebApplication app) => _app = app;

    public int Port { get; private set; }

    /// <summary>Each request: (path, token audience or null).</summary>
    public ConcurrentQueue<(string Path, string? Audience)> Requests { get; } = new();

    public static async Task<IngestionStandIn> StartAsync(LoopbackCertificate certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate.Certificate)));
        var app = builder.Build();
        var sink = new IngestionStandIn(app);
        app.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            sink.Requests.Enqueue((context.Request.Path, ManagedIdentityEndpoint.Claims(context.Request.Headers.Authorization)?["aud"]?.GetValue<string>()));
            await Results.Json(new { itemsReceived = 0, itemsAccepted = 0, errors = Array.Empty<object>() }).ExecuteAsync(context);
        });
        await app.StartAsync();
        sink.Port = new Uri(app.Urls.First()).Port;
        return sink;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
