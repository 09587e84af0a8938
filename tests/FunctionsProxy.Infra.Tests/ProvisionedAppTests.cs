using System.Text.Json.Nodes;
using FunctionsProxy.Configuration;
using FunctionsProxy.Hosting;
using FunctionsProxy.Infra.Tests.Arm;
using FunctionsProxy.Team;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace FunctionsProxy.Infra.Tests;

/// <summary>
/// The template as <c>azd up</c> deploys it: main.parameters.json resolved against sample azd environments, every ARM
/// expression evaluated, and the resulting app settings, roles and resources checked against what the app and the
/// people running azd need.
/// </summary>
public sealed class ProvisionedAppTests
{
    private static JsonNode[] RoleAssignments(DeployedApp app, Dictionary<string, string> env)
    {
        var inner = BicepTemplate.Resources.AsObject();
        var parameters = AzdParameters.Resolve(SampleAzure.ParametersFile, BicepTemplate.Main.AsObject(), env);
        // The module's own parameters, evaluated as main.bicep hands them over.
        var outer = new ArmExpressions(BicepTemplate.Main.AsObject(), parameters, SampleAzure.Reference);
        var deployment = BicepTemplate.Enumerate(BicepTemplate.Main["resources"]).Single(r => r["type"]!.GetValue<string>() == "Microsoft.Resources/deployments");
        var moduleParameters = deployment["properties"]!["parameters"]!.AsObject().ToDictionary(p => p.Key, p => outer.Evaluate(p.Value!["value"]));
        var expressions = new ArmExpressions(inner, moduleParameters, SampleAzure.Reference);
        return BicepTemplate.ResourcesOfType("Microsoft.Authorization/roleAssignments")
            .Where(r => r["condition"] is null || expressions.Evaluate(r["condition"])!.GetValue<bool>())
            .Select(r => new JsonObject { ["properties"] = expressions.Evaluate(r["properties"]) }).ToArray<JsonNode>();
    }

    [Fact]
    public void The_app_starts_with_the_settings_infra_provisions()
    {
        // CHUTES_AUTH_STYLE=env with the key in Key Vault and no CHUTES_API_KEY: the validator used to refuse this.
        foreach (var env in new[] { SampleAzure.Environment(), SampleAzure.Environment(("PROXY_ADMIN_KEY", "sample-admin-key")) })
        {
            var settings = SampleAzure.Provision(env).AppSettings;
            Assert.Equal("env", settings["CHUTES_AUTH_STYLE"]);
            Assert.DoesNotContain("CHUTES_API_KEY", settings.Keys);
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
            using var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddFunctionsProxyCore(configuration).BuildServiceProvider();
            var options = services.GetRequiredService<IOptions<ProxyOptions>>().Value;
            Assert.Equal(BackendAuthStyle.Env, options.AuthStyle);
            Assert.Equal("Qwen/Qwen3-32B", options.ModelMap["claude-haiku-4-5"]);
            Assert.Equal(ProxyAuthMode.Keys, services.GetRequiredService<IOptions<TeamOptions>>().Value.Mode);
        }
    }

