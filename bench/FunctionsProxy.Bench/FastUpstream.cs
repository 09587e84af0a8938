using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace FunctionsProxy.Bench;

/// <summary>
/// An OpenAI-compatible upstream that costs as little as possible: every answer is a pre-serialised byte array
/// written straight to the response pipe, the request body is drained into a pooled buffer and never parsed.
/// Stream or not is decided by the <c>Accept</c> header (the proxy sends <c>text/event-stream</c> for streams).
/// </summary>
internal static class FastUpstream
{
    private const string Head = "\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1732500000,\"model\":\"org/model\"";

    public static readonly byte[] Completion = Encoding.UTF8.GetBytes(
        "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1732500000,\"model\":\"org/model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
        + Quote("I'll look at the repository layout first, then summarise what each project does and where the tests live. The solution has a core library, two hosts and three test projects.")
        + ",\"tool_calls\":[]},\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":12840,\"total_tokens\":12893,\"completion_tokens\":53}}");

    /// <summary>Number of content deltas in the standard stream answer.</summary>
    public const int StreamTextChunks = 64;

    // The first frame alone (so time-to-first-byte is meaningful), then the rest in one write.
    public static readonly byte[] StreamFirst = Frame($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"logprobs\":null,\"finish_reason\":null}}]}}");
    public static readonly byte[] StreamRest = BuildStreamRest(StreamTextChunks, "word ");

    /// <summary>The 10 MB answer: 10 240 content deltas of 1 KiB text, in ~64 KB writes.</summary>
    public const int BigChunkChars = 1024;
    public const int BigChunks = 10 * 1024;
    private static byte[][]? _big;

    public static async Task<int> RunAsync(string[] args)
    {
        var port = int.Parse(Args.Value(args, "--port") ?? "0", CultureInfo.InvariantCulture);
        var big = Args.Flag(args, "--big");
        if (big) _big = BuildBig();
        var builder = BenchServer.CreateBuilder(port);
        var app = builder.Build();
        byte[]? captured = null;
        var captureNext = 0;
        app.Run(async context =>
        {
            var request = context.Request;
            var response = context.Response;
            var path = request.Path.Value;
            if (path == "/v1/chat/completions")
            {
                var body = await DrainAsync(request.Body, Interlocked.Exchange(ref captureNext, 0) == 1, context.RequestAborted);
                if (body is not null) captured = body;
                response.StatusCode = 200;
                var stream = request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.Ordinal);
                if (!stream)
                {
                    response.ContentType = "application/json";
                    response.ContentLength = Completion.Length;
                    await response.BodyWriter.WriteAsync(Completion, context.RequestAborted);
                    return;
                }
                response.ContentType = "text/event-stream";
                response.Headers.CacheControl = "no-cache";
                context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
                await response.BodyWriter.WriteAsync(StreamFirst, context.RequestAborted);
                if (_big is { } segments)
                {
                    foreach (var segment in segments) await response.BodyWriter.WriteAsync(segment, context.RequestAborted);
                }
                else
                {
                    await response.BodyWriter.WriteAsync(StreamRest, context.RequestAborted);
                }
                return;
            }
            if (path == "/_capture" && HttpMethods.IsPost(request.Method)) { Interlocked.Exchange(ref captureNext, 1); response.StatusCode = 204; return; }
            if (path == "/_captured") { response.ContentType = "application/json"; if (captured is not null) await response.Body.WriteAsync(captured); return; }
            if (path is "/health" or "/") { response.StatusCode = 200; return; }
            if (path == "/v1/models")
            {
                response.ContentType = "application/json";
                await response.WriteAsync("{\"object\":\"list\",\"data\":[{\"id\":\"some-model\",\"object\":\"model\",\"created\":1732500000,\"owned_by\":\"bench\",\"max_model_len\":131072}]}");
                return;
            }
            response.StatusCode = 404;
        });
        await app.StartAsync();
        Console.WriteLine("ready " + app.Urls.First());
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task<byte[]?> DrainAsync(Stream body, bool keep, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        MemoryStream? copy = keep ? new MemoryStream() : null;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0) copy?.Write(buffer, 0, read);
            return copy?.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] BuildStreamRest(int chunks, string text)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < chunks; i++) sb.Append(FrameText(Content(text + i.ToString(CultureInfo.InvariantCulture) + " ")));
        sb.Append(FrameText($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}}]}}"));
        sb.Append(FrameText($"{{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":12840,\"total_tokens\":{12840 + chunks},\"completion_tokens\":{chunks}}}}}"));
        sb.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static byte[][] BuildBig()
    {
        var text = new string('x', BigChunkChars - 1) + " ";
        var one = Encoding.UTF8.GetBytes(FrameText(Content(text)));
        var perSegment = Math.Max(1, 64 * 1024 / one.Length);
        var segments = new List<byte[]>();
        for (var done = 0; done < BigChunks; done += perSegment)
        {
            var n = Math.Min(perSegment, BigChunks - done);
            var seg = new byte[one.Length * n];
            for (var i = 0; i < n; i++) one.CopyTo(seg, i * one.Length);
            segments.Add(seg);
        }
        var tail = BuildStreamRest(0, "");
        segments.Add(tail);
        return [.. segments];
    }

    private static string Content(string text) => $"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{Quote(text)}}},\"logprobs\":null,\"finish_reason\":null}}]}}";

    private static byte[] Frame(string json) => Encoding.UTF8.GetBytes(FrameText(json));
    private static string FrameText(string json) => "data: " + json + "\n\n";
    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);
}
