using System.Diagnostics;
using System.Text;
using FunctionsProxy.Hosting;

namespace FunctionsProxy.Bench;

/// <summary>
/// <c>bench fallback [--requests N]</c>: what one fallback hop adds to a request. Three loopback servers in this
/// process — an upstream that answers 503 at once for <c>org/down</c> and a completion for <c>org/up</c>, a proxy
/// mapping <c>opus</c> to <c>org/up</c>, and one mapping it to the chain <c>["org/down","org/up"]</c> (breaker off, so
/// every request takes the hop) — measured with sequential requests in interleaved rounds:
/// hop overhead = chain − direct − (the failed attempt alone: the 503 round trip to the upstream).
/// </summary>
internal static class FallbackBench
{
    private static readonly byte[] Down = """{"detail":"No instances available (yet) for chute_id=bench"}"""u8.ToArray();

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = int.Parse(Args.Value(args, "--requests") ?? "3000", System.Globalization.CultureInfo.InvariantCulture);
        await using var upstream = await StartUpstreamAsync();
        var upstreamUrl = upstream.Urls.First();
        await using var direct = await StartProxyAsync(upstreamUrl, """{"opus":"org/up"}""");
        await using var chain = await StartProxyAsync(upstreamUrl, """{"opus":["org/down","org/up"]}""");

        using var http = new HttpClient();
        const string body = """{"model":"claude-opus-4-1","max_tokens":256,"messages":[{"role":"user","content":"Summarise the repository layout in two sentences."}]}""";
        // The failed attempt as the proxy sends it: the translated body, with the failing model's id.
        const string failed = """{"model":"org/down","messages":[{"role":"user","content":"Summarise the repository layout in two sentences."}],"max_tokens":256,"stream":false}""";

        async Task<double> TimeAsync(string url, string json, int expect)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", "bench");
            var start = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            await response.Content.LoadIntoBufferAsync();
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            if ((int)response.StatusCode != expect) throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}");
            return elapsed;
        }

        var targets = new (string Name, string Url, string Json, int Status)[]
        {
            ("direct (org/up)", direct.Urls.First() + "/v1/messages", body, 200),
            ("chain (down → up)", chain.Urls.First() + "/v1/messages", body, 200),
            ("failed attempt alone", upstreamUrl + "/v1/chat/completions", failed, 503),
        };
        var samples = targets.Select(_ => new List<double>(requests)).ToArray();
        for (var i = 0; i < requests / 10 + 200; i++)
            for (var t = 0; t < targets.Length; t++) await TimeAsync(targets[t].Url, targets[t].Json, targets[t].Status); // warm-up (JIT, pools)
        for (var i = 0; i < requests; i++)
            for (var t = 0; t < targets.Length; t++) samples[t].Add(await TimeAsync(targets[t].Url, targets[t].Json, targets[t].Status));

        Console.WriteLine($"{"sequential requests, µs",-26} {"p50",8} {"p90",8} {"mean",8}");
        var p50 = new double[targets.Length];
        var p90 = new double[targets.Length];
        for (var t = 0; t < targets.Length; t++)
        {
            samples[t].Sort();
            p50[t] = samples[t][samples[t].Count / 2];
            p90[t] = samples[t][samples[t].Count * 9 / 10];
            Console.WriteLine($"{targets[t].Name,-26} {p50[t],8:0} {p90[t],8:0} {samples[t].Average(),8:0}");
        }
        Console.WriteLine($"hop overhead (chain − direct − failed attempt): p50 {p50[1] - p50[0] - p50[2]:0} µs, p90 {p90[1] - p90[0] - p90[2]:0} µs");
        return 0;
    }

    private static async Task<WebApplication> StartUpstreamAsync()
    {
        var app = BenchServer.CreateBuilder(0).Build();
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var isDown = buffer.GetBuffer().AsSpan(0, (int)buffer.Length).IndexOf("\"org/down\""u8) >= 0;
            var answer = isDown ? Down : FastUpstream.Completion;
            context.Response.StatusCode = isDown ? 503 : 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer, context.RequestAborted);
        });
        await app.StartAsync();
        return app;
    }

    private static async Task<WebApplication> StartProxyAsync(string upstreamUrl, string modelMap)
    {
        var builder = BenchServer.CreateBuilder(0);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CHUTES_BASE_URL"] = upstreamUrl,
            ["MODEL_MAP"] = modelMap,
            ["MODEL_FAILURE_THRESHOLD"] = "0",
            ["DISCOVERY_MIN_INTERVAL"] = "100000",
        });
        builder.Services.AddFunctionsProxyCore(builder.Configuration);
        var app = builder.Build();
        app.MapFunctionsProxy();
        await app.StartAsync();
        return app;
    }
}
