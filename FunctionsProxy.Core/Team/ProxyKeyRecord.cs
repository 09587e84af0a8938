namespace FunctionsProxy.Team;

/// <summary>What is stored about a proxy key: never the key itself, only a salted hash and a display prefix.</summary>
public sealed record ProxyKeyRecord
{
    public required string Name { get; init; }

    /// <summary>The lookup id embedded in the key (changes on rotation).</summary>
    public required string KeyId { get; init; }
    public required string Salt { get; init; }
    public required string Hash { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>Requests per UTC minute; null = unlimited.</summary>
    public long? RequestsPerMinute { get; init; }

    /// <summary>Input + output tokens per UTC day; null = unlimited.</summary>
    public long? TokensPerDay { get; init; }

    /// <summary>Spend per UTC day in USD (input + output + cached tokens at the model's price); null = unlimited.</summary>
    public decimal? UsdPerDay { get; init; }

    /// <summary>Spend per UTC calendar month in USD; null = unlimited.</summary>
    public decimal? UsdPerMonth { get; init; }

    public string DisplayPrefix => ProxyKeys.DisplayPrefix(KeyId);
}
