using System.Globalization;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using FunctionsProxy.Configuration;
using FunctionsProxy.Security;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Secrets;

public static class SecretsServiceCollectionExtensions
{
    public const string DefaultBackendKeySecret = "chutes-api-key";
    private static readonly TimeSpan DefaultRefresh = TimeSpan.FromSeconds(300);

    /// <summary>With <c>KEYVAULT_URI</c> set, the backend key (and the admin key, when its secret is named) come
    /// from Key Vault through <see cref="DefaultAzureCredential"/>; otherwise configuration keeps supplying them.</summary>
    /// <param name="client">A client to use instead of one built from configuration (tests point it at loopback).</param>
    public static IServiceCollection AddFunctionsProxySecrets(this IServiceCollection services, IConfiguration configuration, SecretClient? client = null)
    {
        var vault = configuration[SettingNames.KeyVaultUri];
        if (client is null && string.IsNullOrWhiteSpace(vault)) return services;
        var refresh = double.TryParse(configuration[SettingNames.KeyVaultRefreshInterval], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s) : DefaultRefresh;
        var secretClient = client ?? new SecretClient(new Uri(vault!), new DefaultAzureCredential());
        var backendSecret = configuration[SettingNames.BackendKeySecretName] is { Length: > 0 } b ? b : DefaultBackendKeySecret;

        services.Replace(ServiceDescriptor.Singleton<IBackendKeyProvider>(sp => new KeyVaultBackendKeyProvider(Cache(sp, secretClient, backendSecret, refresh))));
        if (configuration[SettingNames.AdminKeySecretName] is { Length: > 0 } adminSecret)
            services.Replace(ServiceDescriptor.Singleton<IAdminKeyProvider>(sp => new KeyVaultAdminKeyProvider(Cache(sp, secretClient, adminSecret, refresh))));
        return services;
    }

    private static KeyVaultSecretCache Cache(IServiceProvider sp, SecretClient client, string name, TimeSpan refresh)
        => new(client, name, refresh, sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILoggerFactory>().CreateLogger<KeyVaultSecretCache>(),
            sp.GetService<SecretScrubber>());
}
