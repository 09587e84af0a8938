using System.Diagnostics;
using System.Net;
using FunctionsProxy.Local.Cli;
using FunctionsProxy.Team;
using FunctionsProxy.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace FunctionsProxy.Tests.Team;

/// <summary>The <c>keys</c> CLI against a temp keys file (and Azurite), sharing keys with a running local host.</summary>
public sealed class KeysCliTests : IDisposable
{
    private const string Hi = """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string?> FileSettings() => new()
    {
        ["PROXY_KEYS_FILE"] = _dir.File("keys.json"),
        ["STORAGE_CONNECTION_STRING"] = "",
        ["STORAGE_TABLE_ENDPOINT"] = "",
    };

    private static async Task<(int Exit, string Out, string Err)> RunAsync(Dictionary<string, string?> settings, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await KeysCommand.RunAsync(args, settings, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string LastLine(string text) => text.TrimEnd('\n', '\r').Split('\n')[^1].TrimEnd('\r');

    [Fact]
    public async Task Create_prints_the_key_alone_on_the_last_line_and_list_never_shows_it()
    {
        var settings = FileSettings();
        var (exit, output, error) = await RunAsync(settings, "create", "--name", "alice", "--rpm", "30", "--tokens-per-day", "100000");
        Assert.Equal((0, ""), (exit, error));
        var key = LastLine(output);
        Assert.True(ProxyKeys.TryParse(key, out _, out var secret));

        var list = await RunAsync(settings, "list");
        Assert.Equal(0, list.Exit);
        var lines = list.Out.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("NAME", lines[0]);
        Assert.Equal(["alice", key[..16], "30", "100000", "-", "-"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) is var cells ? [cells[0], cells[1], cells[^4], cells[^3], cells[^2], cells[^1]] : null);
        Assert.Contains("never", lines[1]);
        Assert.DoesNotContain(secret, list.Out);
        Assert.DoesNotContain(secret, await File.ReadAllTextAsync(_dir.File("keys.json")));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.File("keys.json")));
    }

    [Fact]
    public async Task Errors_go_to_stderr_with_a_non_zero_exit()
    {
        var settings = FileSettings();
        Assert.Equal(0, (await RunAsync(settings, "create", "--name", "alice")).Exit);
        foreach (var args in new[] { new[] { "create", "--name", "alice" }, ["create"], ["create", "--name", "bad/name"], ["revoke", "--name", "bob"],
                     ["rotate", "--name", "bob"], ["create", "--name", "x", "--rpm", "zero"], ["frobnicate"], ["list", "--bogus", "1"], ["usage", "--days", "0"], [] })
        {
            var (exit, output, error) = await RunAsync(settings, args);
            Assert.NotEqual(0, exit);
            Assert.StartsWith(args.Length == 0 ? "usage:" : "error:", error.TrimStart());
            Assert.DoesNotContain("fpk_", output);
        }
    }

    [Fact]
    public async Task Keys_mode_without_a_backend_key_still_issues_keys_as_an_admin_runs_it()
    {
        // Host-only settings do not concern the CLI: keys are issued before the backend key is configured.
        var env = new Dictionary<string, string> { ["PROXY_AUTH"] = "keys", ["PROXY_KEYS_FILE"] = _dir.File("keys.json") };
        var result = await LocalProcess.RunAsync(env, TimeSpan.FromSeconds(60), "keys", "create", "--name", "carol");
        Assert.Equal((0, ""), (result.ExitCode, result.Stderr));
        Assert.True(ProxyKeys.TryParse(LastLine(result.Stdout), out _, out _));
        Assert.Contains("carol", (await RunAsync(FileSettings(), "list")).Out);
    }

    public static TheoryData<string, string?, string[]> Failures => new()
    {
        { "bad args", null, ["create", "--name"] },
        { "unknown option", null, ["create", "--name", "x", "--colour", "red"] },
        { "key file is a directory", "dir", ["list"] },
        { "key file is not JSON", "garbage", ["create", "--name", "dave"] },
        { "storage unreachable", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;", ["list"] },
        { "storage connection string invalid", "AccountKey=c2VjcmV0;nonsense", ["list"] },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Every_failure_is_one_line_without_a_stack_trace(string _, string? store, string[] args)
    {
        var env = new Dictionary<string, string> { ["PROXY_KEYS_FILE"] = _dir.File("keys.json") };
        if (store == "dir") Directory.CreateDirectory(env["PROXY_KEYS_FILE"]);
        else if (store == "garbage") await File.WriteAllTextAsync(env["PROXY_KEYS_FILE"], "{not json");
        else if (store is not null) env["STORAGE_CONNECTION_STRING"] = store;
        var result = await LocalProcess.RunAsync(env, TimeSpan.FromSeconds(90), ["keys", .. args]);
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr.Split('\n')[0]);
        Assert.DoesNotContain("c2VjcmV0", result.Stderr);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Single(result.StderrLines.TakeWhile(l => !l.StartsWith("usage:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_running_local_host_accepts_cli_keys_and_refuses_them_after_revoke_and_rotate()
    {
        var settings = FileSettings();
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("/v1/chat/completions", _ => Reply.Json(Chunks.Completion("ok", prompt: 9, completion: 4)));
        var hostSettings = new Dictionary<string, string?>(settings) { ["PROXY_AUTH"] = "keys", ["CHUTES_API_KEY"] = "sk-backend" };
        await using var proxy = await ProxyServer.StartAsync(upstream, hostSettings, b =>
            b.Services.Configure<TeamOptions>(o => o.KeyCacheTtl = TimeSpan.Zero));

        var alice = LastLine((await RunAsync(settings, "create", "--name", "alice")).Out);
        var bob = LastLine((await RunAsync(settings, "create", "--name", "bob")).Out);
        Assert.Equal(HttpStatusCode.OK, (await proxy.PostMessagesAsync(Hi, alice)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.PostMessagesAsync(Hi, alice)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.PostMessagesAsync(Hi, bob)).StatusCode);

        var (exit, rotatedOut, _) = await RunAsync(settings, "rotate", "--name", "alice");
        Assert.Equal(0, exit);
        var rotated = LastLine(rotatedOut);
        Assert.NotEqual(alice, rotated);
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.PostMessagesAsync(Hi, alice)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await proxy.PostMessagesAsync(Hi, rotated)).StatusCode);

        Assert.Equal(0, (await RunAsync(settings, "revoke", "--name", "bob")).Exit);
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.PostMessagesAsync(Hi, bob)).StatusCode);

        // Usage the host metered into the shared file, read by the CLI: alice 3 calls, bob 1, 9/4 tokens each.
        var usage = await RunAsync(settings, "usage", "--days", "2");
        Assert.Equal(0, usage.Exit);
        var rows = usage.Out.TrimEnd().Split('\n').Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal([["alice", "m", "3", "27", "12", "0", "-"], ["bob", "m", "1", "9", "4", "0", "-"]], rows.Select(r => r[1..]).ToArray()); // no MODEL_PRICES: cost unknown
        var onlyBob = await RunAsync(settings, "usage", "--name", "bob");
        Assert.Equal(2, onlyBob.Out.TrimEnd().Split('\n').Length);
        Assert.Equal("sk-backend", upstream.ChatRequests[0].Header("authorization")?["Bearer ".Length..]);
    }

    [Fact]
    public async Task The_cli_uses_table_storage_when_it_is_configured()
    {
        Azurite.Storage();
        var settings = new Dictionary<string, string?>
        {
            ["STORAGE_CONNECTION_STRING"] = Azurite.ConnectionString,
            ["PROXY_KEYS_TABLE"] = Azurite.UniqueTable("keys"),
            ["PROXY_USAGE_TABLE"] = Azurite.UniqueTable("usage"),
            ["PROXY_KEYS_FILE"] = _dir.File("unused.json"),
        };
        var key = LastLine((await RunAsync(settings, "create", "--name", "carol")).Out);
        Assert.True(ProxyKeys.TryParse(key, out _, out _));
        Assert.Contains("carol", (await RunAsync(settings, "list")).Out);
        Assert.False(File.Exists(_dir.File("unused.json")));
        Assert.Equal(0, (await RunAsync(settings, "revoke", "--name", "carol")).Exit);
        // The revoked key stays listed with its status (revocation used to delete it: the list was the header alone).
        var listed = (await RunAsync(settings, "list")).Out.TrimEnd().Split('\n');
        Assert.Equal(2, listed.Length);
        Assert.Matches(@"^carol +fpk_\w{12} +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +never +revoked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d +- +- +- +-\r?$", listed[1]);
        var rotate = await RunAsync(settings, "rotate", "--name", "carol");
        Assert.Equal(1, rotate.Exit);
        Assert.Matches(@"^error: the key 'carol' was revoked on .+ UTC; create a new key with that name instead\.\r?\n$", rotate.Err);
        var recreated = await RunAsync(settings, "create", "--name", "carol");
        Assert.Equal(0, recreated.Exit);
        Assert.Contains(" active ", (await RunAsync(settings, "list")).Out);
    }

    [Fact]
    public async Task The_real_program_entry_dispatches_keys_and_exits()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "FunctionsProxy.Local.exe" : "FunctionsProxy.Local");
        async Task<(int, string, string)> Run(params string[] args)
        {
            var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) start.ArgumentList.Add(a);
            start.Environment["PROXY_KEYS_FILE"] = _dir.File("keys.json");
            start.Environment.Remove("STORAGE_CONNECTION_STRING");
            start.Environment.Remove("STORAGE_TABLE_ENDPOINT");
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            return (process.ExitCode, await output, await error);
        }

        var (exit, output, error) = await Run("keys", "create", "--name", "dave");
        Assert.Equal((0, ""), (exit, error));
        Assert.True(ProxyKeys.TryParse(LastLine(output), out _, out _));
        var (listExit, list, _) = await Run("keys", "list");
        Assert.Equal(0, listExit);
        Assert.Contains("dave", list);
        var (badExit, _, badError) = await Run("keys", "revoke", "--name", "nobody");
        Assert.Equal(1, badExit);
        Assert.Equal("error: no key named 'nobody'.", badError.Trim());
    }
}
