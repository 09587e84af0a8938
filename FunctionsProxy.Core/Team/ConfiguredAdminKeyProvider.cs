using FunctionsProxy.Security;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Team;

/// <summary>The admin key from <c>PROXY_ADMIN_KEY</c>.</summary>
internal sealed class ConfiguredAdminKeyProvider(IOptions<TeamOptions> options) : IAdminKeyProvider
{
    public ValueTask<string?> GetAdminKeyAsync(CancellationToken cancellationToken)
        => ValueTask.FromResult(options.Value.AdminKey is { Length: > 0 } key ? key : null);
}
