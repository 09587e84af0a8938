using Microsoft.Extensions.DependencyInjection;

namespace FunctionsProxy.Tokens;

public static class TokensServiceCollectionExtensions
{
    /// <summary>The local token counter and the backend one (<c>COUNT_TOKENS_MODE=backend</c>) behind count_tokens.</summary>
    public static IServiceCollection AddFunctionsProxyTokens(this IServiceCollection services)
    {
        services.AddSingleton<TokenCounter>();
        services.AddSingleton<BackendTokenCounter>();
        return services;
    }
}
