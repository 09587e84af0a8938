using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FunctionsProxy.Bench;

/// <summary>A server role in its own process: honest RSS (/proc), its own GC and thread pool.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(string name, Process process, int port)
    {
        Name = name;
        _process = process;
        Port = port;
        BaseUrl = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    public string Name { get; }

    /// <summary>The role in reports (upstream, yarp, proxy, ...); the name unless set.</summary>
    public string Role { get; init; } = "";
    public int Port { get; }
    public string BaseUrl { get; }
    public int Pid => _process.Id;

    /// <summary>Starts this bench program in another role.</summary>
    public static ChildProcess StartSelf(string name, int port, params string[] roleArgs) => StartSelf(name, port, new Dictionary<string, string>(), roleArgs);

    /// <summary>As above, with extra environment variables for the child.</summary>
    public static ChildProcess StartSelf(string name, int port, IDictionary<string, string> env, params string[] roleArgs)
    {
        var self = typeof(BenchRunner).Assembly.Location;
        var host = Environment.ProcessPath!;
        var useDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var args = useDotnet ? new[] { self }.Concat(roleArgs) : roleArgs;
        return Start(name, port, host, args, env);
    }

    public static ChildProcess Start(string name, int port, string fileName, IEnumerable<string> args, IDictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + name);
        // Drain the pipes so a chatty child never blocks on a full pipe.
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) Console.Error.WriteLine($"[{name}] {line}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return new ChildProcess(name, p, port) { Role = name };
    }

    public async Task WaitReadyAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}");
            try
            {
                using var r = await http.GetAsync(BaseUrl + path);
                if ((int)r.StatusCode < 500) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} did not answer on {BaseUrl}{path} within {timeout.TotalSeconds} s");
    }

    /// <summary>CPU time the process has used so far (user + system, all threads), from <c>/proc/&lt;pid&gt;/stat</c>;
    /// zero when unreadable. The difference over a load run divided by its requests is the CPU cost per request.</summary>
    public TimeSpan CpuTime => ProcCpu.Read(Pid);

    /// <summary>Current resident set size in bytes (VmRSS).</summary>
    public long Rss => Status("VmRSS:");

    /// <summary>Peak resident set size since start or the last <see cref="ResetPeak"/> (VmHWM).</summary>
    public long PeakRss => Status("VmHWM:");

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0: write 5 to clear_refs). False when not allowed.</summary>
    public bool ResetPeak()
    {
        try { File.WriteAllText($"/proc/{Pid}/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private long Status(string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException) { }
        return -1;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
