using System.Diagnostics;
using FunctionsProxy.Tests.Infrastructure;
using Xunit;

namespace FunctionsProxy.FunctionsHost.Tests;

/// <summary>
/// The stand-in host as people run it (its own process): SIGTERM or SIGINT stops it and the worker it started,
/// promptly and with exit code 0, leaving no process behind.
/// </summary>
public sealed class ShutdownTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public Task A_signal_stops_the_host_and_its_worker(string signal) => SignalAsync(signal, whileStarting: false);

    /// <summary>A signal while the worker starts (seconds on a loaded machine) ends the start, with exit code 0, not the
    /// process by the signal's default action (143).</summary>
    [Fact]
    public Task A_signal_while_starting_stops_the_host() => SignalAsync("TERM", whileStarting: true);

    private static async Task SignalAsync(string signal, bool whileStarting)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "FunctionsHost.dll"), "--port", "0", "--app", await PublishedApp.DirectoryAsync() }) start.ArgumentList.Add(a);
        // Settings come from the environment, as with `func start`; the backend is loopback so start-up discovery stays local.
        start.Environment["CHUTES_BASE_URL"] = upstream.BaseUrl;
        start.Environment["CHUTES_API_KEY"] = "";
        using var host = Process.Start(start)!;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var workerPid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (e.Data.StartsWith("Worker process ", StringComparison.Ordinal)) workerPid.TrySetResult(int.Parse(e.Data[15..], System.Globalization.CultureInfo.InvariantCulture));
            if (e.Data.StartsWith("Listening on ", StringComparison.Ordinal)) listening.TrySetResult();
            if (e.Data.StartsWith("Starting the worker ", StringComparison.Ordinal)) starting.TrySetResult();
        };
        host.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        Process? worker = null;
        try
        {
            var ready = whileStarting ? starting.Task : Task.WhenAll(workerPid.Task, listening.Task);
            Assert.True(await Task.WhenAny(ready, host.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(90))) == ready, "host did not start: " + string.Join("\n", output));
            if (!whileStarting)
            {
                worker = Process.GetProcessById(await workerPid.Task);
                Assert.False(worker.HasExited);
            }

            using (var kill = Process.Start("kill", ["-" + signal, host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.WaitForExitAsync(deadline.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Assert.True(host.HasExited, $"the host still runs 30 s after SIG{signal}: " + string.Join("\n", output));
            Assert.Equal(0, host.ExitCode);
            if (worker is null) return;
            await worker.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token).ContinueWith(_ => { }, TaskScheduler.Default);
            Assert.True(worker.HasExited, $"the worker {worker.Id} outlived the host");
        }
        finally
        {
            if (!host.HasExited) host.Kill(entireProcessTree: true);
            if (worker is { HasExited: false }) worker.Kill(entireProcessTree: true);
            worker?.Dispose();
        }
    }
}
