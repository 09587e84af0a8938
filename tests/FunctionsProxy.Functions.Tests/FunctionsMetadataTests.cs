using System.Text.Json.Nodes;
using Xunit;

namespace FunctionsProxy.Functions.Tests;

/// <summary>What the Functions host will index: the functions.metadata the worker SDK generated at build.</summary>
public sealed class FunctionsMetadataTests
{
    private static JsonArray Metadata()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), "functions.metadata was not generated next to FunctionsProxy.dll: " + path);
        return JsonNode.Parse(File.ReadAllText(path))!.AsArray();
    }

    [Fact]
    public void Http_functions_have_the_anthropic_routes_methods_and_anonymous_level()
    {
        var http = Metadata()
            .Select(f => (Name: f!["name"]!.GetValue<string>(), Trigger: f["bindings"]!.AsArray().Single(b => b!["direction"]!.GetValue<string>() == "In")!, Bindings: f["bindings"]!.AsArray()))
            .Where(f => f.Trigger["type"]!.GetValue<string>() == "httpTrigger")
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name} {string.Join(",", f.Trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>()))} {f.Trigger["route"]} {f.Trigger["authLevel"]} {f.Bindings.Any(b => b!["name"]!.GetValue<string>() == "$return" && b["type"]!.GetValue<string>() == "http")}")
            .ToArray();
        Assert.Equal(
        [
            "AdminConsole get,head _admin Anonymous True",
            "AdminConsoleAsset get,head _admin/assets/{name} Anonymous True",
            "AdminCreateKey post _admin/keys Anonymous True",
            "AdminListKeys get _admin/keys Anonymous True",
            "AdminRevokeKey delete _admin/keys/{name} Anonymous True",
            "AdminRotateKey post _admin/keys/{name}/rotate Anonymous True",
            "AdminSetKeyLimits put _admin/keys/{name}/limits Anonymous True",
            "AdminStatus get _admin/status Anonymous True",
            "AdminUsage get _admin/usage Anonymous True",
            "CountTokens post v1/messages/count_tokens Anonymous True",
            "EventLogging post api/event_logging/batch Anonymous True",
            "GetModel get v1/models/{*id} Anonymous True",
            "Health get,head health Anonymous True",
            "ListModels get v1/models Anonymous True",
            "Messages post v1/messages Anonymous True",
            "Root get,head {root:maxlength(0)?} Anonymous True",
            "Schemas get _schemas Anonymous True",
        ], http);
    }

    [Fact]
    public void The_timer_reads_its_schedule_from_an_app_setting_and_does_not_run_on_startup()
    {
        var timer = Metadata().Single(f => f!["name"]!.GetValue<string>() == "RefreshModelCache")!["bindings"]!.AsArray().Single()!;
        Assert.Equal("timerTrigger", timer["type"]!.GetValue<string>());
        Assert.Equal("%MODEL_REFRESH_SCHEDULE%", timer["schedule"]!.GetValue<string>());
        Assert.NotEqual(true, timer["runOnStartup"]?.GetValue<bool>());
    }

    [Fact]
    public void Host_json_removes_the_api_prefix_and_allows_long_streams()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")))!;
        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.Equal("", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.Equal("01:00:00", host["functionTimeout"]!.GetValue<string>());
        Assert.Null(host["extensionBundle"]);
    }

    [Fact]
    public void The_settings_sample_names_every_setting_the_app_reads()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FunctionsProxy.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var values = JsonNode.Parse(File.ReadAllText(Path.Combine(dir!.FullName, "local.settings.sample.json")))!["Values"]!.AsObject();
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]!.GetValue<string>());
        // Read by the local Kestrel host only: the Functions host picks the worker's port and does no Host filtering.
        string[] localHostOnly = [FunctionsProxy.Configuration.SettingNames.Port, FunctionsProxy.Configuration.SettingNames.AllowedHosts];
        var names = typeof(FunctionsProxy.Configuration.SettingNames).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)
            .Except(localHostOnly);
        Assert.All(names, n => Assert.True(values.ContainsKey(n), n + " is missing from local.settings.sample.json"));
    }
}
