using FunctionsProxy.Configuration;
using FunctionsProxy.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FunctionsProxy.Catalog;

public static class CatalogServiceCollectionExtensions
{
    public const string DefaultTable = "modelschemas";

    /// <summary>Discovery, the schema-cache store (Table Storage when storage is configured, else memory), the
    /// catalog-aware resolver and the refresher.</summary>
    public static IServiceCollection AddFunctionsProxyCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ModelDiscovery>();
        services.AddSingleton<ISchemaCacheStore>(sp => sp.GetService<TableStorage>() is { } tables
            ? new TableSchemaCacheStore(tables, TableName(configuration))
            : new InMemorySchemaCacheStore());
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<IModelCatalogRefresher, ModelCatalogRefresher>();
        services.AddSingleton<IModelResolver, CatalogModelResolver>();
        return services;
    }

    /// <summary>The schema-cache table (<c>SCHEMA_CACHE_TABLE</c>), shared with the model-health rows.</summary>
    internal static string TableName(IConfiguration configuration)
        => configuration[SettingNames.SchemaCacheTable] is { Length: > 0 } table ? table : DefaultTable;
}
