using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FunctionsProxy.AdminConsole;

public static class AdminConsoleServiceCollectionExtensions
{
    /// <summary>The admin page and its status call (over the team services of <c>AddFunctionsProxyTeam</c>).</summary>
    public static IServiceCollection AddFunctionsProxyAdminConsole(this IServiceCollection services)
    {
        services.TryAddSingleton<AdminStatusEndpoint>();
        services.TryAddSingleton<AdminConsoleEndpoint>();
        return services;
    }
}
