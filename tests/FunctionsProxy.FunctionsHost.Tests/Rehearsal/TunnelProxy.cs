using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FunctionsProxy.FunctionsHost.Tests.Rehearsal;

/// <summary>
/// The network as the worker sees it: an HTTP CONNECT proxy on loopback (the worker's <c>HTTPS_PROXY</c>) that
/// tunnels the public Azure host names the deployment uses (<c>kv-….vault.azure.net:443</c>, the Application
/// Insights endpoints) to their loopback stand-ins and refuses everything else, recording it. This keeps those
/// endpoints exactly as Azure reports them, so the Key Vault client's challenge check (the challenge resource must be
/// a parent domain of the vault host) runs as in production, and nothing leaves the machine.
/// </summary>
internal sealed class TunnelProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IReadOnlyDictionary<string, int> _routes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private TunnelProxy(IReadOnlyDictionary<string, int> routes)
    {
        _routes = routes;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's URL for <c>HTTPS_PROXY</c>.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every tunnel asked for (host:port), and whether it was routed.</summary>
    public ConcurrentQueue<(string Target, bool Routed)> Tunnels { get; } = new();

    /// <param name="routes">host:port → loopback port of the stand-in.</param>
    public static TunnelProxy Start(IReadOnlyDictionary<string, int> routes) => new(routes);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            var head = await ReadHeadAsync(stream);
            var parts = head.Split(' ', 3);
            var target = parts.Length == 3 && parts[0] == "CONNECT" ? parts[1].ToLowerInvariant() : (parts.Length > 1 ? parts[1] : head);
            var routed = parts[0] == "CONNECT" && _routes.TryGetValue(target, out var port);
            Tunnels.Enqueue((target, routed));
            if (!routed)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token);
                return;
            }
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(IPAddress.Loopback, _routes[target], _stop.Token);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection Established\r\n\r\n"), _stop.Token);
            var other = upstream.GetStream();
            await Task.WhenAny(stream.CopyToAsync(other, _stop.Token), other.CopyToAsync(stream, _stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The request line, after reading the whole request head (CONNECT has no body).</summary>
    private async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 8192)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0) break;
            bytes.Add(one[0]);
            if (bytes.Count >= 4 && bytes[^1] == '\n' && bytes[^2] == '\r' && bytes[^3] == '\n' && bytes[^4] == '\r') break;
        }
        var text = Encoding.ASCII.GetString(bytes.ToArray());
        return text[..Math.Max(0, text.IndexOf("\r\n", StringComparison.Ordinal))];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accepting; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
