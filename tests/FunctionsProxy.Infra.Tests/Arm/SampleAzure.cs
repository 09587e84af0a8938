using System.Text.Json.Nodes;

namespace FunctionsProxy.Infra.Tests.Arm;

/// <summary>Sample azd environments and the values Azure would report for the template's resources.</summary>
internal static class SampleAzure
{
    public const string ModelMap = """{"sonnet":"moonshotai/Kimi-K2-Instruct","claude-haiku-4-5":"Qwen/Qwen3-32B"}""";
    public const string IdentityClientId = "11111111-2222-3333-4444-555555555555";

    public static Dictionary<string, string> Environment(params (string Name, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["AZURE_ENV_NAME"] = "team",
            ["AZURE_LOCATION"] = "swedencentral",
            ["AZURE_PRINCIPAL_ID"] = "99999999-8888-7777-6666-555555555555",
            ["BACKEND_API_KEY"] = "cpk_sample_backend_key",
            ["MODEL_MAP"] = ModelMap,
        };
        foreach (var (n, v) in extra) env[n] = v;
        return env;
    }

    /// <summary>reference() results as a real subscription would give them (public endpoints).</summary>
    public static JsonNode Reference(string type) => type switch
    {
        "Microsoft.ManagedIdentity/userAssignedIdentities" => new JsonObject { ["clientId"] = IdentityClientId, ["principalId"] = "aaaaaaaa-0000-0000-0000-000000000001" },
        "Microsoft.Storage/storageAccounts" => new JsonObject
        {
            ["primaryEndpoints"] = new JsonObject
            {
                ["blob"] = "https://stsample.blob.core.windows.net/",
                ["queue"] = "https://stsample.queue.core.windows.net/",
                ["table"] = "https://stsample.table.core.windows.net/",
            },
        },
        "Microsoft.Insights/components" => new JsonObject { ["ConnectionString"] = "InstrumentationKey=00000000-0000-0000-0000-000000000000" },
        "Microsoft.KeyVault/vaults" => new JsonObject { ["vaultUri"] = "https://kv-sample.vault.azure.net/" },
        "Microsoft.KeyVault/vaults/secrets" => new JsonObject { ["secretUri"] = "https://kv-sample.vault.azure.net/secrets/x" },
        "Microsoft.Web/sites" => new JsonObject { ["defaultHostName"] = "func-api-sample.azurewebsites.net" },
        _ => throw new NotSupportedException("no sample reference for " + type),
    };

    public static string ParametersFile => File.ReadAllText(Path.Combine(BicepTemplate.RepoRoot, "infra", "main.parameters.json"));

    public static DeployedApp Provision(Dictionary<string, string> environment, string? parametersFile = null)
        => DeployedApp.Provision(BicepTemplate.Main, parametersFile ?? ParametersFile, environment, Reference);
}
