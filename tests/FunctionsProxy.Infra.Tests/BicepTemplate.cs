using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FunctionsProxy.Infra.Tests;

/// <summary>infra/main.bicep compiled to ARM JSON by the Bicep CLI from NuGet (restored on first use).</summary>
internal static class BicepTemplate
{
    private static readonly Lazy<JsonNode> Compiled = new(Compile);

    public static string RepoRoot { get; } = FindRoot();

    public static JsonNode Main => Compiled.Value;

    /// <summary>The nested resources.bicep template (the module's deployment).</summary>
    public static JsonNode Resources => Enumerate(Main["resources"])
        .Single(r => r["type"]?.GetValue<string>() == "Microsoft.Resources/deployments")["properties"]!["template"]!;

    public static IEnumerable<JsonNode> ResourcesOfType(string type)
        => Enumerate(Resources["resources"]).Where(r => r["type"]!.GetValue<string>() == type);

    public static IEnumerable<JsonNode> Enumerate(JsonNode? node) => node switch
    {
        JsonArray a => a.Select(n => n!),
        JsonObject o => o.Select(p => p.Value!),
        _ => [],
    };

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FunctionsProxy.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("FunctionsProxy.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The Bicep CLI version tools/Bicep restores: the one place it is set is Directory.Build.props.</summary>
    private static string BicepVersion => System.Xml.Linq.XDocument.Load(Path.Combine(RepoRoot, "Directory.Build.props"))
        .Descendants("BicepVersion").Single().Value;

    private static JsonNode Compile()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var bicep = Path.Combine(packages, "azure.bicep.commandline.linux-x64", BicepVersion, "tools", "bicep");
        if (!File.Exists(bicep)) Run("dotnet", $"restore \"{Path.Combine(RepoRoot, "tools", "Bicep", "Bicep.csproj")}\"");
        if (!File.Exists(bicep)) throw new InvalidOperationException("The Bicep CLI is missing at " + bicep + "; run .ci/bicep.sh (restores tools/Bicep).");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute);
        return JsonNode.Parse(Run(bicep, $"build \"{Path.Combine(RepoRoot, "infra", "main.bicep")}\" --stdout"))!;
    }

    private static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {arguments} failed: {stderr.Result}");
        return stdout.Result;
    }
}
