using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.ModelFamilies;

/// <summary>Registers the model-profile table (built-in families + <c>MODEL_PROFILES</c>, validated at start).</summary>
public static class FamiliesServiceCollectionExtensions
{
    public static IServiceCollection AddFunctionsProxyFamilies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IConfigureOptions<ModelProfileOptions>>(new ModelProfileOptionsSetup(configuration));
        services.AddSingleton<IValidateOptions<ModelProfileOptions>, ModelProfileOptionsValidator>();
        services.AddOptions<ModelProfileOptions>().ValidateOnStart();
        services.TryAddSingleton(sp => new ModelProfileTable(sp.GetRequiredService<IOptions<ModelProfileOptions>>()));
        return services;
    }
}
