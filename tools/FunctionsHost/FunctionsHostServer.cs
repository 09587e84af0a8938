using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsProxy.Tools.FunctionsHost.Rpc;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Forwarder;

namespace FunctionsProxy.Tools.FunctionsHost;

/// <summary>
/// A stand-in for the Azure Functions host: a gRPC server the isolated worker connects to, and an HTTP front end on
/// 127.0.0.1 that forwards each request to the worker's own Kestrel (the <c>HttpUri</c> it advertises) with the
/// invocation id header while the matching InvocationRequest goes over gRPC — the ASP.NET Core integration's
/// proxying model. Responses stream through as the worker writes them. Non-HTTP functions (the timer) run on demand
/// with <c>POST /admin/functions/{name}</c>, the host's own admin route for that.
/// </summary>
public sealed class FunctionsHostServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WorkerChannel _channel;
    private readonly Process _worker;
    private readonly IReadOnlyList<FunctionRoute> _functions;
    private readonly Uri _workerUri;
    private readonly HttpMessageInvoker _forwardClient;
    private int _disposed;

    private FunctionsHostServer(WebApplication app, WorkerChannel channel, Process worker, IReadOnlyList<FunctionRoute> functions, Uri workerUri, HttpMessageInvoker client, Uri address)
    {
        _app = app;
        _channel = channel;
        _worker = worker;
        _functions = functions;
        _workerUri = workerUri;
        _forwardClient = client;
        Address = address;
    }

    /// <summary>Where the host answers, e.g. <c>http://127.0.0.1:7071/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The worker process (for its id and memory figures).</summary>
    public Process Worker => _worker;

    public IEnumerable<string> FunctionNames => _functions.Select(f => f.Name);

    private readonly System.Collections.Concurrent.ConcurrentQueue<InvocationOutcome> _outcomes = new();

    /// <summary>How each forwarded HTTP invocation ended, in order (the real host reports these to Application
    /// Insights: a failed one counts against the app's failure rate).</summary>
    public IReadOnlyList<InvocationOutcome> Invocations => [.. _outcomes];

    public static async Task<FunctionsHostServer> StartAsync(FunctionsHostOptions options, CancellationToken ct = default)
    {
        var appDirectory = Path.GetFullPath(options.AppDirectory);
        var output = options.WorkerOutput ?? (_ => { });
        var workerId = Guid.NewGuid().ToString();
        var channel = new WorkerChannel(workerId, appDirectory, output);
        var routePrefix = ReadRoutePrefix(appDirectory);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The owner of this object decides when it stops (Program on SIGTERM/SIGINT, tests on dispose): the default
        // console lifetime would take SIGTERM for itself, stop only the web server and leave the process and the
        // worker running.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, OwnerLifetime>();
        builder.Services.AddGrpc(o => { o.MaxReceiveMessageSize = null; o.MaxSendMessageSize = null; });
        builder.Services.AddSingleton(channel);
        builder.Services.AddHttpForwarder();
        builder.Services.AddRouting();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 100L * 1024 * 1024; // the host's default body limit
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2); // gRPC, cleartext HTTP/2
            k.Listen(IPAddress.Loopback, options.Port, l => l.Protocols = HttpProtocols.Http1AndHttp2);
        });
        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        // Routes exist from the start (endpoints cannot be added to a running app); until the worker has loaded its
        // functions they answer 503, as the host does while it starts.
        FunctionsHostServer? ready = null;
        app.MapPost("/admin/functions/{name}", (HttpContext c, string name) => ready is null ? Task.FromResult(Results.StatusCode(503)) : ready.RunNonHttpAsync(c, name));
        app.MapFallback(c => ready is null ? Unavailable(c) : ready.DispatchAsync(c));
        await app.StartAsync(ct);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToArray();
        var grpcUri = addresses[0];
        var address = addresses[1];

        var worker = WorkerProcess.Start(options, grpcUri, workerId, output);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.StartTimeout);
            var exited = worker.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(channel.Ready, exited, Task.Delay(Timeout.Infinite, timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default));
            ct.ThrowIfCancellationRequested();
            if (first != channel.Ready)
                throw new InvalidOperationException(worker.HasExited ? $"the worker exited with code {worker.ExitCode} before loading its functions" : "the worker did not load its functions in time");
            var functions = (await channel.Ready).Select(m => FunctionRoute.From(m, routePrefix)).OrderBy(f => f.Precedence).ToArray();
            if (!channel.WorkerCapabilities.TryGetValue("HttpUri", out var httpUri))
                throw new InvalidOperationException("the worker did not advertise HttpUri (ASP.NET Core integration missing?)");
            var workerUri = new Uri(httpUri);
            // The worker starts its Kestrel after the stream; the host retries its first forward for the same reason.
            await WaitForListenerAsync(workerUri, timeout.Token);

            var client = new HttpMessageInvoker(new ForwardRetryHandler(new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                EnableMultipleHttp2Connections = true,
                ActivityHeadersPropagator = null,
                ConnectTimeout = TimeSpan.FromSeconds(15),
            }));
            ready = new FunctionsHostServer(app, channel, worker, functions, workerUri, client, address);
            return ready;
        }
        catch
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            await app.DisposeAsync();
            throw;
        }
    }

    private static Task Unavailable(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return Task.CompletedTask;
    }

    private static string ReadRoutePrefix(string appDirectory)
    {
        var path = Path.Combine(appDirectory, "host.json");
        if (!File.Exists(path)) return "api";
        return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })?["extensions"]?["http"]?["routePrefix"]?.GetValue<string>() ?? "api";
    }

    private static async Task WaitForListenerAsync(Uri uri, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(uri.Host == "localhost" ? IPAddress.Loopback.ToString() : uri.Host, uri.Port, ct);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, ct);
            }
        }
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var values = new RouteValueDictionary();
        var function = _functions.FirstOrDefault(f => f.TryMatch(context.Request.Method, context.Request.Path, values));
        if (function is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var invocationId = Guid.NewGuid().ToString();
        var request = new InvocationRequest { InvocationId = invocationId, FunctionId = function.FunctionId, TraceContext = new RpcTraceContext() };
        request.InputData.Add(new ParameterBinding { Name = function.TriggerName, Data = new TypedData { Http = new RpcHttp() } });
        // Route parameters bind only from trigger metadata; query values travel the same way.
        foreach (var (k, v) in values) if (v is not null) request.TriggerMetadata[k] = new TypedData { String = Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) };
        foreach (var (k, v) in context.Request.Query) request.TriggerMetadata.TryAdd(k, new TypedData { String = v.ToString() });
        var invocation = _channel.InvokeAsync(request);

        using var aborted = context.RequestAborted.Register(() => _channel.Cancel(invocationId));
        var forwarder = context.RequestServices.GetRequiredService<IHttpForwarder>();
        var error = await forwarder.SendAsync(context, _workerUri.GetLeftPart(UriPartial.Authority), _forwardClient,
            new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(240) }, new InvocationTransformer(invocationId));

        var result = await invocation.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default);
        _outcomes.Enqueue(new InvocationOutcome(function.Name, result?.Result?.Status == StatusResult.Types.Status.Success,
            result is null ? "no result within 30 s" : result.Result?.Exception?.Message, error.ToString(), context.Response.StatusCode,
            context.Request.Headers.ContentLength ?? -1));
        if (result?.Result?.Status == StatusResult.Types.Status.Failure && !context.Response.HasStarted)
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        if (error != ForwarderError.None && error != ForwarderError.RequestCanceled)
            _channel.Cancel(invocationId);
    }

    private async Task<IResult> RunNonHttpAsync(HttpContext context, string name)
    {
        var function = _functions.FirstOrDefault(f => !f.IsHttp && f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (function is null) return Results.NotFound();
        var request = new InvocationRequest { InvocationId = Guid.NewGuid().ToString(), FunctionId = function.FunctionId, TraceContext = new RpcTraceContext() };
        var now = DateTimeOffset.UtcNow;
        var data = function.TriggerType.Equals("timerTrigger", StringComparison.OrdinalIgnoreCase)
            ? JsonSerializer.Serialize(new { Schedule = new { AdjustForDST = true }, ScheduleStatus = new { Last = now, Next = now.AddMinutes(30), LastUpdated = now }, IsPastDue = false })
            : "{}";
        request.InputData.Add(new ParameterBinding { Name = function.TriggerName, Data = new TypedData { Json = data } });
        var response = await _channel.InvokeAsync(request).WaitAsync(TimeSpan.FromMinutes(5), context.RequestAborted);
        // The real host answers 202 at once; waiting for the result lets a caller observe what the function did.
        return response.Result?.Status == StatusResult.Types.Status.Success
            ? Results.StatusCode(StatusCodes.Status202Accepted)
            : Results.Problem(response.Result?.Exception?.Message ?? "the function failed", statusCode: 500);
    }

    /// <summary>Ends the worker and anything it started, at once (for process exit, when there is no time to wait).</summary>
    public void KillWorker()
    {
        try
        {
            if (!_worker.HasExited) _worker.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        // Ask the worker to stop as the host does, then make sure it and its children are gone.
        _channel.Terminate();
        try
        {
            await _worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
        KillWorker();
        _worker.Dispose();
        _forwardClient.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A host lifetime that installs no signal handlers and waits for nothing.</summary>
    private sealed class OwnerLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>YARP's default request copy (original path and query, headers but Host) plus the invocation id the
    /// worker pairs the request with.</summary>
    private sealed class InvocationTransformer(string invocationId) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.TryAddWithoutValidation("x-ms-invocation-id", invocationId);
        }
    }
}

/// <summary>One HTTP invocation's end as the worker reported it.</summary>
/// <param name="Forward">How forwarding the HTTP request to the worker ended (YARP's <c>ForwarderError</c>).</param>
public sealed record InvocationOutcome(string Function, bool Succeeded, string? Error, string Forward, int Status, long RequestLength);
