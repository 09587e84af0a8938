using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Configuration;

/// <summary>Refuses to start with a message that names the offending variable.</summary>
/// <param name="configuration">Settings outside <see cref="ProxyOptions"/> that decide where the backend key comes from
/// (<c>KEYVAULT_URI</c>); optional so a container without configuration still validates.</param>
internal sealed class ProxyOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<ProxyOptions>
{
    // Bind errors travel with the options instance without widening its public surface.
    private static readonly ConditionalWeakTable<ProxyOptions, List<string>> BindErrors = new();

    internal static void SetBindErrors(ProxyOptions options, List<string> errors) => BindErrors.AddOrUpdate(options, errors);

    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var failures = new List<string>();
        if (BindErrors.TryGetValue(options, out var bind)) failures.AddRange(bind);
        if (options.UpstreamTimeout <= TimeSpan.Zero) failures.Add($"{SettingNames.UpstreamTimeout} must be greater than 0.");
        if (options.MaxRetryOn429 > 10) failures.Add($"{SettingNames.MaxRetryOn429} must be at most 10.");
        if (options.MaxRequestBodyBytes < 1024) failures.Add($"{SettingNames.MaxRequestBodyBytes} must be at least 1024.");
        if (options.CountTokensMode is not ("local" or "backend")) failures.Add($"{SettingNames.CountTokensMode} must be local or backend.");
        if (options.Tokenizer != "o200k_base") failures.Add($"{SettingNames.Tokenizer}: only o200k_base is available.");
        if (options.ModelFailureThreshold > 100) failures.Add($"{SettingNames.ModelFailureThreshold} must be at most 100 (0 turns the breaker off).");
        if (options.ModelFailureThreshold > 0 && options.ModelCooldown <= TimeSpan.Zero) failures.Add($"{SettingNames.ModelCooldown} must be greater than 0 (set {SettingNames.ModelFailureThreshold}=0 to turn the breaker off).");
        if (options.ModelFirstByteTimeout <= TimeSpan.Zero) failures.Add($"{SettingNames.ModelFirstByteTimeout} must be greater than 0.");
        if (options.PingInterval <= TimeSpan.Zero) failures.Add($"{SettingNames.PingInterval} must be greater than 0.");
        // An app setting whose Key Vault reference did not resolve arrives as the literal reference: never send it.
        if (options.ApiKey?.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase) == true)
            failures.Add($"{SettingNames.ApiKey} holds an unresolved Key Vault reference; check the app's identity and the secret, or use {SettingNames.KeyVaultUri}.");
        // With a vault the backend key is read from it (CHUTES_API_KEY_SECRET_NAME, default chutes-api-key): that is how
        // infra/ provisions the Functions app, with no CHUTES_API_KEY at all.
        if (options.AuthStyle == BackendAuthStyle.Env && !ProxyOptionsSetup.HasBackendKey(configuration, options.ApiKey))
            failures.Add($"{SettingNames.AuthStyle}=env needs {SettingNames.ApiKey} (or {SettingNames.KeyVaultUri} with {SettingNames.BackendKeySecretName}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
