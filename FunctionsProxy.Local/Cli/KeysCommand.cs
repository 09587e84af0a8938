using System.Globalization;
using FunctionsProxy.Storage;
using FunctionsProxy.Team;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Local.Cli;

/// <summary>
/// <c>keys create|list|revoke|rotate|usage</c>: key management against the same store the host uses (Table Storage
/// when STORAGE_CONNECTION_STRING/STORAGE_TABLE_ENDPOINT is set, else PROXY_KEYS_FILE). A new key is printed alone
/// on the last line of stdout; errors go to stderr with a non-zero exit code.
/// </summary>
public static class KeysCommand
{
    private const string Usage = """
        usage: keys create --name NAME [--rpm N] [--tokens-per-day N] [--usd-per-day USD] [--usd-per-month USD]
               keys list
               keys revoke --name NAME
               keys rotate --name NAME
               keys limits --name NAME [--rpm N|none] [--tokens-per-day N|none] [--usd-per-day USD|none] [--usd-per-month USD|none]
               keys usage [--name NAME] [--days N]
               keys status                                  (remote only)
        Against a running deployment: keys --endpoint URL --admin-key KEY <command> (or PROXY_ENDPOINT, PROXY_ADMIN_KEY).
        """;

    /// <param name="args">Arguments after <c>keys</c>.</param>
    /// <param name="settings">Settings that override the environment (tests).</param>
    public static async Task<int> RunAsync(string[] args, IReadOnlyDictionary<string, string?>? settings, TextWriter stdout, TextWriter stderr)
    {
        string? Setting(string name) => settings is not null && settings.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name);
        if (RemoteKeysCommand.IsRequested(args, Setting))
            return await RemoteKeysCommand.RunAsync(args, Setting, stdout, stderr, Usage).ConfigureAwait(false);

        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await (args.Length == 0 ? stderr : stdout).WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Length == 0 ? 1 : 0;
        }
        if (!TryParseOptions(args.AsSpan(1), out var options, out var parseError))
            return await FailAsync(stderr, parseError).ConfigureAwait(false);

        try
        {
            return await RunCommandAsync(args[0], options, settings, stdout, stderr).ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            return await FailAsync(stderr, string.Join(" ", e.Failures)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Azure.RequestFailedException or AggregateException
            or Azure.Identity.AuthenticationFailedException or System.Text.Json.JsonException or OperationCanceledException)
        {
            // Unreadable key file, unreachable or refusing storage (the SDK's retries end in an AggregateException).
            return await FailAsync(stderr, "the key store could not be used: " + FirstLine(e is AggregateException a ? a.InnerException ?? a : e)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // An admin tool answers in one line whatever happens; the type name is enough to report a defect.
            return await FailAsync(stderr, $"unexpected failure ({e.GetType().Name}): {FirstLine(e)}").ConfigureAwait(false);
        }
    }

    private static async Task<int> RunCommandAsync(string command, Dictionary<string, string> options, IReadOnlyDictionary<string, string?>? settings,
        TextWriter stdout, TextWriter stderr)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables();
        if (settings is not null) configuration.AddInMemoryCollection(settings);
        var config = configuration.Build();

        // Only the key stores' own settings are validated: the CLI never calls the backend, so host-only settings
        // (a backend key for PROXY_AUTH=keys, the port, ...) do not stop an admin from issuing keys first.
        var services = new ServiceCollection();
        services.AddLogging();
        if (TableStorage.FromConfiguration(config) is { } tables) services.AddSingleton(tables);
        services.AddFunctionsProxyTeam(config);
        await using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptions<TeamOptions>>().Value;
        // MODEL_PRICES prices `keys usage`: a typo in it is one line here too.
        _ = provider.GetRequiredService<FunctionsProxy.Pricing.ModelPrices>();
        var manager = provider.GetRequiredService<KeyManager>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return command switch
        {
            "create" => await CreateAsync(manager, options, stdout, stderr, cts.Token).ConfigureAwait(false),
            "list" => await ListAsync(manager, stdout, cts.Token).ConfigureAwait(false),
            "revoke" => await RevokeAsync(manager, options, stdout, stderr, cts.Token).ConfigureAwait(false),
            "rotate" => await RotateAsync(manager, options, stdout, stderr, cts.Token).ConfigureAwait(false),
            "usage" => await UsageAsync(manager, options, stdout, stderr, cts.Token).ConfigureAwait(false),
            "limits" => await LimitsAsync(manager, options, stdout, stderr, cts.Token).ConfigureAwait(false),
            _ => await FailAsync(stderr, $"unknown command '{command}'.\n{Usage}").ConfigureAwait(false),
        };
    }

    /// <summary>Azure SDK messages carry the whole response (headers, body) after the first line.</summary>
    private static string FirstLine(Exception e) => e.Message.Split('\n', 2)[0].TrimEnd('\r');

    private static async Task<int> CreateAsync(KeyManager manager, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (!KeysLimits.TryApply(o, new KeyLimits(null, null, null, null), allowNone: false, out var limits))
            return await FailAsync(stderr, KeysLimits.Error).ConfigureAwait(false);
        var result = await manager.CreateAsync(new CreateKeyRequest(o.GetValueOrDefault("name"), limits.RequestsPerMinute, limits.TokensPerDay, limits.UsdPerDay, limits.UsdPerMonth), ct).ConfigureAwait(false);
        if (result.Error is not null) return await FailAsync(stderr, result.Error).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Created key '{result.Value!.Name}' ({result.Value.Prefix}…). It is shown only now:").ConfigureAwait(false);
        await stdout.WriteLineAsync(result.Value.Key).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> RotateAsync(KeyManager manager, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var result = await manager.RotateAsync(o.GetValueOrDefault("name"), ct).ConfigureAwait(false);
        if (result.Error is not null) return await FailAsync(stderr, result.Error).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Rotated key '{result.Value!.Name}' ({result.Value.Prefix}…); the old key no longer works. It is shown only now:").ConfigureAwait(false);
        await stdout.WriteLineAsync(result.Value.Key).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> LimitsAsync(KeyManager manager, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var name = o.GetValueOrDefault("name");
        if ((await manager.ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(k => k.Name == name) is not { } current) return await FailAsync(stderr, $"no key named '{name}'.").ConfigureAwait(false);
        if (!KeysLimits.TryApply(o, KeysLimits.Of(current), allowNone: true, out var limits)) return await FailAsync(stderr, KeysLimits.Error).ConfigureAwait(false);
        var result = await manager.SetLimitsAsync(name, limits, ct).ConfigureAwait(false);
        if (result.Error is not null) return await FailAsync(stderr, result.Error).ConfigureAwait(false);
        var k = result.Value!;
        await stdout.WriteLineAsync($"Limits of '{name}': {KeysLimits.Describe(k.RequestsPerMinute, k.TokensPerDay, k.UsdPerDay, k.UsdPerMonth)}.").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> RevokeAsync(KeyManager manager, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var result = await manager.RevokeAsync(o.GetValueOrDefault("name"), ct).ConfigureAwait(false);
        if (result.Error is not null) return await FailAsync(stderr, result.Error).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Revoked key '{o["name"]}'.").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> ListAsync(KeyManager manager, TextWriter stdout, CancellationToken ct)
    {
        var keys = await manager.ListAsync(ct).ConfigureAwait(false);
        await stdout.WriteLineAsync(KeysTable.Row("NAME", "PREFIX", "CREATED (UTC)", "LAST USED (UTC)", "STATUS", "RPM", "TOKENS/DAY", "USD/DAY", "USD/MONTH")).ConfigureAwait(false);
        foreach (var k in keys)
        {
            await stdout.WriteLineAsync(KeysTable.Row(k.Name, k.Prefix, KeysTable.Time(k.CreatedAt), k.LastUsedAt is { } u ? KeysTable.Time(u) : "never", KeysTable.Status(k),
                k.RequestsPerMinute?.ToString(CultureInfo.InvariantCulture) ?? "-", k.TokensPerDay?.ToString(CultureInfo.InvariantCulture) ?? "-",
                k.UsdPerDay?.ToString(CultureInfo.InvariantCulture) ?? "-", k.UsdPerMonth?.ToString(CultureInfo.InvariantCulture) ?? "-")).ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> UsageAsync(KeyManager manager, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var days = 1;
        if (o.TryGetValue("days", out var d) && !int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out days))
            return await FailAsync(stderr, "--days takes a positive integer.").ConfigureAwait(false);
        var result = await manager.UsageAsync(o.GetValueOrDefault("name"), days, ct).ConfigureAwait(false);
        if (result.Error is not null) return await FailAsync(stderr, result.Error).ConfigureAwait(false);
        await KeysTable.WriteUsageAsync(stdout, result.Value!).ConfigureAwait(false);
        return 0;
    }

    private static bool TryParseOptions(ReadOnlySpan<string> args, out Dictionary<string, string> options, out string error)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2) { error = $"unexpected argument '{a}'.\n{Usage}"; return false; }
            var eq = a.IndexOf('=');
            if (eq > 0) { options[a[2..eq]] = a[(eq + 1)..]; continue; }
            if (i + 1 >= args.Length) { error = $"{a} needs a value."; return false; }
            options[a[2..]] = args[++i];
        }
        foreach (var name in options.Keys)
            if (name is not ("name" or "days") && !KeysLimits.OptionNames.Contains(name)) { error = $"unknown option --{name}.\n{Usage}"; return false; }
        return true;
    }

    private static async Task<int> FailAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("error: " + message).ConfigureAwait(false);
        return 1;
    }

}
