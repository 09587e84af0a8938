using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using FunctionsProxy.Metering;
using FunctionsProxy.Team;

namespace FunctionsProxy.Local.Cli;

/// <summary>
/// <c>keys --endpoint URL --admin-key KEY &lt;command&gt;</c> (or <c>PROXY_ENDPOINT</c> and <c>PROXY_ADMIN_KEY</c>):
/// the same commands against a running deployment's <c>/_admin</c> API, so the admin of an <c>azd up</c> deployment
/// needs only its URL and the admin key — no backend key, no storage access, no host settings. The admin key is
/// sent only as the <c>x-api-key</c> header, and only over https (plain http is allowed for loopback addresses).
/// Errors are one line on stderr with exit code 1.
/// </summary>
internal static class RemoteKeysCommand
{
    public const string EndpointVariable = "PROXY_ENDPOINT";
    public const string AdminKeyVariable = "PROXY_ADMIN_KEY";

    /// <summary>True when the arguments or the settings ask for remote mode (<c>--endpoint</c> or <c>PROXY_ENDPOINT</c>).</summary>
    public static bool IsRequested(string[] args, Func<string, string?> setting)
        => args.Any(a => a == "--endpoint" || a.StartsWith("--endpoint=", StringComparison.Ordinal)) || !string.IsNullOrWhiteSpace(setting(EndpointVariable));

    public static async Task<int> RunAsync(string[] args, Func<string, string?> setting, TextWriter stdout, TextWriter stderr, string usage, HttpMessageHandler? handler = null)
    {
        // --endpoint and --admin-key may come before or after the command.
        var rest = new List<string>();
        string? endpoint = null, adminKey = null;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string? Value(string name)
            {
                if (a.StartsWith(name + "=", StringComparison.Ordinal)) return a[(name.Length + 1)..];
                return i + 1 < args.Length ? args[++i] : "";
            }
            if (a == "--endpoint" || a.StartsWith("--endpoint=", StringComparison.Ordinal)) endpoint = Value("--endpoint");
            else if (a == "--admin-key" || a.StartsWith("--admin-key=", StringComparison.Ordinal)) adminKey = Value("--admin-key");
            else rest.Add(a);
        }
        endpoint ??= setting(EndpointVariable);
        adminKey ??= setting(AdminKeyVariable);

        if (rest.Count == 0 || rest[0] is "-h" or "--help" or "help")
        {
            await (rest.Count == 0 ? stderr : stdout).WriteLineAsync(usage).ConfigureAwait(false);
            return rest.Count == 0 ? 1 : 0;
        }
        if (!TryParseEndpoint(endpoint, out var baseUri, out var endpointError)) return await FailAsync(stderr, endpointError).ConfigureAwait(false);
        if (string.IsNullOrEmpty(adminKey)) return await FailAsync(stderr, $"remote mode needs the admin key: --admin-key KEY or {AdminKeyVariable}.").ConfigureAwait(false);
        if (!TryParseOptions(rest.Skip(1).ToArray(), out var options, out var optionError)) return await FailAsync(stderr, optionError).ConfigureAwait(false);

