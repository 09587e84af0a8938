using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Configuration;

/// <summary>
/// Binds <see cref="ProxyOptions"/> from the flat setting names. Values that do not parse are recorded, not thrown,
/// so <see cref="ProxyOptionsValidator"/> can refuse the start with a message that names the variable.
/// </summary>
internal sealed class ProxyOptionsSetup(IConfiguration configuration) : IConfigureOptions<ProxyOptions>
{
    public void Configure(ProxyOptions options)
    {
        var errors = new List<string>();
        var c = configuration;

        if (Get(c, SettingNames.BaseUrl) is { } baseUrl)
        {
            // Accept the base with or without a trailing /v1 (both forms are common in OpenAI-compatible docs).
            var trimmed = baseUrl.TrimEnd('/');
            if (trimmed.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) trimmed = trimmed[..^3];
            if (Uri.TryCreate(trimmed + "/", UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                options.BaseUrl = uri;
            else
                errors.Add($"{SettingNames.BaseUrl} must be an absolute http(s) URL.");
        }
        options.ApiKey = Get(c, SettingNames.ApiKey) ?? options.ApiKey;
        if (Get(c, SettingNames.AuthStyle) is { } style)
        {
            if (Enum.TryParse<BackendAuthStyle>(style, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
                options.AuthStyle = parsed;
            else
                errors.Add($"{SettingNames.AuthStyle} must be one of auto, header, env, both.");
        }
        options.UpstreamTimeout = Seconds(c, SettingNames.UpstreamTimeout, options.UpstreamTimeout, errors);
        if (ModelChainMap.Parse(Get(c, SettingNames.ModelMap), SettingNames.ModelMap, errors) is { } chains)
        {
            options.ModelChains = chains;
            options.ModelMap = ModelChainMap.Primaries(chains);
        }
        options.ModelRoutes = ModelRoutes.Parse(Get(c, SettingNames.ModelRoutes), errors);
        options.ModelCooldown = Seconds(c, SettingNames.ModelCooldown, options.ModelCooldown, errors);
        options.ModelFailureThreshold = (int)Math.Min(int.MaxValue, Long(c, SettingNames.ModelFailureThreshold, options.ModelFailureThreshold, errors));
        options.ModelFirstByteTimeout = Seconds(c, SettingNames.ModelFirstByteTimeout, options.ModelFirstByteTimeout, errors);
        options.ToolNameMap = StringMap(c, SettingNames.ToolNameMap, options.ToolNameMap, errors);
        options.AutoFixModelCase = Bool(c, SettingNames.AutoFixModelCase, options.AutoFixModelCase, errors);
        options.DropBillingHeader = Bool(c, SettingNames.DropBillingHeader, options.DropBillingHeader, errors);
        options.MaxRequestBodyBytes = Long(c, SettingNames.MaxRequestBodyBytes, options.MaxRequestBodyBytes, errors);
        options.BackoffOn429 = Bool(c, SettingNames.BackoffOn429, options.BackoffOn429, errors);
        options.MaxRetryOn429 = (int)Long(c, SettingNames.MaxRetryOn429, options.MaxRetryOn429, errors);
        options.MaxRetryAfter = Seconds(c, SettingNames.MaxRetryAfter, options.MaxRetryAfter, errors);
        options.Debug = Bool(c, SettingNames.DebugProxy, options.Debug, errors);
        options.DiscoveryMinInterval = Seconds(c, SettingNames.DiscoveryMinInterval, options.DiscoveryMinInterval, errors);
        options.CountTokensMode = Get(c, SettingNames.CountTokensMode)?.ToLowerInvariant() ?? options.CountTokensMode;
        options.Tokenizer = Get(c, SettingNames.Tokenizer)?.ToLowerInvariant() ?? options.Tokenizer;
        options.PingInterval = Seconds(c, SettingNames.PingInterval, options.PingInterval, errors);
        options.StreamCommitAfter = Seconds(c, SettingNames.StreamCommitAfter, options.StreamCommitAfter, errors);

        options.AllowedOrigins = Origins(c, SettingNames.AllowedOrigins, options.AllowedOrigins, errors);
        options.AllowedHosts = HostNames(c, SettingNames.AllowedHosts, options.AllowedHosts, errors);

        ProxyOptionsValidator.SetBindErrors(options, errors);
    }

    /// <summary>The server has a backend key of its own: configured (<c>CHUTES_API_KEY</c>), or a vault to read it from
    /// (<c>KEYVAULT_URI</c>; the secret is <c>CHUTES_API_KEY_SECRET_NAME</c>, <c>chutes-api-key</c> by default). One rule
    /// for <c>CHUTES_AUTH_STYLE=env</c> and <c>PROXY_AUTH=keys</c>; a secret name without a vault supplies nothing.</summary>
    internal static bool HasBackendKey(IConfiguration? c, string? configuredKey)
        => !string.IsNullOrEmpty(configuredKey) || (c is not null && Get(c, SettingNames.KeyVaultUri) is not null);

    internal static string? Get(IConfiguration c, string name)
    {
        var v = c[name];
        return string.IsNullOrWhiteSpace(v) ? null : v.Trim();
    }

    internal static bool Bool(IConfiguration c, string name, bool fallback, List<string> errors)
    {
        var v = Get(c, name);
        if (v is null) return fallback;
        switch (v.ToLowerInvariant())
        {
            case "1": case "true": case "yes": case "on": return true;
            case "0": case "false": case "no": case "off": return false;
            default: errors.Add($"{name} must be a boolean (true/false, 1/0, yes/no, on/off)."); return fallback;
        }
    }

    internal static long Long(IConfiguration c, string name, long fallback, List<string> errors)
    {
        var v = Get(c, name);
        if (v is null) return fallback;
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0) return n;
        errors.Add($"{name} must be a non-negative integer.");
        return fallback;
    }

    internal static TimeSpan Seconds(IConfiguration c, string name, TimeSpan fallback, List<string> errors)
    {
        var v = Get(c, name);
        if (v is null) return fallback;
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && s < 1e7)
            return TimeSpan.FromSeconds(s);
        errors.Add($"{name} must be a number of seconds.");
        return fallback;
    }

    private static readonly char[] ListSeparators = [',', ';', ' ', '\t'];

    /// <summary>A list of origins, each normalised as browsers send it (lower-case, no default port, no slash).</summary>
    internal static IReadOnlyList<string> Origins(IConfiguration c, string name, IReadOnlyList<string> fallback, List<string> errors)
    {
        if (Get(c, name) is not { } v) return fallback;
        var origins = new List<string>();
        foreach (var item in v.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries))
        {
            if (Uri.TryCreate(item, UriKind.Absolute, out var uri) && uri.Host.Length > 0 && uri.AbsolutePath == "/" && uri.Query.Length == 0
                && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0 && !item.Contains('*', StringComparison.Ordinal))
            {
                origins.Add(uri.GetLeftPart(UriPartial.Authority));
            }
            else
            {
                errors.Add($"{name}: '{item}' is not an origin; list origins like https://app.example.com or http://localhost:3000.");
            }
        }
        return origins;
    }

    /// <summary>A list of host names for host filtering (<c>*.example.com</c> and <c>*</c> allowed, no ports).</summary>
    internal static IReadOnlyList<string>? HostNames(IConfiguration c, string name, IReadOnlyList<string>? fallback, List<string> errors)
    {
        if (Get(c, name) is not { } v) return fallback;
        var hosts = v.Split(ListSeparators, StringSplitOptions.RemoveEmptyEntries);
        foreach (var host in hosts)
        {
            var bare = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
            if (host != "*" && Uri.CheckHostName(bare.Trim('[', ']')) == UriHostNameType.Unknown)
                errors.Add($"{name}: '{host}' is not a host name; list names like localhost;127.0.0.1;[::1] (no ports).");
        }
        return hosts;
    }

    internal static IReadOnlyDictionary<string, string> StringMap(IConfiguration c, string name, IReadOnlyDictionary<string, string> fallback, List<string> errors)
    {
        var v = Get(c, name);
        if (v is null) return fallback;
        try
        {
            using var doc = JsonDocument.Parse(v);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{name} must be a JSON object of strings, e.g. {{\"claude-sonnet-4-5\":\"org/model\"}}.");
                return fallback;
            }
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(p.Value.GetString()))
                {
                    errors.Add($"{name}: the value for \"{p.Name}\" must be a non-empty string.");
                    continue;
                }
                map[p.Name] = p.Value.GetString()!;
            }
            return map;
        }
        catch (JsonException e)
        {
            errors.Add($"{name} is not valid JSON ({e.Message}).");
            return fallback;
        }
    }
}
