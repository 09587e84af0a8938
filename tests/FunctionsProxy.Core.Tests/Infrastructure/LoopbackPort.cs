using System.Net;
using System.Net.Sockets;

namespace FunctionsProxy.Tests.Infrastructure;

/// <summary>A TCP port on 127.0.0.1 that nothing listens on right now, for a child process told its port up front.</summary>
public static class LoopbackPort
{
    public static int Free() => Free(1)[0];

    /// <summary><paramref name="count"/> distinct ports: each is held while the next is picked (ports picked one after
    /// another can come back equal once the first listener is closed).</summary>
    public static int[] Free(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(listener);
                listener.Start();
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }
}
