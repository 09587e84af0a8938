using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace FunctionsProxy.Bench;

/// <summary>What one load run sends: a pre-built body to one URL with fixed headers.</summary>
internal sealed record Target(string Name, string Url, byte[] Body, bool Stream, IReadOnlyList<KeyValuePair<string, string>> Headers);

internal sealed record RunResult(string Target, int Concurrency, long Requests, long Errors, TimeSpan Elapsed, double[] LatencyMs, double[] TtfbMs, long Events, long Bytes)
{
    /// <summary>CPU time per request (microseconds) of each watched server process during the measured run (not the
    /// warm-up), by role name; "load" is the load generator itself.</summary>
    public IReadOnlyDictionary<string, double> CpuUs { get; init; } = new Dictionary<string, double>();

    public double Cpu(string role) => CpuUs.TryGetValue(role, out var us) ? us : double.NaN;

    public double Rps => Requests / Elapsed.TotalSeconds;
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;
    public double P50 => Percentile(LatencyMs, 0.50);
    public double P99 => Percentile(LatencyMs, 0.99);
    public double TtfbP50 => Percentile(TtfbMs, 0.50);
    public double TtfbP99 => Percentile(TtfbMs, 0.99);

    private static double Percentile(double[] sorted, double q)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}

/// <summary>
/// Closed-loop load: <c>c</c> workers each send the next request as soon as the previous answer is fully read.
/// One pooled SocketsHttpHandler, bodies are shared byte arrays, the response is read into a reused buffer and only
/// scanned for event boundaries — so the client does far less work per request than any server under test.
/// </summary>
internal sealed class LoadGenerator : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 4096,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
        UseProxy = false,
        UseCookies = false,
    });

    /// <param name="watch">Server processes whose CPU time is read before and after the measured run.</param>
    public async Task<RunResult> RunAsync(Target target, int concurrency, TimeSpan warmup, TimeSpan duration, params ChildProcess[] watch)
    {
        if (warmup > TimeSpan.Zero) await RunCoreAsync(target, concurrency, warmup);
        var before = watch.Select(p => p.CpuTime).ToArray();
        var selfBefore = ProcCpu.Read(Environment.ProcessId);
        var result = await RunCoreAsync(target, concurrency, duration);
        var n = Math.Max(1, result.Requests);
        var cpu = new Dictionary<string, double> { ["load"] = (ProcCpu.Read(Environment.ProcessId) - selfBefore).TotalMicroseconds / n };
        for (var i = 0; i < watch.Length; i++) cpu[watch[i].Role] = (watch[i].CpuTime - before[i]).TotalMicroseconds / n;
        return result with { CpuUs = cpu };
    }

    private async Task<RunResult> RunCoreAsync(Target target, int concurrency, TimeSpan duration)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = new Task<Worker>[concurrency];
        for (var i = 0; i < concurrency; i++) workers[i] = Task.Run(() => WorkAsync(target, stopAt));
        var done = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var latencies = done.SelectMany(w => w.Latency).Select(ToMs).Order().ToArray();
        var ttfb = done.SelectMany(w => w.Ttfb).Select(ToMs).Order().ToArray();
        return new RunResult(target.Name, concurrency, done.Sum(w => w.Requests), done.Sum(w => w.Errors), elapsed, latencies, ttfb, done.Sum(w => w.Events), done.Sum(w => w.Bytes));
    }

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private sealed class Worker
    {
        public readonly List<long> Latency = new(4096);
        public readonly List<long> Ttfb = new(4096);
        public long Requests, Errors, Events, Bytes;
    }

    private async Task<Worker> WorkAsync(Target target, long stopAt)
    {
        var w = new Worker();
        var buffer = new byte[64 * 1024];
        var uri = new Uri(target.Url);
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var r = await SendOnceAsync(target, uri, buffer);
            if (r.Ok)
            {
                w.Requests++;
                w.Latency.Add(r.Total);
                if (target.Stream) w.Ttfb.Add(r.FirstByte);
                w.Events += r.Events;
                w.Bytes += r.Bytes;
            }
            else
            {
                w.Errors++;
            }
        }
        return w;
    }

    internal readonly record struct Once(bool Ok, long Total, long FirstByte, long Events, long Bytes);

    /// <summary>One request; times are Stopwatch ticks from just before the send.</summary>
    internal async Task<Once> SendOnceAsync(Target target, Uri uri, byte[] buffer, Action<long>? onBytes = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(target.Body) };
        request.Content.Headers.ContentType = Json;
        foreach (var (k, v) in target.Headers) request.Headers.TryAddWithoutValidation(k, v);
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _client.SendAsync(request, CancellationToken.None);
            await using var body = await response.Content.ReadAsStreamAsync();
            long first = 0, events = 0, bytes = 0;
            var lastWasNewline = false;
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                if (bytes == 0) first = Stopwatch.GetTimestamp() - t0;
                bytes += read;
                onBytes?.Invoke(bytes);
                var span = buffer.AsSpan(0, read);
                if (lastWasNewline && span[0] == (byte)'\n') events++;
                var idx = 0;
                while (true)
                {
                    var at = span[idx..].IndexOf("\n\n"u8);
                    if (at < 0) break;
                    events++;
                    idx += at + 2;
                }
                lastWasNewline = span[^1] == (byte)'\n';
            }
            var total = Stopwatch.GetTimestamp() - t0;
            return new Once(response.StatusCode == HttpStatusCode.OK && bytes > 0, total, first, target.Stream ? events : 0, bytes);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new Once(false, 0, 0, 0, 0);
        }
    }

    public void Dispose() => _client.Dispose();
}
