using FunctionsProxy.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Team;

/// <summary>How inbound callers are authenticated (<c>PROXY_AUTH</c>).</summary>
public enum ProxyAuthMode
{
    /// <summary>Single-user: anyone is let through and their credential may be forwarded to the backend.</summary>
    Forward,

    /// <summary>Team: every model call needs a proxy key; the backend key stays on the server.</summary>
    Keys,
}

/// <summary>Team sharing settings: auth mode, stores, admin key, cache lifetime.</summary>
public sealed class TeamOptions
{
    public ProxyAuthMode Mode { get; set; } = ProxyAuthMode.Forward;

    /// <summary>Key file used when no Table Storage is configured (shared by the CLI and a running local host).</summary>
    public string KeysFile { get; set; } = DefaultKeysFile();

    /// <summary>Admin key for <c>/_admin</c> from configuration. Never logged.</summary>
    public string? AdminKey { get; set; }

    public string KeysTable { get; set; } = "proxykeys";
    public string UsageTable { get; set; } = "proxyusage";

    /// <summary>How long a key lookup (hit or miss) is trusted: the longest a revoked key keeps working on an instance.</summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Shortest interval between two last-used writes for one key.</summary>
    public TimeSpan LastUsedInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a day's token total read from the store is reused by the tokens-per-day check.</summary>
    public TimeSpan UsageCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    public static string DefaultKeysFile()
        => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "FunctionsProxy", "keys.json");

    /// <summary>The usage file that sits next to the keys file (file mode).</summary>
    public string UsageFile => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(KeysFile)) ?? ".", Path.GetFileNameWithoutExtension(KeysFile) + ".usage.json");
}

internal sealed class TeamOptionsSetup(IConfiguration configuration) : IConfigureOptions<TeamOptions>
{
    public void Configure(TeamOptions options)
    {
        var errors = new List<string>();
        if (ProxyOptionsSetup.Get(configuration, SettingNames.ProxyAuth) is { } mode)
        {
            if (string.Equals(mode, "keys", StringComparison.OrdinalIgnoreCase)) options.Mode = ProxyAuthMode.Keys;
            else if (string.Equals(mode, "forward", StringComparison.OrdinalIgnoreCase)) options.Mode = ProxyAuthMode.Forward;
            else errors.Add($"{SettingNames.ProxyAuth} must be 'forward' or 'keys'.");
        }
        options.KeysFile = ProxyOptionsSetup.Get(configuration, SettingNames.ProxyKeysFile) ?? options.KeysFile;
        options.AdminKey = ProxyOptionsSetup.Get(configuration, SettingNames.ProxyAdminKey) ?? options.AdminKey;
        options.KeysTable = ProxyOptionsSetup.Get(configuration, SettingNames.KeysTable) ?? options.KeysTable;
        options.UsageTable = ProxyOptionsSetup.Get(configuration, SettingNames.UsageTable) ?? options.UsageTable;
        TeamOptionsValidator.BindErrors.AddOrUpdate(options, errors);
    }
}

/// <summary>Refuses settings the key stores cannot work with (both the hosts and the <c>keys</c> CLI).</summary>
internal sealed class TeamOptionsValidator : IValidateOptions<TeamOptions>
{
    internal static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TeamOptions, List<string>> BindErrors = new();

    public ValidateOptionsResult Validate(string? name, TeamOptions options)
    {
        var failures = new List<string>();
        if (BindErrors.TryGetValue(options, out var bind)) failures.AddRange(bind);
        foreach (var table in new[] { (SettingNames.KeysTable, options.KeysTable), (SettingNames.UsageTable, options.UsageTable) })
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(table.Item2, "^[A-Za-z][A-Za-z0-9]{2,62}$"))
                failures.Add($"{table.Item1} must be a table name: a letter then 2-62 letters or digits.");
        }

        if (options.KeyCacheTtl < TimeSpan.Zero) failures.Add("The key cache lifetime must not be negative.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// What only a serving host needs in keys mode: a backend key of its own. Registered by the hosts, not by the
/// <c>keys</c> CLI, which never calls the backend and must work before that key is set.
/// </summary>
internal sealed class TeamHostOptionsValidator(IConfiguration configuration) : IValidateOptions<TeamOptions>
{
    public ValidateOptionsResult Validate(string? name, TeamOptions options)
    {
        var failures = new List<string>();
        if (options.Mode == ProxyAuthMode.Keys)
        {
            if (!ProxyOptionsSetup.HasBackendKey(configuration, ProxyOptionsSetup.Get(configuration, SettingNames.ApiKey)))
                failures.Add($"{SettingNames.ProxyAuth}=keys needs the server's own backend key: set {SettingNames.ApiKey} (or {SettingNames.KeyVaultUri} with {SettingNames.BackendKeySecretName}); proxy keys are never forwarded upstream.");
            if (string.Equals(ProxyOptionsSetup.Get(configuration, SettingNames.AuthStyle), "header", StringComparison.OrdinalIgnoreCase))
                failures.Add($"{SettingNames.AuthStyle}=header forwards the caller's key, which {SettingNames.ProxyAuth}=keys never does; use auto or env.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
