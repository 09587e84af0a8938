using FunctionsProxy.Catalog;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Pricing;

/// <summary>
/// Backend model id → price: what discovery learned from the backend's model listing when it publishes one (Chutes
/// does), else the first matching <c>MODEL_PRICES</c> rule, else unknown (null — a cost is never guessed as 0).
/// </summary>
public sealed class ModelPrices
{
    private readonly IReadOnlyList<ModelPriceRule> _rules;
    private readonly ModelCatalog? _catalog;

    public ModelPrices(IOptions<ModelPriceOptions> options, ModelCatalog? catalog = null)
        : this(options.Value.Rules, catalog)
    {
    }

    public ModelPrices(IReadOnlyList<ModelPriceRule> rules, ModelCatalog? catalog = null)
    {
        _rules = rules;
        _catalog = catalog;
    }

    /// <summary>No prices at all (every cost is unknown).</summary>
    public static ModelPrices None { get; } = new([], null);

    /// <summary>The price of <paramref name="modelId"/> and where it came from ("discovery" or "MODEL_PRICES"), or null.</summary>
    public (ModelPrice Price, string Source)? Find(string modelId)
    {
        if (_catalog?.Current?.Find(modelId, fixCase: false)?.Price is { } discovered) return (discovered, "discovery");
        foreach (var rule in _rules)
            if (rule.Matches(modelId)) return (rule.Price, Configuration.SettingNames.ModelPrices);
        return null;
    }

    /// <summary>Cost in USD of tokens of <paramref name="modelId"/>, or null when its price is unknown.</summary>
    public decimal? Cost(string modelId, long inputTokens, long outputTokens, long cacheReadInputTokens)
        => Find(modelId) is { } p ? Math.Round(p.Price.Cost(inputTokens, outputTokens, cacheReadInputTokens), 8, MidpointRounding.AwayFromZero) : null;
}
