namespace FunctionsProxy.Configuration;

/// <summary>
/// Every configuration name the proxy reads. The names are the ones users of the original proxy already know,
/// flat environment variables (app settings in Azure), so both hosts and the Bicep app settings share one list.
/// Infrastructure tests enumerate this class: a setting added here must also be provisioned in <c>infra/</c>.
/// </summary>
public static class SettingNames
{
    // Upstream backend
    public const string BaseUrl = "CHUTES_BASE_URL";
    public const string ApiKey = "CHUTES_API_KEY";
    public const string AuthStyle = "CHUTES_AUTH_STYLE";
    public const string UpstreamTimeout = "PROXY_UPSTREAM_TIMEOUT";

    // Request shaping
    public const string ModelMap = "MODEL_MAP";
    public const string ToolNameMap = "TOOL_NAME_MAP";
    public const string AutoFixModelCase = "AUTO_FIX_MODEL_CASE";
    public const string DropBillingHeader = "PROXY_DROP_BILLING_HEADER";
    public const string MaxRequestBodyBytes = "PROXY_MAX_BODY_BYTES";

    // 429 handling
    public const string BackoffOn429 = "PROXY_BACKOFF_ON_429";
    public const string MaxRetryOn429 = "PROXY_MAX_RETRY_ON_429";
    public const string MaxRetryAfter = "PROXY_MAX_RETRY_AFTER";

    // Diagnostics
    public const string DebugProxy = "DEBUG_PROXY";

    // Model catalog
    public const string DiscoveryMinInterval = "DISCOVERY_MIN_INTERVAL";

    public const string ModelProfiles = "MODEL_PROFILES";
    public const string SchemaCacheTable = "SCHEMA_CACHE_TABLE";
    public const string CountTokensMode = "COUNT_TOKENS_MODE";
    public const string Tokenizer = "PROXY_TOKENIZER";

    // Streaming
    public const string PingInterval = "PROXY_PING_INTERVAL";
    public const string StreamCommitAfter = "PROXY_STREAM_COMMIT_AFTER";

    // Table Storage shared by the schema cache and the team stores: a connection string (Azurite, dev), or the
    // table endpoint used with DefaultAzureCredential (managed identity in Azure).
    public const string StorageConnectionString = "STORAGE_CONNECTION_STRING";
    public const string StorageTableEndpoint = "STORAGE_TABLE_ENDPOINT";

    // Backend key from Key Vault (Functions app): vault URI, secret name, how often a rotated secret is re-read.
    public const string KeyVaultUri = "KEYVAULT_URI";
    public const string BackendKeySecretName = "CHUTES_API_KEY_SECRET_NAME";
    public const string KeyVaultRefreshInterval = "KEYVAULT_REFRESH_INTERVAL";

    // Team sharing: inbound proxy keys, admin key, stores.
    public const string ProxyAuth = "PROXY_AUTH";
    public const string ProxyKeysFile = "PROXY_KEYS_FILE";
    public const string ProxyAdminKey = "PROXY_ADMIN_KEY";
    public const string AdminKeySecretName = "PROXY_ADMIN_KEY_SECRET_NAME";
    public const string KeysTable = "PROXY_KEYS_TABLE";
    public const string UsageTable = "PROXY_USAGE_TABLE";

    // Browsers and other hosts: Origins allowed to call the proxy (default none), Host names the local host answers
    // (default loopback names), and the local host's port.
    public const string AllowedOrigins = "PROXY_ALLOWED_ORIGINS";
    public const string AllowedHosts = "PROXY_ALLOWED_HOSTS";
    public const string Port = "PORT";

    // Spend: backend model prices in USD per 1M tokens (used when discovery publishes none).
    public const string ModelPrices = "MODEL_PRICES";

    // Functions timer schedule (NCRONTAB, resolved by the Functions host as %MODEL_REFRESH_SCHEDULE%).
    public const string ModelRefreshSchedule = "MODEL_REFRESH_SCHEDULE";

    // Fallback: routing rules tried before MODEL_MAP's chains, and the per-model circuit breaker.
    public const string ModelRoutes = "MODEL_ROUTES";
    public const string ModelCooldown = "MODEL_COOLDOWN";
    public const string ModelFailureThreshold = "MODEL_FAILURE_THRESHOLD";
    public const string ModelFirstByteTimeout = "MODEL_FIRST_BYTE_TIMEOUT";
}
