namespace FunctionsProxy.Catalog;

/// <summary>What the backend says (or we learned) a model can do. Null means unknown: the proxy then does not restrict.</summary>
public sealed record ModelCapabilities
{
    public required string Id { get; init; }
    public bool? SupportsTools { get; init; }
    public bool? SupportsVision { get; init; }
    public bool? SupportsReasoning { get; init; }
    public int? ContextLength { get; init; }
    public int? MaxOutputTokens { get; init; }
    public DateTimeOffset? Created { get; init; }
    public string? OwnedBy { get; init; }

    /// <summary>Price the backend publishes in its model listing (USD per 1M tokens), or null.</summary>
    public ModelPrice? Price { get; init; }
}
