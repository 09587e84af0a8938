using System.Diagnostics;

namespace FunctionsProxy.Tests.Infrastructure;

/// <summary>The built FunctionsProxy.Local run as a child process, as an admin runs it, with a clean environment.</summary>
public static class LocalProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }

    /// <summary>Runs to exit (killed after <paramref name="timeout"/>, which fails the caller's exit-code check).</summary>
    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var appHost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "FunctionsProxy.Local.exe" : "FunctionsProxy.Local");
        var start = File.Exists(appHost)
            ? new ProcessStartInfo(appHost)
            : new ProcessStartInfo("dotnet") { ArgumentList = { Path.Combine(AppContext.BaseDirectory, "FunctionsProxy.Local.dll") } };
        return RunAsync(start, environment, timeout, args);
    }

    /// <summary>As above, for another build of the local host (e.g. the NativeAOT executable).</summary>
    public static Task<Result> RunAsync(string executable, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
        => RunAsync(new ProcessStartInfo(executable), environment, timeout, args);

    /// <summary>Sets <paramref name="start"/> up as an admin's shell would run it: output redirected, a neutral working
    /// folder, only the runtime's variables from this process plus <paramref name="environment"/>.</summary>
    public static ProcessStartInfo Prepare(ProcessStartInfo start, IReadOnlyDictionary<string, string> environment)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = Path.GetTempPath();
        // Only what the runtime needs from this process's environment; the proxy's settings come from the test.
        var keep = new[] { "PATH", "HOME", "TMPDIR", "TEMP", "TMP", "DOTNET_ROOT", "SystemRoot", "USERPROFILE", "LOCALAPPDATA" };
        foreach (var name in start.Environment.Keys.ToArray())
            if (!keep.Contains(name, StringComparer.OrdinalIgnoreCase)) start.Environment.Remove(name);
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment) start.Environment[k] = v;
        return start;
    }

    private static async Task<Result> RunAsync(ProcessStartInfo start, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, string[] args)
    {
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(Prepare(start, environment))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new Result(-1, await stdout, await stderr);
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
