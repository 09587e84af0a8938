using System.Collections.Concurrent;
using System.Text;
using FunctionsProxy.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Tests.Infrastructure;

/// <summary>The real local host (<see cref="LocalHost.Build"/>) on an ephemeral loopback port, with its logs captured.</summary>
public sealed class ProxyServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProxyServer(WebApplication app, CapturedLogs logs)
    {
        _app = app;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }
    public Uri BaseAddress => Client.BaseAddress!;
    public CapturedLogs Logs { get; }
    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the proxy against <paramref name="upstream"/> with extra settings (names from SettingNames).</summary>
    public static Task<ProxyServer> StartAsync(ScriptedUpstream upstream, IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["CHUTES_BASE_URL"] = upstream.BaseUrl,
            ["CHUTES_API_KEY"] = "",
            ["PROXY_MAX_RETRY_AFTER"] = "0.2",
        };
        if (settings is not null) foreach (var (k, v) in settings) all[k] = v;
        return StartAsync(all, configure);
    }

    public static async Task<ProxyServer> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var logs = new CapturedLogs();
        var app = LocalHost.Build([], settings, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        return new ProxyServer(app, logs);
    }

    public Task<HttpResponseMessage> PostMessagesAsync(string json, string? apiKey = "client-key", string path = "/v1/messages", HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null) request.Headers.Add("x-api-key", apiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return Client.SendAsync(request, completion, ct);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Every log entry the host wrote, with its structured values, for "never logged" assertions.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries.ToArray();

    public string All => string.Join("\n", _entries);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var sb = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
                foreach (var (k, v) in values) sb.Append(" | ").Append(k).Append('=').Append(v);
            if (exception is not null) sb.Append(" | exception=").Append(exception);
            owner._entries.Enqueue(sb.ToString());
        }
    }
}
