using System.Reflection;
using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using Xunit;

namespace FunctionsProxy.Infra.Tests;

/// <summary>The security properties of the compiled Bicep that matter for a shared team proxy.</summary>
public sealed class InfrastructureTests
{
    private static JsonNode Single(string type) => BicepTemplate.ResourcesOfType(type).Single();
    private static JsonNode Site => Single("Microsoft.Web/sites");

    private static Dictionary<string, string> AppSettings() => Site["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
        .ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["value"]!.ToJsonString());

    [Fact]
    public void Storage_is_keyless_https_only_tls12_and_private()
    {
        var p = Single("Microsoft.Storage/storageAccounts")["properties"]!;
        Assert.False(p["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.True(p["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", p["minimumTlsVersion"]!.GetValue<string>());
        Assert.False(p["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.Equal(["'modelschemas'", "'proxykeys'", "'proxyusage'"],
            BicepTemplate.ResourcesOfType("Microsoft.Storage/storageAccounts/tableServices/tables").Select(t => t["name"]!.GetValue<string>()).Select(n => n[(n.LastIndexOf(',') + 1)..].Trim(' ', ')', ']')).Order().ToArray());
    }

    [Fact]
    public void Function_app_is_https_only_tls12_without_ftp_or_basic_publishing()
    {
        var p = Site["properties"]!;
        Assert.True(p["httpsOnly"]!.GetValue<bool>());
        Assert.Equal("1.2", p["siteConfig"]!["minTlsVersion"]!.GetValue<string>());
        Assert.Equal("Disabled", p["siteConfig"]!["ftpsState"]!.GetValue<string>());
        var policies = BicepTemplate.ResourcesOfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToArray();
        Assert.Equal(2, policies.Length);
        Assert.All(policies, x => Assert.False(x["properties"]!["allow"]!.GetValue<bool>()));
        Assert.Contains(policies, x => x["name"]!.GetValue<string>().Contains("'ftp'"));
        Assert.Contains(policies, x => x["name"]!.GetValue<string>().Contains("'scm'"));
    }

    [Fact]
    public void Flex_consumption_dotnet_isolated_10_with_the_azd_service_tag_and_a_user_assigned_identity()
    {
        Assert.Equal("FlexConsumption", Single("Microsoft.Web/serverfarms")["sku"]!["tier"]!.GetValue<string>());
        var runtime = Site["properties"]!["functionAppConfig"]!["runtime"]!;
        Assert.Equal("dotnet-isolated", runtime["name"]!.GetValue<string>());
        Assert.Equal("10.0", runtime["version"]!.GetValue<string>());
        Assert.Contains("'azd-service-name', 'api'", Site["tags"]!.GetValue<string>());
        Assert.Equal("UserAssigned", Site["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", Site["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Key_vault_uses_rbac_and_holds_the_backend_key_from_a_secure_parameter()
    {
        Assert.True(Single("Microsoft.KeyVault/vaults")["properties"]!["enableRbacAuthorization"]!.GetValue<bool>());
        var secrets = BicepTemplate.ResourcesOfType("Microsoft.KeyVault/vaults/secrets").ToArray();
        Assert.Contains(secrets, s => s["properties"]!["value"]!.GetValue<string>() == "[parameters('backendApiKey')]");
        Assert.Equal("securestring", BicepTemplate.Resources["parameters"]!["backendApiKey"]!["type"]!.GetValue<string>());
        Assert.Equal("securestring", BicepTemplate.Main["parameters"]!["backendApiKey"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void No_output_carries_a_secret()
    {
        foreach (var template in new[] { BicepTemplate.Main, BicepTemplate.Resources })
        {
            foreach (var (name, output) in template["outputs"]!.AsObject())
            {
                var value = output!["value"]!.ToJsonString();
                foreach (var forbidden in new[] { "backendApiKey", "proxyAdminKey", "listKeys", "secrets", "ConnectionString" })
                    Assert.False(value.Contains(forbidden, StringComparison.OrdinalIgnoreCase), $"output {name} references {forbidden}: {value}");
            }
        }
    }

    [Fact]
    public void Role_assignments_use_exactly_the_listed_built_in_roles()
    {
        var roles = BicepTemplate.Resources["variables"]!["roles"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string>
        {
            ["storageBlobDataOwner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
            ["storageTableDataContributor"] = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
            ["monitoringMetricsPublisher"] = "3913510d-42f4-4e42-8a64-420c390055eb",
            ["keyVaultSecretsUser"] = "4633458b-17de-408a-b874-0445c86b69e6",
            ["keyVaultSecretsOfficer"] = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        }, roles);
        var used = BicepTemplate.ResourcesOfType("Microsoft.Authorization/roleAssignments")
            .Select(r => r["properties"]!["roleDefinitionId"]!.GetValue<string>())
            .Select(id => id[(id.IndexOf("variables('roles').", StringComparison.Ordinal) + 19)..].TrimEnd(')', ']'))
            .Order().ToArray();
        Assert.Equal(["keyVaultSecretsOfficer", "keyVaultSecretsUser", "monitoringMetricsPublisher", "storageBlobDataOwner", "storageTableDataContributor", "storageTableDataContributor"], used);
    }

    [Fact]
    public void Host_storage_is_identity_based_only()
    {
        var settings = AppSettings();
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Equal("\"managedidentity\"", settings["AzureWebJobsStorage__credential"]);
        Assert.Contains("AzureWebJobsStorage__blobServiceUri", settings.Keys);
        Assert.DoesNotContain(settings.Keys, k => k is "FUNCTIONS_WORKER_RUNTIME" or "WEBSITE_RUN_FROM_PACKAGE" or "FUNCTIONS_EXTENSION_VERSION");
        Assert.Equal("\"keys\"", settings["PROXY_AUTH"]);
    }

    /// <summary>Settings the app reads that are deliberately not provisioned, and why.</summary>
    private static readonly Dictionary<string, string> NotProvisioned = new()
    {
        [SettingNames.ApiKey] = "the backend key lives in Key Vault (CHUTES_API_KEY_SECRET_NAME), never in an app setting",
        [SettingNames.ProxyAdminKey] = "the admin key lives in Key Vault (PROXY_ADMIN_KEY_SECRET_NAME)",
        [SettingNames.ProxyKeysFile] = "the file key store is for the local host only",
        [SettingNames.StorageConnectionString] = "connection strings are for Azurite; Azure uses STORAGE_TABLE_ENDPOINT with the identity",
        [SettingNames.AllowedHosts] = "Host filtering is the local host's (DNS rebinding of a loopback listener); Azure's front end routes by host name",
        [SettingNames.Port] = "the local host's port; the Functions host chooses the worker's",
    };

    [Fact]
    public void App_settings_cover_every_setting_the_app_reads()
    {
        var settings = AppSettings();
        var names = typeof(SettingNames).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();
        Assert.NotEmpty(names);
        foreach (var name in names)
        {
            if (NotProvisioned.ContainsKey(name)) Assert.DoesNotContain(name, settings.Keys);
            else Assert.True(settings.ContainsKey(name), $"{name} is read by the app but not provisioned in infra/resources.bicep");
        }
    }

    [Fact]
    public void Azd_files_point_at_the_functions_project()
    {
        var yaml = File.ReadAllText(Path.Combine(BicepTemplate.RepoRoot, "azure.yaml"));
        Assert.Contains("name: functions-proxy", yaml);
        Assert.Contains("  api:\n    project: ./FunctionsProxy\n    language: dotnet\n    host: function", yaml.Replace("\r\n", "\n"));
        Assert.True(File.Exists(Path.Combine(BicepTemplate.RepoRoot, "FunctionsProxy", "FunctionsProxy.csproj")));
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(BicepTemplate.RepoRoot, "infra", "main.parameters.json")))!["parameters"]!;
        Assert.Equal("${AZURE_ENV_NAME}", parameters["environmentName"]!["value"]!.GetValue<string>());
        Assert.Equal("${AZURE_LOCATION}", parameters["location"]!["value"]!.GetValue<string>());
        Assert.Equal("${BACKEND_API_KEY}", parameters["backendApiKey"]!["value"]!.GetValue<string>());
    }
}
