using FunctionsProxy.Tests.Infrastructure;

namespace FunctionsProxy.Tests.Messages;

/// <summary>A scripted upstream and the real local host in front of it, per test (cheap: both are in-process Kestrel).</summary>
public sealed class ProxyFixture : IAsyncDisposable
{
    public required ScriptedUpstream Upstream { get; init; }
    public required ProxyServer Proxy { get; init; }

    /// <param name="settings">Proxy settings.</param>
    /// <param name="script">Upstream routes that must exist before the proxy starts: with a backend key of its own the
    /// local host discovers models at start, so a listing scripted afterwards would race that first discovery.</param>
    public static async Task<ProxyFixture> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<ScriptedUpstream>? script = null)
    {
        var upstream = await ScriptedUpstream.StartAsync();
        script?.Invoke(upstream);
        var proxy = await ProxyServer.StartAsync(upstream, settings);
        return new ProxyFixture { Upstream = upstream, Proxy = proxy };
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
