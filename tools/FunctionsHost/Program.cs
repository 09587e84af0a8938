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

var root = Directory.GetCurrentDirectory();
var project = Path.Combine(root, "FunctionsProxy");
if (app is null)
{
    app = Path.Combine(project, "bin", "functions-host");
    Console.WriteLine($"Publishing FunctionsProxy to {app} ...");
    using var publish = Process.Start("dotnet", ["publish", Path.Combine(project, "FunctionsProxy.csproj"), "-c", "Release", "-o", app, "--nologo", "-v", "q"]);
    await publish.WaitForExitAsync();
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

await using var host = await FunctionsHostServer.StartAsync(new FunctionsHostOptions
{
    AppDirectory = app,
    Port = port,
    Settings = settings,
    WorkerOutput = Console.WriteLine,
});
Console.WriteLine($"Functions: {string.Join(", ", host.FunctionNames)}");
Console.WriteLine($"Worker process {host.Worker.Id}");
Console.WriteLine($"Listening on {host.Address} (POST {host.Address}admin/functions/<name> runs a timer). Ctrl+C stops.");
// SIGTERM (docker stop, systemd, test runners), SIGINT (Ctrl+C) and SIGQUIT end the wait; leaving this block disposes
// the host, which stops the worker and kills its process tree. Should the runtime exit some other way, the worker is
// killed on the way out rather than left behind.
var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
AppDomain.CurrentDomain.ProcessExit += (_, _) => host.KillWorker();
await stop.Task;
Console.WriteLine("Stopping ...");
return 0;
