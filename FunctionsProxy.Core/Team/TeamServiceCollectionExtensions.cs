using FunctionsProxy.Configuration;
using FunctionsProxy.Metering;
using FunctionsProxy.Pricing;
using FunctionsProxy.Security;
using FunctionsProxy.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Team;

public static class TeamServiceCollectionExtensions
{
    /// <summary>
    /// Key store, usage store, quotas and admin endpoints (always, so keys can be issued before switching modes);
    /// with <c>PROXY_AUTH=keys</c> also the proxy-key authenticator and the usage recorder. Call before the core's
    /// TryAdd defaults. Stores are Table Storage when <see cref="TableStorage"/> is registered, else files.
    /// </summary>
    public static IServiceCollection AddFunctionsProxyTeam(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IConfigureOptions<TeamOptions>>(new TeamOptionsSetup(configuration));
        services.AddSingleton<IValidateOptions<TeamOptions>>(new TeamOptionsValidator());
        services.AddOptions<TeamOptions>().ValidateOnStart();
        services.AddOptions<KnownSecretsOptions>().Configure<IOptions<TeamOptions>>((secrets, team) => secrets.Secrets.Add(team.Value.AdminKey));
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<IProxyKeyStore>(sp => sp.GetService<TableStorage>() is { } tables
            ? new TableProxyKeyStore(tables, Options(sp).KeysTable)
            : new FileProxyKeyStore(Options(sp).KeysFile));
        services.TryAddSingleton<IUsageStore>(sp => sp.GetService<TableStorage>() is { } tables
            ? new TableUsageStore(tables, Options(sp).UsageTable)
            : new FileUsageStore(Options(sp).UsageFile));
        services.TryAddSingleton<IRequestCounter>(sp => sp.GetService<TableStorage>() is { } tables
            ? new TableRequestCounter(tables, Options(sp).UsageTable)
            : new MemoryRequestCounter());
        services.TryAddSingleton<KeyLookupCache>();
        services.AddFunctionsProxyPricing(configuration);
        services.TryAddSingleton<SpendGate>();
        services.TryAddSingleton<QuotaGate>();
        services.TryAddSingleton<KeyManager>();
        services.TryAddSingleton<IAdminKeyProvider, ConfiguredAdminKeyProvider>();
        services.TryAddSingleton<AdminEndpoints>();

        if (string.Equals(configuration[SettingNames.ProxyAuth]?.Trim(), "keys", StringComparison.OrdinalIgnoreCase))
        {
            services.Replace(ServiceDescriptor.Singleton<IClientAuthenticator, ProxyKeyAuthenticator>());
            services.Replace(ServiceDescriptor.Singleton<IUsageRecorder, TeamUsageRecorder>());
        }
        return services;
    }

    private static TeamOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<TeamOptions>>().Value;
}
