using FunctionsProxy.Configuration;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Hosting;

/// <summary>The browser origins of <c>PROXY_ALLOWED_ORIGINS</c> (normalised to <c>scheme://host[:port]</c>).</summary>
internal sealed class AllowedOrigins(IOptions<ProxyOptions> options)
{
    private readonly HashSet<string> _origins = new(options.Value.AllowedOrigins, StringComparer.OrdinalIgnoreCase);

    public bool IsEmpty => _origins.Count == 0;

    public string[] ToArray() => [.. _origins];

    public bool Contains(string? origin) => origin is not null && _origins.Contains(origin);
}
