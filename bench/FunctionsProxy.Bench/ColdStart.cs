using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FunctionsProxy.Bench;

/// <summary>
/// Cold start of the published Functions app under the stand-in Functions host (tools/FunctionsHost), as a user of a
/// scaled-to-zero app meets it: from starting the host process to the first 200 for a JSON message, and (a separate
/// cold start) to the first SSE event of a streamed one; then the worker's and the host's RSS after those requests.
/// Each figure is the median of <c>--runs</c> cold starts (default 3) against the fast bench upstream.
/// </summary>
internal static class ColdStart
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Json = """{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"say hi"}]}""";

    // bench coldstart --host-dll PATH --app DIR [--runs 3] [--label NAME]
    public static async Task<int> RunAsync(string[] args)
    {
        var hostDll = Args.Value(args, "--host-dll") ?? throw new ArgumentException("--host-dll is required");
        var app = Args.Value(args, "--app") ?? throw new ArgumentException("--app is required");
        var runs = int.Parse(Args.Value(args, "--runs") ?? "3", Inv);
        var label = Args.Value(args, "--label") ?? Path.GetFileName(Path.GetFullPath(app).TrimEnd('/'));

        var port = ChildProcess.FreePort();
        using var upstream = ChildProcess.StartSelf("upstream", port, "upstream", "--port", port.ToString(Inv));
        await upstream.WaitReadyAsync("/health", TimeSpan.FromSeconds(30));

        var json = new List<double>();
        var sse = new List<double>();
        var workerRss = new List<long>();
        var hostRss = new List<long>();
        for (var i = 0; i < runs; i++)
        {
            var (ms, worker, host) = await OneAsync(hostDll, app, upstream.BaseUrl, stream: false);
            json.Add(ms);
            workerRss.Add(worker);
            hostRss.Add(host);
            sse.Add((await OneAsync(hostDll, app, upstream.BaseUrl, stream: true)).Ms);
        }
        Console.WriteLine($"cold start [{label}] median of {runs}: first JSON 200 {Median(json):F0} ms, first SSE event {Median(sse):F0} ms; " +
            $"worker RSS {Median(workerRss.Select(x => (double)x)) / 1048576:F0} MB, host RSS {Median(hostRss.Select(x => (double)x)) / 1048576:F0} MB " +
            $"(JSON runs {string.Join("/", json.Select(x => x.ToString("F0", Inv)))} ms, SSE runs {string.Join("/", sse.Select(x => x.ToString("F0", Inv)))} ms)");
        return 0;
    }

    private static async Task<(double Ms, long WorkerRss, long HostRss)> OneAsync(string hostDll, string app, string upstream, bool stream)
    {
        var port = ChildProcess.FreePort();
        var workerPid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = Stopwatch.StartNew();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { hostDll, "--port", port.ToString(Inv), "--app", app }) start.ArgumentList.Add(a);
        start.Environment["CHUTES_BASE_URL"] = upstream;
        start.Environment["CHUTES_API_KEY"] = "bench-key";
        start.Environment["MODEL_MAP"] = """{"claude-sonnet-4-5":"bench/model"}""";
        using var host = Process.Start(start)!;
        host.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("Worker process ", StringComparison.Ordinal) == true) workerPid.TrySetResult(int.Parse(e.Data[15..], Inv));
        };
        host.ErrorDataReceived += (_, _) => { };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var url = $"http://127.0.0.1:{port.ToString(Inv)}/v1/messages";
            var body = stream ? Json.Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true", StringComparison.Ordinal) : Json;
            while (clock.Elapsed < TimeSpan.FromSeconds(120))
            {
                if (host.HasExited) throw new InvalidOperationException($"the host exited with code {host.ExitCode}");
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                    request.Headers.Add("x-api-key", "client-key");
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    if (response.StatusCode != System.Net.HttpStatusCode.OK) { await Task.Delay(20); continue; }
                    if (stream)
                    {
                        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                        if (await reader.ReadLineAsync() is not { } first || !first.StartsWith("event: ", StringComparison.Ordinal)) throw new InvalidOperationException("no SSE event");
                    }
                    else
                    {
                        await response.Content.ReadAsByteArrayAsync();
                    }
                    var ms = clock.Elapsed.TotalMilliseconds;
                    var pid = await workerPid.Task.WaitAsync(TimeSpan.FromSeconds(5));
                    return (ms, Rss(pid), Rss(host.Id));
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(20);
                }
            }
            throw new TimeoutException("no answer within 120 s");
        }
        finally
        {
            if (!host.HasExited) host.Kill(entireProcessTree: true);
            await host.WaitForExitAsync();
        }
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid.ToString(Inv)}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line[6..].Trim().Split(' ')[0], Inv) * 1024;
        return -1;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
