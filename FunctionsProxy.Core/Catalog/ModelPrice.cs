namespace FunctionsProxy.Catalog;

/// <summary>
/// A model's price in USD per 1 million tokens. <see cref="CacheRead"/> prices input tokens served from the
/// backend's prompt cache; when null they cost the <see cref="Input"/> price.
/// </summary>
public sealed record ModelPrice(decimal Input, decimal Output, decimal? CacheRead = null)
{
    private const decimal PerMillion = 1_000_000m;

    /// <summary>Cost in USD of the given tokens (<paramref name="inputTokens"/> excludes the cached ones).</summary>
    public decimal Cost(long inputTokens, long outputTokens, long cacheReadInputTokens)
        => (inputTokens * Input + outputTokens * Output + cacheReadInputTokens * (CacheRead ?? Input)) / PerMillion;
}