        using var http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: handler is null)
        {
            BaseAddress = baseUri,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Add("x-api-key", adminKey);
        http.DefaultRequestHeaders.UserAgent.ParseAdd("FunctionsProxy-keys-cli");
        var api = new Api(http, baseUri);
        try
        {
            return rest[0] switch
            {
                "create" => await CreateAsync(api, options, stdout, stderr).ConfigureAwait(false),
                "list" => await ListAsync(api, stdout).ConfigureAwait(false),
                "revoke" => await RevokeAsync(api, options, stdout, stderr).ConfigureAwait(false),
                "rotate" => await RotateAsync(api, options, stdout, stderr).ConfigureAwait(false),
                "limits" => await LimitsAsync(api, options, stdout, stderr).ConfigureAwait(false),
                "usage" => await UsageAsync(api, options, stdout, stderr).ConfigureAwait(false),
                "status" => await StatusAsync(api, stdout).ConfigureAwait(false),
                _ => await FailAsync(stderr, $"unknown command '{rest[0]}'.\n{usage}").ConfigureAwait(false),
            };
        }
        catch (RemoteException e)
        {
            return await FailAsync(stderr, e.Message).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return await FailAsync(stderr, $"cannot reach {baseUri}: {e.HttpRequestError switch { HttpRequestError.NameResolutionError => "unknown host", HttpRequestError.ConnectionError => "connection refused", HttpRequestError.SecureConnectionError => "TLS failed", _ => e.Message }}.").ConfigureAwait(false);
        }
        catch (TaskCanceledException)
        {
            return await FailAsync(stderr, $"{baseUri} did not answer within 60 s.").ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return await FailAsync(stderr, $"{baseUri} did not answer like a FunctionsProxy admin API (is the URL right?).").ConfigureAwait(false);
        }
    }

    private static bool TryParseEndpoint(string? text, out Uri uri, out string error)
    {
        uri = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = $"remote mode needs the deployment's URL: --endpoint URL or {EndpointVariable}."; return false; }
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(parsed.Query))
        {
            error = $"--endpoint must be an http(s) URL such as https://my-proxy.azurewebsites.net (got '{text}').";
            return false;
        }
        if (parsed.Scheme == Uri.UriSchemeHttp && !parsed.IsLoopback)
        {
            error = "--endpoint must use https: the admin key must not travel in clear text (http is accepted for localhost only).";
            return false;
        }
        // The service URL as printed by azd (SERVICE_API_URI), with or without a trailing /_admin.
        var path = parsed.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/_admin", StringComparison.Ordinal)) path = path[..^"/_admin".Length];
        uri = new Uri(parsed.GetLeftPart(UriPartial.Authority) + path + "/");
        return true;
    }

    private static async Task<int> CreateAsync(Api api, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr)
    {
        if (!KeysLimits.TryApply(o, new KeyLimits(null, null, null, null), allowNone: false, out var limits)) return await FailAsync(stderr, KeysLimits.Error).ConfigureAwait(false);
        var body = new CreateKeyRequest(o.GetValueOrDefault("name"), limits.RequestsPerMinute, limits.TokensPerDay, limits.UsdPerDay, limits.UsdPerMonth);
        var created = await api.SendAsync(HttpMethod.Post, "_admin/keys", JsonContent.Create(body, RemoteJson.Default.CreateKeyRequest), RemoteJson.Default.CreatedKey).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Created key '{created!.Name}' ({created.Prefix}…) on {api.Base}. It is shown only now:").ConfigureAwait(false);
        await stdout.WriteLineAsync(created.Key).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> RotateAsync(Api api, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr)
    {
        if (!ProxyKeys.IsValidName(o.GetValueOrDefault("name"))) return await FailAsync(stderr, "a valid key name is required: --name NAME.").ConfigureAwait(false);
        var rotated = await api.SendAsync(HttpMethod.Post, $"_admin/keys/{Uri.EscapeDataString(o["name"])}/rotate", null, RemoteJson.Default.CreatedKey).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Rotated key '{rotated!.Name}' ({rotated.Prefix}…); the old key no longer works. It is shown only now:").ConfigureAwait(false);
        await stdout.WriteLineAsync(rotated.Key).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> RevokeAsync(Api api, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr)
    {
        if (!ProxyKeys.IsValidName(o.GetValueOrDefault("name"))) return await FailAsync(stderr, "a valid key name is required: --name NAME.").ConfigureAwait(false);
        await api.SendAsync(HttpMethod.Delete, $"_admin/keys/{Uri.EscapeDataString(o["name"])}", null, RemoteJson.Default.KeyInfo).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Revoked key '{o["name"]}'.").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> ListAsync(Api api, TextWriter stdout)
    {
        var keys = await api.SendAsync(HttpMethod.Get, "_admin/keys", null, RemoteJson.Default.ListKeyInfo).ConfigureAwait(false) ?? [];
        await stdout.WriteLineAsync(KeysTable.Row("NAME", "PREFIX", "CREATED (UTC)", "LAST USED (UTC)", "STATUS", "LIMITS")).ConfigureAwait(false);
        foreach (var k in keys)
        {
            await stdout.WriteLineAsync(KeysTable.Row(k.Name, k.Prefix, KeysTable.Time(k.CreatedAt), k.LastUsedAt is { } u ? KeysTable.Time(u) : "never", KeysTable.Status(k),
                KeysLimits.Describe(k.RequestsPerMinute, k.TokensPerDay, k.UsdPerDay, k.UsdPerMonth))).ConfigureAwait(false);
        }

        return 0;
    }

    private static async Task<int> LimitsAsync(Api api, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr)
    {
        var name = o.GetValueOrDefault("name");
        if (!ProxyKeys.IsValidName(name)) return await FailAsync(stderr, "a valid key name is required: --name NAME.").ConfigureAwait(false);
        var keys = await api.SendAsync(HttpMethod.Get, "_admin/keys", null, RemoteJson.Default.ListKeyInfo).ConfigureAwait(false) ?? [];
        if (keys.Find(k => k.Name == name) is not { } current) return await FailAsync(stderr, $"no key named '{name}'.").ConfigureAwait(false);
        if (!KeysLimits.TryApply(o, KeysLimits.Of(current), allowNone: true, out var limits)) return await FailAsync(stderr, KeysLimits.Error).ConfigureAwait(false);
        var updated = await api.SendAsync(HttpMethod.Put, $"_admin/keys/{Uri.EscapeDataString(name!)}/limits", JsonContent.Create(limits, RemoteJson.Default.KeyLimits), RemoteJson.Default.KeyInfo).ConfigureAwait(false);
        await stdout.WriteLineAsync($"Limits of '{name}': {KeysLimits.Describe(updated!.RequestsPerMinute, updated.TokensPerDay, updated.UsdPerDay, updated.UsdPerMonth)}.").ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> UsageAsync(Api api, Dictionary<string, string> o, TextWriter stdout, TextWriter stderr)
    {
        var days = 1;
        if (o.TryGetValue("days", out var d) && (!int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out days) || days < 1))
            return await FailAsync(stderr, "--days takes a positive integer.").ConfigureAwait(false);
        var query = "_admin/usage?days=" + days.ToString(CultureInfo.InvariantCulture) + (o.TryGetValue("name", out var n) ? "&name=" + Uri.EscapeDataString(n) : "");
        var rows = await api.SendAsync(HttpMethod.Get, query, null, RemoteJson.Default.ListUsageRow).ConfigureAwait(false) ?? [];
        await KeysTable.WriteUsageAsync(stdout, rows).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> StatusAsync(Api api, TextWriter stdout)
    {
        using var doc = await api.SendAsync(HttpMethod.Get, "_admin/status", null, RemoteJson.Default.JsonDocument).ConfigureAwait(false);
        var root = doc!.RootElement;
        var backend = root.GetProperty("backend");
        var catalog = root.GetProperty("catalog");
        var reachable = backend.GetProperty("reachable");
        await stdout.WriteLineAsync($"version     {root.GetProperty("version").GetString()}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"auth mode   {root.GetProperty("auth_mode").GetString()}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"backend     {(reachable.ValueKind == JsonValueKind.True ? "reachable" : reachable.ValueKind == JsonValueKind.False ? "unreachable (" + backend.GetProperty("last_error").GetString() + ")" : "not checked yet")}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"models      {catalog.GetProperty("models").GetInt32()} (refreshed {(catalog.GetProperty("age_seconds").ValueKind == JsonValueKind.Number ? catalog.GetProperty("age_seconds").GetInt64() + " s ago" : "never")})").ConfigureAwait(false);
        return 0;
    }

    private static bool TryParseOptions(string[] args, out Dictionary<string, string> options, out string error)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2) { error = $"unexpected argument '{a}'."; return false; }
            var eq = a.IndexOf('=');
            if (eq > 0) { options[a[2..eq]] = a[(eq + 1)..]; continue; }
            if (i + 1 >= args.Length) { error = $"{a} needs a value."; return false; }
            options[a[2..]] = args[++i];
        }
        foreach (var name in options.Keys)
            if (name is not ("name" or "days") && !KeysLimits.OptionNames.Contains(name)) { error = $"unknown option --{name}."; return false; }
        return true;
    }

    private static async Task<int> FailAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("error: " + message).ConfigureAwait(false);
        return 1;
    }

    /// <summary>An admin API answer that is not a success, as one line.</summary>
    private sealed class RemoteException(string message) : Exception(message);

    private sealed class Api(HttpClient http, Uri baseUri)
    {
        public Uri Base => baseUri;

        public async Task<T?> SendAsync<T>(HttpMethod method, string path, HttpContent? content, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            using var response = await http.SendAsync(request).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
                return response.StatusCode == HttpStatusCode.NoContent ? default : await response.Content.ReadFromJsonAsync(type).ConfigureAwait(false);
            var message = await ErrorMessageAsync(response).ConfigureAwait(false);
            throw new RemoteException(response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => "the deployment refused the admin key (401).",
                HttpStatusCode.NotFound when message is null or "Not found." => $"{baseUri} has no admin API (404): is PROXY_ADMIN_KEY set on the deployment, and is this its URL?",
                _ when (int)response.StatusCode is >= 300 and < 400 => $"{baseUri} answered with a redirect ({(int)response.StatusCode}); use the final https URL.",
                _ => message ?? $"HTTP {(int)response.StatusCode} from {baseUri}.",
            });
        }

        private static async Task<string?> ErrorMessageAsync(HttpResponseMessage response)
        {
            try
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
                return doc.RootElement.TryGetProperty("error", out var e) && e.TryGetProperty("message", out var m) ? m.GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}

/// <summary>Table output shared by the local and remote <c>keys</c> commands.</summary>
internal static class KeysTable
{
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary><c>active</c>, or <c>revoked</c> with when (UTC): revoked keys stay listed.</summary>
    public static string Status(KeyInfo k) => !k.Revoked ? "active" : k.RevokedAt is { } at ? "revoked " + Time(at) : "revoked";
    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
    public static string Row(params string[] cells) => string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(i == 2 ? 24 : 16)));

    public static async Task WriteUsageAsync(TextWriter stdout, IEnumerable<UsageRow> rows)
    {
        await stdout.WriteLineAsync(Row("DAY", "NAME", "MODEL", "REQUESTS", "INPUT", "OUTPUT", "CACHED", "COST (USD)")).ConfigureAwait(false);
        foreach (var r in rows)
            await stdout.WriteLineAsync(Row(r.Day, r.KeyName, r.Model, N(r.Requests), N(r.InputTokens), N(r.OutputTokens), N(r.CacheReadInputTokens), KeysLimits.Cost(r.CostUsd))).ConfigureAwait(false);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(CreatedKey))]
[JsonSerializable(typeof(KeyInfo))]
[JsonSerializable(typeof(List<KeyInfo>))]
[JsonSerializable(typeof(KeyLimits))]
[JsonSerializable(typeof(List<UsageRow>))]
[JsonSerializable(typeof(JsonDocument))]
internal sealed partial class RemoteJson : JsonSerializerContext;
