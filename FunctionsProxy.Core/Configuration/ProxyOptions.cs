namespace FunctionsProxy.Configuration;

/// <summary>
/// Proxy configuration, bound from the flat names in <see cref="SettingNames"/> by <see cref="ProxyOptionsSetup"/>
/// and validated at start by <see cref="ProxyOptionsValidator"/>.
/// </summary>
public sealed class ProxyOptions
{
    public Uri BaseUrl { get; set; } = new("https://llm.chutes.ai");

    /// <summary>Backend key from configuration. Never logged, never echoed.</summary>
    public string? ApiKey { get; set; }

    public BackendAuthStyle AuthStyle { get; set; } = BackendAuthStyle.Auto;

    /// <summary>Total time allowed for a non-streaming upstream call, and for a stream's response headers.
    /// Below Azure's 230 s front-end limit so the client gets an Anthropic error rather than a dropped socket.</summary>
    public TimeSpan UpstreamTimeout { get; set; } = TimeSpan.FromSeconds(210);

    /// <summary>Client model id → backend model id (the first of its chain when <c>MODEL_MAP</c> lists several).</summary>
    public IReadOnlyDictionary<string, string> ModelMap { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Client model id → ordered backend model ids: the first serves, the next ones answer when it fails before
    /// any output. Same keys as <see cref="ModelMap"/>; a single id is a chain of one.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ModelChains { get; set; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>Models chosen by request size and thinking, tried before the map's chain (<c>MODEL_ROUTES</c>).</summary>
    public ModelRoutes ModelRoutes { get; set; } = ModelRoutes.None;

    /// <summary>How long a model that keeps failing is skipped before one request probes it again.</summary>
    public TimeSpan ModelCooldown { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Consecutive failures after which a model cools down; 0 turns the circuit breaker off.</summary>
    public int ModelFailureThreshold { get; set; } = 3;

    /// <summary>How long a model with another one behind it in its chain may take to send its response headers before
    /// the next one is tried. The last model of a chain has the whole <see cref="UpstreamTimeout"/>.</summary>
    public TimeSpan ModelFirstByteTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Client tool name → backend tool name (applied both ways).</summary>
    public IReadOnlyDictionary<string, string> ToolNameMap { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public bool AutoFixModelCase { get; set; } = true;

    /// <summary>Drop Claude Code's per-request <c>x-anthropic-billing-header:</c> system block (it defeats prefix caching).</summary>
    public bool DropBillingHeader { get; set; } = true;

    /// <summary>Largest accepted request body. Anthropic's own limit is 32 MB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L * 1024 * 1024;

    public bool BackoffOn429 { get; set; } = true;
    public int MaxRetryOn429 { get; set; } = 1;

    /// <summary>Longest Retry-After the proxy waits for itself; a longer one goes back to the client.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    public bool Debug { get; set; }

    public TimeSpan DiscoveryMinInterval { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary><c>local</c> (Microsoft.ML.Tokenizers) or <c>backend</c> (vLLM's <c>/tokenize</c>, local on failure).</summary>
    public string CountTokensMode { get; set; } = "local";

    /// <summary>Encoding for local counts. o200k_base ships with the app.</summary>
    public string Tokenizer { get; set; } = "o200k_base";

    /// <summary>Idle time after which a stream gets a <c>ping</c> event (Claude Code's watchdog, Azure's idle limit).</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a stream request waits for the backend's response headers before the proxy commits the
    /// stream anyway (200, <c>message_start</c>, then <c>ping</c>s), so a cold model loading for a minute does not
    /// leave the client with a silent socket. Errors before this keep their HTTP status; after it they arrive as an
    /// SSE <c>error</c> event. Zero commits every stream at once.</summary>
    public TimeSpan StreamCommitAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Browser origins (<c>scheme://host[:port]</c>) allowed to call the proxy; any other <c>Origin</c> is
    /// refused before authentication. None by default: a web page must not spend the configured backend key.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];

    /// <summary><c>Host</c> names the local host answers; null means loopback names only.</summary>
    public IReadOnlyList<string>? AllowedHosts { get; set; }
}
