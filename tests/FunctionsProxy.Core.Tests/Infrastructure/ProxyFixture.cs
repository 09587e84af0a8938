using System.Text.Json;
using FunctionsProxy.Configuration;

namespace FunctionsProxy.Tests.Infrastructure;

/// <summary>A scripted upstream and the real local host in front of it, per test (cheap: both are in-process Kestrel),
/// with helpers to send one request and read one streamed answer.</summary>
public sealed class ProxyFixture : IAsyncDisposable
{
    /// <summary>The client model of <see cref="Request"/>; <see cref="StartMappedAsync"/> maps it to <c>org/model</c>.</summary>
    public const string Model = "claude-sonnet-4-5";

    private ProxyFixture(ScriptedUpstream upstream, ProxyServer proxy)
    {
        Upstream = upstream;
        Proxy = proxy;
    }

    public ScriptedUpstream Upstream { get; }
    public ProxyServer Proxy { get; }

    /// <param name="settings">Proxy settings (names from SettingNames) over the host's test defaults.</param>
    /// <param name="script">Upstream routes that must exist before the proxy starts: with a backend key of its own the
    /// local host discovers models at start, so a listing scripted afterwards would race that first discovery.</param>
    public static async Task<ProxyFixture> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<ScriptedUpstream>? script = null)
    {
        var upstream = await ScriptedUpstream.StartAsync();
        try
        {
            script?.Invoke(upstream);
            return new ProxyFixture(upstream, await ProxyServer.StartAsync(upstream, settings));
        }
        catch
        {
            await upstream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts with MODEL_MAP <c>{"sonnet":"org/model"}</c> under <paramref name="settings"/>, so
    /// <see cref="Request"/> resolves to a backend model without a catalog.</summary>
    public static Task<ProxyFixture> StartMappedAsync(Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { [SettingNames.ModelMap] = """{"sonnet":"org/model"}""" };
        if (settings is not null) foreach (var (k, v) in settings) all[k] = v;
        return StartAsync(all);
    }

    public static string Request(bool stream = true, string text = "List the files in the current directory, please.")
        => $$"""{"model":"{{Model}}","max_tokens":1024,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""";

    /// <summary>Posts a stream request and reads the whole body.</summary>
    public async Task<StreamResult> StreamAsync(string? body = null)
    {
        using var response = await Proxy.PostMessagesAsync(body ?? Request());
        var text = await response.Content.ReadAsStringAsync();
        return new StreamResult(response, text);
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
