namespace FunctionsProxy.Metering;

/// <summary>One key's use of one model on one UTC day.</summary>
public sealed record UsageRow
{
    public required string Day { get; init; }
    public required string KeyName { get; init; }
    public required string Model { get; init; }
    public long Requests { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CacheReadInputTokens { get; set; }

    /// <summary>Cost in USD at the model's price (computed when read, never stored); null when the price is unknown.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    public decimal? CostUsd { get; init; }

    public static string DayOf(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}
