using System.Text.Json.Nodes;

namespace FunctionsProxy.Infra.Tests.Arm;

/// <summary>
/// The function app as <c>azd provision</c> would configure it: main.bicep compiled to ARM, main.parameters.json
/// resolved against an azd environment, every expression evaluated. The <c>azure</c> argument supplies what Azure itself
/// provides (<c>reference()</c> results by resource type).
/// </summary>
internal sealed class DeployedApp
{
    private DeployedApp(Dictionary<string, string> appSettings, string[] tables, JsonObject site, Dictionary<string, string> secrets)
    {
        AppSettings = appSettings;
        Tables = tables;
        Site = site;
        VaultSecrets = secrets;
    }

    /// <summary>The app settings, name → value, exactly as the site resource carries them.</summary>
    public IReadOnlyDictionary<string, string> AppSettings { get; }

    /// <summary>The Table Storage tables the template creates.</summary>
    public IReadOnlyList<string> Tables { get; }

    /// <summary>The evaluated properties of the site resource.</summary>
    public JsonObject Site { get; }

    /// <summary>The Key Vault secrets the template writes (those whose condition holds), name → value.</summary>
    public IReadOnlyDictionary<string, string> VaultSecrets { get; }

    public static DeployedApp Provision(JsonNode main, string parametersFileText, IReadOnlyDictionary<string, string> azdEnvironment, Func<string, JsonNode> azure)
    {
        var mainTemplate = main.AsObject();
        var parameters = AzdParameters.Resolve(parametersFileText, mainTemplate, azdEnvironment);
        var outer = new ArmExpressions(mainTemplate, parameters, azure);
        var deployment = BicepTemplate.Enumerate(mainTemplate["resources"]).Single(r => r["type"]!.GetValue<string>() == "Microsoft.Resources/deployments");
        var moduleParameters = deployment["properties"]!["parameters"]!.AsObject()
            .ToDictionary(p => p.Key, p => outer.Evaluate(p.Value!["value"]));
        var inner = deployment["properties"]!["template"]!.AsObject();
        var expressions = new ArmExpressions(inner, moduleParameters, azure);
        var resources = BicepTemplate.Enumerate(inner["resources"]).ToArray();

        var site = expressions.Evaluate(resources.Single(r => r["type"]!.GetValue<string>() == "Microsoft.Web/sites")["properties"])!.AsObject();
        var settings = site["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["value"]!.GetValue<string>());
        var tables = resources.Where(r => r["type"]!.GetValue<string>() == "Microsoft.Storage/storageAccounts/tableServices/tables")
            .Select(r => expressions.Evaluate(r["name"])!.GetValue<string>().Split('/')[^1]).ToArray();
        var secrets = resources.Where(r => r["type"]!.GetValue<string>() == "Microsoft.KeyVault/vaults/secrets")
            .Where(r => r["condition"] is null || expressions.Evaluate(r["condition"])!.GetValue<bool>())
            .ToDictionary(r => expressions.Evaluate(r["name"])!.GetValue<string>().Split('/')[^1], r => expressions.Evaluate(r["properties"]!["value"])!.GetValue<string>());
        return new DeployedApp(settings, tables, site, secrets);
    }
}
