using System.Net;
using System.Net.Sockets;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Tests.Team;
using Xunit;

namespace FunctionsProxy.Tests.Hosting;

/// <summary>
/// Starting the built local host with the settings an admin gets wrong: one line on stderr naming the setting, exit
/// code 2, nothing on stdout (no "Now listening", no host error log with a stack trace).
/// </summary>
public sealed class StartupTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Env(params (string Name, string Value)[] settings)
    {
        var env = new Dictionary<string, string> { ["PROXY_KEYS_FILE"] = _dir.File("keys.json"), ["CHUTES_BASE_URL"] = "http://127.0.0.1:9" };
        foreach (var (name, value) in settings) env[name] = value;
        return env;
    }

    private static void AssertOneLineNaming(LocalProcess.Result result, string setting)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("FunctionsProxy cannot start: ", line);
        Assert.Contains(setting, line);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("-1")]
    [InlineData("80.5")]
    public async Task An_invalid_PORT_is_one_line_and_exit_2_instead_of_listening_on_all_interfaces(string port)
    {
        var result = await LocalProcess.RunAsync(Env(("PORT", port)), Timeout);
        AssertOneLineNaming(result, "PORT");
        Assert.Contains($"'{port}'", result.Stderr);
    }

    [Fact]
    public async Task A_busy_port_is_one_line_naming_PORT_and_exit_2()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var result = await LocalProcess.RunAsync(Env(("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture))), Timeout);
        AssertOneLineNaming(result, "PORT");
        Assert.Contains($"127.0.0.1:{port}", result.Stderr);
        Assert.Contains("in use", result.Stderr);
    }

    [Theory]
    [InlineData("MODEL_MAP", "{not json")]
    [InlineData("PROXY_ALLOWED_ORIGINS", "*")]
    [InlineData("PROXY_ALLOWED_ORIGINS", "https://app.example/path")]
    [InlineData("PROXY_ALLOWED_HOSTS", "bad/host")]
    [InlineData("PROXY_AUTH", "keys")]
    [InlineData("STORAGE_CONNECTION_STRING", "AccountKey=c2VjcmV0;garbage")]
    [InlineData("STORAGE_TABLE_ENDPOINT", "not a url")]
    public async Task A_configuration_error_is_exactly_one_line(string name, string value)
    {
        var result = await LocalProcess.RunAsync(Env(("PORT", "1"), (name, value)), Timeout);
        AssertOneLineNaming(result, name);
        Assert.DoesNotContain("c2VjcmV0", result.Stderr);
    }
}