    [Fact]
    public void Env_auth_without_a_key_or_a_vault_is_still_refused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["CHUTES_AUTH_STYLE"] = "env" }).Build();
        using var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddFunctionsProxyCore(configuration).BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ProxyOptions>>().Value);
        Assert.Contains("CHUTES_AUTH_STYLE=env needs CHUTES_API_KEY (or KEYVAULT_URI with CHUTES_API_KEY_SECRET_NAME)", e.Message);
    }

    [Fact]
    public void A_model_map_set_in_azd_reaches_the_app_setting_intact_and_unset_means_empty()
    {
        var set = SampleAzure.Provision(SampleAzure.Environment()).AppSettings["MODEL_MAP"];
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(SampleAzure.ModelMap), JsonNode.Parse(set)), set);

        var env = SampleAzure.Environment();
        env.Remove("MODEL_MAP");
        Assert.Equal("{}", SampleAzure.Provision(env).AppSettings["MODEL_MAP"]);
        Assert.Equal("{}", SampleAzure.Provision(SampleAzure.Environment(("MODEL_MAP", ""))).AppSettings["MODEL_MAP"]);
        Assert.Equal("object", BicepTemplate.Main["parameters"]!["modelMap"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void A_fallback_chain_and_routes_set_in_azd_reach_the_app_and_unset_routes_mean_none()
    {
        const string chain = """{"opus":["deepseek-ai/DeepSeek-V3.1","moonshotai/Kimi-K2-Instruct-0905"]}""";
        const string routes = """{"long_context":{"min_input_tokens":60000,"model":["org/long"]},"thinking":{"model":"org/think"}}""";
        var settings = SampleAzure.Provision(SampleAzure.Environment(("MODEL_MAP", chain), ("MODEL_ROUTES", routes))).AppSettings;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(routes), JsonNode.Parse(settings["MODEL_ROUTES"])), settings["MODEL_ROUTES"]);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        using var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddFunctionsProxyCore(configuration).BuildServiceProvider();
        var options = services.GetRequiredService<IOptions<ProxyOptions>>().Value;
        Assert.Equal(["deepseek-ai/DeepSeek-V3.1", "moonshotai/Kimi-K2-Instruct-0905"], options.ModelChains["opus"]);
        Assert.Equal(["org/long"], options.ModelRoutes.LongContext);
        Assert.Equal(60000, options.ModelRoutes.LongContextMinInputTokens);
        Assert.Equal(TimeSpan.FromSeconds(60), options.ModelCooldown);

        Assert.Equal("{}", SampleAzure.Provision(SampleAzure.Environment()).AppSettings["MODEL_ROUTES"]);
    }

    [Fact]
    public void The_old_string_parameter_with_a_brace_default_corrupts_the_map()
    {
        // The substitution model itself must show the defect the old file had: ${MODEL_MAP={}} ends its default at the
        // first '}', so a set value gets a stray '}' appended.
        Assert.Equal("""{"a":"b"}}""", AzdParameters.Substitute("${MODEL_MAP={}}", new Dictionary<string, string> { ["MODEL_MAP"] = """{"a":"b"}""" }).Replace("\\\"", "\""));
        Assert.Equal("{}", AzdParameters.Substitute("${MODEL_MAP={}}", new Dictionary<string, string>()));
    }

    [Fact]
    public void Role_assignments_for_the_deployer_use_the_principal_type_azd_reports()
    {
        foreach (var (type, expected) in new[] { ("ServicePrincipal", "ServicePrincipal"), ("User", "User"), (null, "User") })
        {
            var env = type is null ? SampleAzure.Environment() : SampleAzure.Environment(("AZURE_PRINCIPAL_TYPE", type));
            var deployer = RoleAssignments(SampleAzure.Provision(env), env)
                .Where(r => r["properties"]!["principalId"]!.GetValue<string>() == env["AZURE_PRINCIPAL_ID"]).ToArray();
            Assert.NotEmpty(deployer);
            Assert.All(deployer, r => Assert.Equal(expected, r["properties"]!["principalType"]!.GetValue<string>()));
        }
    }

    [Fact]
    public void The_deployer_can_issue_the_first_team_keys()
    {
        // PROXY_AUTH=keys and no admin key: the keys CLI against the table endpoint is the only way in, and it needs
        // Storage Table Data Contributor for whoever ran azd.
        var env = SampleAzure.Environment();
        var app = SampleAzure.Provision(env);
        Assert.Equal("keys", app.AppSettings["PROXY_AUTH"]);
        Assert.Equal("", app.AppSettings["PROXY_ADMIN_KEY_SECRET_NAME"]);
        Assert.Contains(RoleAssignments(app, env), r =>
            r["properties"]!["principalId"]!.GetValue<string>() == env["AZURE_PRINCIPAL_ID"]
            && r["properties"]!["roleDefinitionId"]!.GetValue<string>().EndsWith("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_host_storage_endpoint_has_a_role_for_the_identity()
    {
        var env = SampleAzure.Environment();
        var app = SampleAzure.Provision(env);
        var identityRoles = RoleAssignments(app, env).Where(r => r["properties"]!["principalType"]!.GetValue<string>() == "ServicePrincipal"
                && r["properties"]!["principalId"]!.GetValue<string>() != env["AZURE_PRINCIPAL_ID"])
            .Select(r => r["properties"]!["roleDefinitionId"]!.GetValue<string>()[^36..]).ToHashSet();
        var needs = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage__blobServiceUri"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
            ["AzureWebJobsStorage__queueServiceUri"] = "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
            ["AzureWebJobsStorage__tableServiceUri"] = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
        };
        foreach (var (setting, role) in needs)
            if (app.AppSettings.ContainsKey(setting)) Assert.True(identityRoles.Contains(role), $"{setting} is set but the identity lacks role {role}");
        Assert.DoesNotContain("AzureWebJobsStorage__queueServiceUri", app.AppSettings.Keys);
    }

    [Fact]
    public void Every_region_of_the_flex_quickstart_is_allowed()
    {
        string[] quickstart = ["australiaeast", "centralindia", "centralus", "eastasia", "eastus", "eastus2", "francecentral", "germanywestcentral",
            "northcentralus", "northeurope", "southcentralus", "southeastasia", "swedencentral", "uksouth", "westcentralus", "westeurope", "westus2"];
        var allowed = BicepTemplate.Main["parameters"]!["location"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).ToHashSet();
        Assert.Equal([], quickstart.Except(allowed).ToArray());
    }

    [Fact]
    public void Resource_api_versions_are_current()
    {
        // Types whose newest stable API version is older than 2024 keep it; everything else is 2024-11 or later.
        var oldest = new Dictionary<string, string> { ["Microsoft.Authorization/roleAssignments"] = "2022-04-01", ["Microsoft.Insights/components"] = "2020-02-02" };
        var resources = BicepTemplate.Enumerate(BicepTemplate.Resources["resources"]).Concat(BicepTemplate.Enumerate(BicepTemplate.Main["resources"]));
        foreach (var r in resources)
        {
            var type = r["type"]!.GetValue<string>();
            var version = r["apiVersion"]!.GetValue<string>();
            var floor = oldest.GetValueOrDefault(type, type == "Microsoft.Resources/deployments" ? "2022-09-01" : "2024-11-01");
            Assert.True(string.CompareOrdinal(version, floor) >= 0, $"{type}@{version} is older than {floor}");
        }
    }

    [Fact]
    public void Key_vault_keeps_purge_protection_off_by_decision()
    {
        // Deliberate (see resources.bicep): purge protection cannot be undone and blocks `azd down --purge`.
        var vault = BicepTemplate.ResourcesOfType("Microsoft.KeyVault/vaults").Single()["properties"]!;
        Assert.Null(vault["enablePurgeProtection"]);
        Assert.True(vault["enableSoftDelete"]!.GetValue<bool>());
        Assert.Contains("Purge protection stays off on purpose", File.ReadAllText(Path.Combine(BicepTemplate.RepoRoot, "infra", "resources.bicep")));
    }
}
