using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Fallback;

public static class FallbackServiceCollectionExtensions
{
    /// <summary>The candidate planner, the per-model circuit breaker (shared through the schema cache's table when
    /// storage is configured) and the invoker that walks a chain.</summary>
    public static IServiceCollection AddFunctionsProxyFallback(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new ModelCircuitBreaker(
            sp.GetRequiredService<IOptionsMonitor<ProxyOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ModelCircuitBreaker>>(),
            sp.GetService<TableStorage>() is { } tables
                ? new TableModelHealthStore(tables, CatalogServiceCollectionExtensions.TableName(configuration))
                : null));
        services.TryAddSingleton<ModelCandidatePlanner>();
        services.TryAddSingleton<FallbackInvoker>();
        return services;
    }
}
