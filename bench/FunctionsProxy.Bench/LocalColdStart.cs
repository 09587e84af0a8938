using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FunctionsProxy.Bench;

/// <summary>Cold start of the local host: median time from starting the process to the first 200 of a JSON message,
/// and its RSS right after that answer.</summary>
internal sealed record ColdStartResult(double[] Ms, long[] Rss)
{
    public override string ToString()
    {
        static double Median(IEnumerable<double> xs) { var a = xs.Order().ToArray(); return a.Length == 0 ? double.NaN : a[a.Length / 2]; }
        var inv = CultureInfo.InvariantCulture;
        return $"median {Median(Ms).ToString("0", inv)} ms of {Ms.Length} ({string.Join("/", Ms.Select(m => m.ToString("0", inv)))} ms), RSS after it {(Median(Rss.Select(r => (double)r)) / 1048576).ToString("0", inv)} MB";
    }
}

internal static class LocalColdStart
{
    private static readonly byte[] Json = """{"model":"some-model","max_tokens":64,"messages":[{"role":"user","content":"say hi"}]}"""u8.ToArray();

    /// <param name="start">Starts the proxy process (its clock starts just before).</param>
    public static async Task<ColdStartResult> RunAsync(Func<ChildProcess> start, int runs)
    {
        var ms = new List<double>();
        var rss = new List<long>();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            using var proxy = start();
            var until = TimeSpan.FromSeconds(60);
            while (clock.Elapsed < until)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, proxy.BaseUrl + "/v1/messages") { Content = new ByteArrayContent(Json) };
                    request.Content.Headers.ContentType = new("application/json");
                    request.Headers.Add("x-api-key", "bench-key");
                    request.Headers.Add("anthropic-version", "2023-06-01");
                    using var response = await http.SendAsync(request);
                    if (response.IsSuccessStatusCode)
                    {
                        await response.Content.ReadAsByteArrayAsync();
                        ms.Add(clock.Elapsed.TotalMilliseconds);
                        rss.Add(proxy.Rss);
                        break;
                    }
                    throw new InvalidOperationException($"cold proxy answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync())}");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(5); // not listening yet
                }
            }
        }
        return new ColdStartResult([.. ms], [.. rss]);
    }
}
