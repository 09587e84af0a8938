using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using FunctionsProxy.Tools.FunctionsHost;

// dotnet run --project tools/FunctionsHost -- --port 7071 [--app DIR]
// Without --app, publishes FunctionsProxy/ first. Settings: this process's environment plus local.settings.json's
// Values from the app directory or FunctionsProxy/ (an environment variable wins, as with `func start`).
var port = 7071;
string? app = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port": port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--app": app = args[++i]; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}; usage: --port N [--app DIR]"); return 2;
    }
}

// Signals are taken first thing: one that arrives while publishing or starting must stop this host (and the worker
// once started) like any other, not kill the process by the default action. SIGTERM (docker stop, systemd, test
// runners), SIGINT (Ctrl+C) and SIGQUIT end the wait below or cancel the start; leaving the `await using` block
// disposes the host, which stops the worker and kills its process tree. Should the runtime exit some other way, the
// worker is killed on the way out rather than left behind.
using var stopping = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
FunctionsHostServer? started = null;
AppDomain.CurrentDomain.ProcessExit += (_, _) => started?.KillWorker();

var root = Directory.GetCurrentDirectory();
var project = Path.Combine(root, "FunctionsProxy");
if (app is null)
{
    app = Path.Combine(project, "bin", "functions-host");
    Console.WriteLine($"Publishing FunctionsProxy to {app} ...");
    using var publish = Process.Start("dotnet", ["publish", Path.Combine(project, "FunctionsProxy.csproj"), "-c", "Release", "-o", app, "--nologo", "-v", "q"]);
    try
    {
        await publish.WaitForExitAsync(stopping.Token);
    }
    catch (OperationCanceledException)
    {
        publish.Kill(entireProcessTree: true);
        return 0;
    }
    if (publish.ExitCode != 0) return publish.ExitCode;
}

var settings = new Dictionary<string, string>();
foreach (var file in new[] { Path.Combine(app, "local.settings.json"), Path.Combine(project, "local.settings.json") })
{
    if (!File.Exists(file)) continue;
    using var doc = JsonDocument.Parse(File.ReadAllText(file));
    if (doc.RootElement.TryGetProperty("Values", out var values))
    {
        foreach (var p in values.EnumerateObject())
            if (Environment.GetEnvironmentVariable(p.Name) is null) settings.TryAdd(p.Name, p.Value.GetString() ?? "");
    }

    break;
}
settings.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", "Development");

Console.WriteLine($"Starting the worker from {app} ...");
FunctionsHostServer host;
try
{
    // A signal during the start cancels it; the start kills the worker it began on the way out.
    host = started = await FunctionsHostServer.StartAsync(new FunctionsHostOptions
    {
        AppDirectory = app,
        Port = port,
        Settings = settings,
        WorkerOutput = Console.WriteLine,
    }, stopping.Token);
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    return 0;
}
await using var _ = host;
Console.WriteLine($"Functions: {string.Join(", ", host.FunctionNames)}");
Console.WriteLine($"Worker process {host.Worker.Id}");
Console.WriteLine($"Listening on {host.Address} (POST {host.Address}admin/functions/<name> runs a timer). Ctrl+C stops.");
await Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
Console.WriteLine("Stopping ...");
return 0;
