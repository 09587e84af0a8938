using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FunctionsProxy.Team;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Tests.Team;
using Xunit;

namespace FunctionsProxy.Tests.Hosting;

/// <summary>
/// The local host as <c>scripts/publish-local-aot.sh</c> builds it (one NativeAOT executable), run as a user runs it:
/// the same answers as the JIT build for JSON, streamed and counted requests, the same refusals, and the keys CLI and
/// keys mode on Table Storage (the one dependency that is not annotated for trimming as a whole).
/// </summary>
public sealed class NativeAotLocalHostTests
{
    private static readonly Lazy<Task<string>> Executable = new(PublishAsync);

    [Fact]
    public async Task The_native_build_answers_json_streams_counts_and_refusals_like_the_jit_build()
    {
        var exe = await Executable.Value;
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.Enqueue(Reply.Json(Chunks.Completion("hello from a native build")));
        upstream.Enqueue(Reply.Sse(Chunks.Role(), Chunks.Content("stre"), Chunks.Content("amed"), Chunks.Finish("stop"), Chunks.Usage(12, 2), "[DONE]"));
        await using var host = await NativeHost.StartAsync(exe, new() { ["CHUTES_BASE_URL"] = upstream.BaseUrl, ["CHUTES_API_KEY"] = "sk-backend" });

        using var json = await host.PostAsync("/v1/messages", ProxyFixture.Request(stream: false));
        var message = JsonNode.Parse(await json.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("hello from a native build", message["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(ProxyFixture.Model, message["model"]!.GetValue<string>());
        Assert.Equal("Bearer sk-backend", upstream.ChatRequests[0].Header("authorization"));

        using var stream = await host.PostAsync("/v1/messages", ProxyFixture.Request(stream: true));
        var frames = SseFrames.Parse(await stream.Content.ReadAsStringAsync());
        Assert.Equal("text/event-stream; charset=utf-8", stream.Content.Headers.ContentType!.ToString());
        Assert.Equal(["message_start", "content_block_start:0:text", "content_block_delta:0:text_delta", "content_block_delta:0:text_delta",
            "content_block_stop:0", "message_delta", "message_stop"], SseFrames.Shape(frames));
        Assert.Equal("streamed", SseFrames.Concat(frames, 0, "text"));

        // count_tokens of Claude Code's real first request: the native build counts exactly as the JIT build does.
        var sample = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Samples", "cc-2.1.330-first-stream.json")))!["body"]!.ToJsonString();
        using var nativeCount = await host.PostAsync("/v1/messages/count_tokens", sample);
        await using var jit = await ProxyFixture.StartAsync();
        using var jitCount = await jit.Proxy.PostMessagesAsync(sample, path: "/v1/messages/count_tokens");
        Assert.Equal(HttpStatusCode.OK, nativeCount.StatusCode);
        var counted = await nativeCount.Content.ReadAsStringAsync();
        Assert.Matches("""^\{"input_tokens":[1-9][0-9]{3,}\}$""", counted);
        Assert.Equal(await jitCount.Content.ReadAsStringAsync(), counted);

        using var refused = await host.PostAsync("/v1/messages", """{"model":"m","messages":[{"role":"user","content":5}]}""");
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_request_error", error["error"]!["type"]!.GetValue<string>());
        Assert.Equal("max_tokens: Field required", error["error"]!["message"]!.GetValue<string>());
        Assert.Equal(2, upstream.ChatRequests.Count); // neither the count nor the refusal reached the backend
    }

    [Fact]
    public async Task The_native_build_runs_the_keys_cli_and_keys_mode_on_a_keys_file_and_refuses_table_storage_in_one_line()
    {
        var exe = await Executable.Value;
        using var dir = new TempDir();
        var files = new Dictionary<string, string>
        {
            ["PROXY_KEYS_FILE"] = dir.File("keys.json"),
        };
        var created = await NativeHost.RunAsync(exe, files, "keys", "create", "--name", "native");
        Assert.Equal((0, ""), (created.ExitCode, created.Stderr));
        var key = created.Stdout.TrimEnd().Split('\n')[^1].Trim();
        Assert.True(ProxyKeys.TryParse(key, out _, out _), created.Stdout);

        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.Enqueue(Reply.Json(Chunks.Completion("keyed")));
        await using (var host = await NativeHost.StartAsync(exe, new(files) { ["CHUTES_BASE_URL"] = upstream.BaseUrl, ["CHUTES_API_KEY"] = "sk-backend", ["PROXY_AUTH"] = "keys" }))
        {
            using var refused = await host.PostAsync("/v1/messages", ProxyFixture.Request(stream: false), apiKey: "fpk_not_a_key");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            using var accepted = await host.PostAsync("/v1/messages", ProxyFixture.Request(stream: false), apiKey: key);
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal("Bearer sk-backend", upstream.ChatRequests.Single().Header("authorization"));
        }
        var list = await NativeHost.RunAsync(exe, files, "keys", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Matches(@"\nnative +fpk_\w{12} +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +active", list.Stdout);

        // Table Storage needs run-time code generation: the native build says so at start, in one line, exit 2,
        // for the server (exit 2, as every setting error) and the CLI (exit 1, as its errors); it used to fail on the first
        // table read with a NotSupportedException.
        var table = new Dictionary<string, string>(files) { ["STORAGE_CONNECTION_STRING"] = "UseDevelopmentStorage=true", ["CHUTES_API_KEY"] = "sk-backend" };
        const string problem = "STORAGE_CONNECTION_STRING cannot be used by the native (NativeAOT) build of the local host: Table Storage needs the JIT build (dotnet run -c Release --project FunctionsProxy.Local).";
        var server = await NativeHost.RunAsync(exe, table);
        Assert.Equal((2, "FunctionsProxy cannot start: " + problem), (server.ExitCode, Assert.Single(server.StderrLines)));
        var cli = await NativeHost.RunAsync(exe, table, "keys", "list");
        Assert.Equal((1, "error: " + problem), (cli.ExitCode, Assert.Single(cli.StderrLines)));
    }

    /// <summary>The build scripts/test.sh published with the script users run before the tests started (the native
    /// compile must not compete with timing-sensitive tests); else publishes once per test run into this test
    /// project's output folder.</summary>
    private static async Task<string> PublishAsync()
    {
        if (Environment.GetEnvironmentVariable("FUNCTIONSPROXY_AOT_EXE") is { Length: > 0 } published && File.Exists(published)) return published;
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FunctionsProxy.sln"))) root = root.Parent;
        var output = Path.Combine(AppContext.BaseDirectory, "local-aot");
        var start = new ProcessStartInfo("bash", [Path.Combine(root!.FullName, "scripts", "publish-local-aot.sh"), output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        var exe = Path.Combine(output, "FunctionsProxy.Local");
        if (publish.ExitCode != 0 || !File.Exists(exe)) throw new InvalidOperationException($"publish-local-aot.sh failed: {await stdout}{await stderr}");
        // The script prints the executable's path last: what a user copies.
        Assert.Equal(exe, (await stdout).TrimEnd().Split('\n')[^1]);
        return exe;
    }

    /// <summary>The native executable as a child process with only the given settings (no inherited proxy settings).</summary>
    private sealed class NativeHost : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _client;

        private NativeHost(Process process, HttpClient client) => (_process, _client) = (process, client);

        public static async Task<NativeHost> StartAsync(string exe, Dictionary<string, string> settings)
        {
            var port = LoopbackPort.Free();
            var process = Process.Start(Start(exe, new(settings) { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) }))!;
            var log = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var host = new NativeHost(process, client);
            for (var i = 0; i < 200; i++)
            {
                if (process.HasExited) break;
                try
                {
                    using var health = await client.GetAsync("/health");
                    if (health.IsSuccessStatusCode) return host;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(50);
            }
            await host.DisposeAsync();
            lock (log) throw new InvalidOperationException("the native local host did not become healthy: " + log);
        }

        public static Task<LocalProcess.Result> RunAsync(string exe, Dictionary<string, string> settings, params string[] args)
            => LocalProcess.RunAsync(exe, settings, TimeSpan.FromMinutes(1), args);

        public Task<HttpResponseMessage> PostAsync(string path, string json, string apiKey = "client-key")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-api-key", apiKey);
            request.Headers.Add("anthropic-version", "2023-06-01");
            return _client.SendAsync(request);
        }

        private static ProcessStartInfo Start(string exe, Dictionary<string, string> settings) => LocalProcess.Prepare(new ProcessStartInfo(exe), settings);

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
