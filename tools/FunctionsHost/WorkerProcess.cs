using System.Diagnostics;
using System.Text.Json;

namespace FunctionsProxy.Tools.FunctionsHost;

/// <summary>Starts the isolated worker the way the Functions host does: the executable and assembly named by
/// worker.config.json, the <c>--functions-*</c> arguments, the app directory as working directory, and the app
/// settings in its environment.</summary>
internal static class WorkerProcess
{
    // What a process needs to run at all when the host's own environment is not passed on.
    private static readonly string[] Essentials = ["PATH", "HOME", "DOTNET_ROOT", "TMPDIR", "LANG", "NUGET_PACKAGES", "SSL_CERT_FILE", "SSL_CERT_DIR"];

    public static Process Start(FunctionsHostOptions options, Uri grpcUri, string workerId, Action<string> output)
    {
        var app = Path.GetFullPath(options.AppDirectory);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "worker.config.json")));
        var description = config.RootElement.GetProperty("description");
        var executable = description.TryGetProperty("defaultExecutablePath", out var e) ? e.GetString()! : "dotnet";
        var worker = Path.Combine(app, description.GetProperty("defaultWorkerPath").GetString()!);

        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = app,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            worker,
            "--functions-uri", grpcUri.ToString(),
            "--functions-worker-id", workerId,
            "--functions-request-id", Guid.NewGuid().ToString(),
            // Always passed: a missing value would become a 0-byte limit in the worker.
            "--functions-grpc-max-message-length", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(a);
        }

        if (!options.InheritEnvironment)
        {
            var keep = Essentials.Select(n => (n, Environment.GetEnvironmentVariable(n))).Where(p => p.Item2 is not null).ToArray();
            start.Environment.Clear();
            foreach (var (n, v) in keep) start.Environment[n] = v;
        }
        foreach (var (k, v) in options.PlatformEnvironment) start.Environment[k] = v;
        foreach (var (k, v) in options.Settings) start.Environment[k] = v;
        start.Environment["FUNCTIONS_WORKER_DIRECTORY"] = app;
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = app;
        start.Environment["AzureWebJobsScriptRoot"] = app;

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + executable);
        process.OutputDataReceived += (_, l) => { if (l.Data is not null) output(l.Data); };
        process.ErrorDataReceived += (_, l) => { if (l.Data is not null) output(l.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
