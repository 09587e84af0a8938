using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Pricing;

public static class PricingServiceCollectionExtensions
{
    /// <summary>
    /// <c>MODEL_PRICES</c> (validated at start) and the price lookup. Discovery prices are used when the catalog is
    /// registered (the hosts); the <c>keys</c> CLI has no catalog and prices from <c>MODEL_PRICES</c> alone.
    /// </summary>
    public static IServiceCollection AddFunctionsProxyPricing(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IConfigureOptions<ModelPriceOptions>))) return services;
        services.AddSingleton<IConfigureOptions<ModelPriceOptions>>(new ModelPriceOptionsSetup(configuration));
        services.AddSingleton<IValidateOptions<ModelPriceOptions>, ModelPriceOptionsValidator>();
        services.AddOptions<ModelPriceOptions>().ValidateOnStart();
        services.TryAddSingleton(sp => new ModelPrices(sp.GetRequiredService<IOptions<ModelPriceOptions>>(), sp.GetService<Catalog.ModelCatalog>()));
        return services;
    }
}
