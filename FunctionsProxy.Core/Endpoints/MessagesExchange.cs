using System.Diagnostics;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Security;
using FunctionsProxy.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Endpoints;

/// <summary>
/// One <c>/v1/messages</c> request on its way through <see cref="MessagesEndpoint"/>: who asked, what they asked
/// for, which backend model and keys answer it, the backend call's timeout, and the SSE stream once there is one.
/// Filled in step by step; disposed when the request ends.
/// </summary>
internal sealed class MessagesExchange(HttpContext context, ClientContext client, ProxyOptions options) : IAsyncDisposable
{
    public HttpContext Context { get; } = context;
    public ClientContext Client { get; } = client;
    public ProxyOptions Options { get; } = options;
    public CancellationToken Aborted { get; } = context.RequestAborted;
    public long StartedAt { get; } = Stopwatch.GetTimestamp();
    public LogLevel LogLevel => Options.Debug ? LogLevel.Information : LogLevel.Debug;

    /// <summary>The backend call's cancellation: client abort or <c>PROXY_UPSTREAM_TIMEOUT</c>.</summary>
    public ActivityTimeout Upstream { get; } = new(options.UpstreamTimeout, context.RequestAborted);

    /// <summary>The request body; owns the JSON the parsed <see cref="Request"/> points into.</summary>
    public RequestBody Body { get; set; } = null!;
    public MessagesRequest Request { get; set; } = null!;
    public IToolNameMapper ToolNames { get; } = new ToolNameMapper(options.ToolNameMap);

    /// <summary>The backend model; replaced when a 404 retry corrects its id.</summary>
    public ResolvedModel Model { get; set; } = null!;
    public string? PrimaryKey { get; set; }
    public string? FallbackKey { get; set; }

    /// <summary>Bytes of the translated request sent to the backend.</summary>
    public int UpstreamRequestBytes { get; set; }

    /// <summary>Input tokens reported until the backend reports usage: about four bytes a token.</summary>
    public long InputEstimate => Math.Max(1, Body.Length / 4);

    /// <summary>The SSE writer of a stream request; <see cref="SseResponder.Started"/> once the 200 is decided.</summary>
    public SseResponder? Stream { get; set; }

    /// <summary>The id of the <c>message_start</c> sent when the stream was committed before the backend answered.</summary>
    public string? CommittedMessageId { get; set; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(StartedAt);

    public async ValueTask DisposeAsync()
    {
        if (Stream is not null) await Stream.DisposeAsync().ConfigureAwait(false);
        Upstream.Dispose();
        Body?.Dispose();
    }
}
