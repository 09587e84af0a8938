using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Tests.Infrastructure;

/// <summary>A request the scripted upstream received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    /// <summary>The body exactly as received (<see cref="Body"/> is decoded, which hides invalid UTF-8).</summary>
    public byte[] RawBody { get; init; } = [];
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;
}

/// <summary>
/// An OpenAI-compatible server on loopback that records every request and answers from a script: realistic
/// vLLM/SGLang replies, with control over chunk boundaries, timing, status codes and connection resets.
/// </summary>
public sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Reply>> _queued = new();
    private readonly ConcurrentDictionary<string, Func<RecordedRequest, Reply>> _handlers = new();
    private TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ScriptedUpstream(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;
    public string BaseUrl => BaseAddress.ToString().TrimEnd('/');
    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();
    public IReadOnlyList<RecordedRequest> ChatRequests => _requests.Where(r => r.Path == "/v1/chat/completions").ToArray();

    /// <summary>Completes when a scripted reply observed that the proxy closed the connection (client cancellation).</summary>
    public Task ConnectionAborted => _aborted.Task;

    public static async Task<ScriptedUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var upstream = new ScriptedUpstream(app);
        app.Run(upstream.HandleAsync);
        await app.StartAsync();
        upstream.BaseAddress = new Uri(app.Urls.First());
        return upstream;
    }

    /// <summary>Queues replies for a path (default the chat route), used in order; the last handler or 404 after.</summary>
    public ScriptedUpstream Enqueue(Reply reply, string path = "/v1/chat/completions")
    {
        _queued.GetOrAdd(path, _ => new ConcurrentQueue<Reply>()).Enqueue(reply);
        return this;
    }

    /// <summary>A standing handler for a path, used when nothing is queued.</summary>
    public ScriptedUpstream On(string path, Func<RecordedRequest, Reply> handler)
    {
        _handlers[path] = handler;
        return this;
    }

    public void ResetAbortSignal() => _aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task HandleAsync(HttpContext context)
    {
        using var raw = new MemoryStream();
        await context.Request.Body.CopyToAsync(raw);
        var bytes = raw.ToArray();
        var body = Encoding.UTF8.GetString(bytes);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var recorded = new RecordedRequest(context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "", headers, body) { RawBody = bytes };
        _requests.Enqueue(recorded);

        Reply? reply = null;
        if (_queued.TryGetValue(recorded.Path, out var queue)) queue.TryDequeue(out reply);
        if (reply is null && _handlers.TryGetValue(recorded.Path, out var handler)) reply = handler(recorded);
        reply ??= Reply.Json(404, """{"object":"error","message":"no script for this path","type":"NotFoundError","code":404}""");

        try
        {
            await reply.ExecuteAsync(context);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionAbortedException)
        {
            _aborted.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A scripted answer: status, headers and a sequence of body writes with optional pauses.</summary>
public sealed class Reply
{
    private readonly List<Func<HttpContext, Task>> _steps = [];
    private int _status = 200;
    private string _contentType = "application/json";
    private readonly Dictionary<string, string> _headers = [];
    private Func<HttpContext, Task>? _beforeHeaders;

    public static Reply Json(int status, string json) => new Reply { _status = status }.Write(json);
    public static Reply Json(string json) => Json(200, json);
    public static Reply Text(int status, string contentType, string text) => new Reply { _status = status, _contentType = contentType }.Write(text);

    /// <summary>An SSE answer: each item becomes one <c>data: …\n\n</c> frame written and flushed separately.</summary>
    public static Reply Sse(params string[] dataItems)
    {
        var reply = new Reply { _contentType = "text/event-stream" };
        foreach (var item in dataItems) reply.Write("data: " + item + "\n\n");
        return reply;
    }

    /// <summary>An SSE answer whose bytes are written exactly as given (for framing edge cases).</summary>
    public static Reply RawSse(params byte[][] writes)
    {
        var reply = new Reply { _contentType = "text/event-stream" };
        foreach (var w in writes) reply.WriteBytes(w);
        return reply;
    }

    public static Reply EmptySse() => new() { _contentType = "text/event-stream" };

    public Reply Header(string name, string value) { _headers[name] = value; return this; }

    /// <summary>Resets the TCP connection before any status line: the proxy sees a connection error, not a response.</summary>
    public static Reply ResetBeforeHeaders() => new() { _resetBeforeHeaders = true };

    private bool _resetBeforeHeaders;

    /// <summary>Sends nothing, not even the status line, until <paramref name="release"/> completes (a cold model
    /// loading before it answers).</summary>
    public Reply HeadersAfter(Task release)
    {
        _beforeHeaders = c => release.WaitAsync(TimeSpan.FromSeconds(60), c.RequestAborted);
        return this;
    }

    /// <summary>Sends nothing, not even the status line, for <paramref name="delay"/>.</summary>
    public Reply HeadersAfter(TimeSpan delay)
    {
        _beforeHeaders = c => Task.Delay(delay, c.RequestAborted);
        return this;
    }

    /// <summary>Pauses the body until <paramref name="release"/> completes (the test decides when the model goes on).</summary>
    public Reply WaitFor(Task release)
    {
        _steps.Add(c => release.WaitAsync(TimeSpan.FromSeconds(60), c.RequestAborted));
        return this;
    }

    public Reply Write(string text) => WriteBytes(Encoding.UTF8.GetBytes(text));

    public Reply WriteBytes(byte[] bytes)
    {
        _steps.Add(async c =>
        {
            await c.Response.Body.WriteAsync(bytes, c.RequestAborted);
            await c.Response.Body.FlushAsync(c.RequestAborted);
        });
        return this;
    }

    public Reply Data(string json) => Write("data: " + json + "\n\n");

    public Reply Delay(TimeSpan delay)
    {
        _steps.Add(c => Task.Delay(delay, c.RequestAborted));
        return this;
    }

    /// <summary>Waits until the proxy closes the connection (or a long time passes).</summary>
    public Reply HangUntilAborted(TimeSpan? max = null)
    {
        _steps.Add(async c =>
        {
            await Task.Delay(max ?? TimeSpan.FromSeconds(60), c.RequestAborted);
        });
        return this;
    }

    /// <summary>Resets the TCP connection mid-body.</summary>
    public Reply Abort()
    {
        _steps.Add(c =>
        {
            c.Features.Get<IHttpResponseBodyFeature>();
            c.Abort();
            return Task.CompletedTask;
        });
        return this;
    }

    internal async Task ExecuteAsync(HttpContext context)
    {
        if (_resetBeforeHeaders)
        {
            context.Abort();
            return;
        }
        if (_beforeHeaders is not null) await _beforeHeaders(context);
        context.Response.StatusCode = _status;
        context.Response.ContentType = _contentType;
        foreach (var (k, v) in _headers) context.Response.Headers[k] = v;
        await context.Response.StartAsync(context.RequestAborted);
        foreach (var step in _steps)
        {
            if (context.RequestAborted.IsCancellationRequested) throw new OperationCanceledException();
            await step(context);
        }
    }
}
