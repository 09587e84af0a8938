using FunctionsProxy.AdminConsole;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Endpoints;
using FunctionsProxy.Errors;
using FunctionsProxy.Fallback;
using FunctionsProxy.Metering;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Secrets;
using FunctionsProxy.Security;
using FunctionsProxy.Storage;
using FunctionsProxy.Team;
using FunctionsProxy.Tokens;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Hosting;

/// <summary>The one registration both hosts call, so the local host and the Functions app run the same proxy.</summary>
public static class ProxyServiceCollectionExtensions
{
    public static IServiceCollection AddFunctionsProxyCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IConfigureOptions<ProxyOptions>>(new ProxyOptionsSetup(configuration));
        services.AddSingleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>();
        services.AddOptions<ProxyOptions>().ValidateOnStart();

        // Null-object pattern is avoided on purpose: consumers ask for TableStorage? and choose memory/file stores.
        if (TableStorage.FromConfiguration(configuration) is { } tables) services.TryAddSingleton(tables);

        services.AddFunctionsProxyTeam(configuration);
        services.AddFunctionsProxyAdminConsole();
        services.TryAddSingleton<SecretScrubber>();
        services.TryAddSingleton<IErrorMessageScrubber>(sp => sp.GetRequiredService<SecretScrubber>());
        services.AddSingleton<IValidateOptions<TeamOptions>>(new TeamHostOptionsValidator(configuration));
        services.TryAddSingleton<IBackendKeyProvider, ConfiguredBackendKeyProvider>();
        services.AddFunctionsProxySecrets(configuration);
        services.TryAddSingleton<IClientAuthenticator, ForwardingClientAuthenticator>();
        services.TryAddSingleton<IUsageRecorder, NullUsageRecorder>();
        services.AddFunctionsProxyFamilies(configuration);
        services.AddFunctionsProxyCatalog(configuration);
        services.AddFunctionsProxyTokens();
        services.AddFunctionsProxyFallback(configuration);
        services.AddSingleton<BackendCredentials>();
        services.AddUpstreamHttpClient();

        // The request guard is part of every route, on whichever host: middleware on the local host, the first step of
        // each trigger in the Functions app (AddFunctionsProxyHttpGuards decides where it runs).
        services.TryAddSingleton<AllowedOrigins>();
        services.TryAddSingleton(sp => new RequestGuard(sp.GetRequiredService<AllowedOrigins>(), sp.GetRequiredService<IOptions<ProxyOptions>>()));

        services.AddSingleton<HealthEndpoint>();
        services.AddSingleton<EventLoggingEndpoint>();
        services.AddSingleton<MessagesEndpoint>();
        services.AddSingleton<CountTokensEndpoint>();
        services.AddSingleton<ModelsEndpoint>();
        services.AddSingleton<SchemasEndpoint>();
        return services;
    }
}
