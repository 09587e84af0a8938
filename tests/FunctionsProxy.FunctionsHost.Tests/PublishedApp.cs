using System.Diagnostics;
using FunctionsProxy.Infra.Tests;

namespace FunctionsProxy.FunctionsHost.Tests;

/// <summary>FunctionsProxy published once per test run (the build already happened as a project reference), under
/// this test project's output directory, as azd would publish it.</summary>
internal static class PublishedApp
{
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    public static Task<string> DirectoryAsync() => Published.Value;

    private static async Task<string> PublishAsync()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var output = Path.Combine(AppContext.BaseDirectory, "functions-app");
        var project = Path.Combine(BicepTemplate.RepoRoot, "FunctionsProxy", "FunctionsProxy.csproj");
        var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", configuration, "--no-build", "-o", output, "--nologo", "-v", "q"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        if (publish.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed: {await stdout}{await stderr}");
        return output;
    }
}
