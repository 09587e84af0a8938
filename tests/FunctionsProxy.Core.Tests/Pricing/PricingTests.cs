using System.Text.Json;
using FunctionsProxy.Catalog;
using FunctionsProxy.Pricing;
using Xunit;

namespace FunctionsProxy.Tests.Pricing;

/// <summary>MODEL_PRICES parsing, prices read from model listings, and the cost of a usage row.</summary>
public sealed class PricingTests
{
    [Fact]
    public void Model_prices_parse_exact_ids_and_patterns_in_order_and_the_first_match_wins()
    {
        var errors = new List<string>();
        var rules = ModelPriceOptions.Parse("""{"moonshotai/Kimi-K2-Instruct":{"input":0.39,"output":1.9,"cache_read":0.19},"*qwen3*":{"input":0.08,"output":0.33},"*":{"input":1,"output":2}}""", errors);
        Assert.Empty(errors);
        var prices = new ModelPrices(rules);
        Assert.Equal((new ModelPrice(0.39m, 1.9m, 0.19m), "MODEL_PRICES"), prices.Find("moonshotai/Kimi-K2-Instruct"));
        Assert.Equal(new ModelPrice(0.08m, 0.33m), prices.Find("Qwen/Qwen3-235B-A22B")!.Value.Price); // case-insensitive pattern
        Assert.Equal(new ModelPrice(1m, 2m), prices.Find("other/model")!.Value.Price);
    }

    [Theory]
    [InlineData("not json", "MODEL_PRICES is not valid JSON")]
    [InlineData("[1]", "MODEL_PRICES must be a JSON object")]
    [InlineData("""{"m":{"input":1}}""", "MODEL_PRICES \"m\" needs both input and output.")]
    [InlineData("""{"m":{"input":-1,"output":1}}""", "MODEL_PRICES \"m\": input must be a non-negative number (USD per 1M tokens).")]
    [InlineData("""{"m":{"input":"1","output":1}}""", "MODEL_PRICES \"m\": input must be a non-negative number (USD per 1M tokens).")]
    [InlineData("""{"m":{"input":1,"output":1,"cached":1}}""", "MODEL_PRICES \"m\": unknown field \"cached\" (input, output, cache_read).")]
    [InlineData("""{"m":3}""", "MODEL_PRICES \"m\" must be an object")]
    public void Bad_model_prices_are_refused_naming_the_variable(string json, string expected)
    {
        var errors = new List<string>();
        Assert.Empty(ModelPriceOptions.Parse(json, errors));
        Assert.StartsWith(expected, Assert.Single(errors));
    }

    [Fact]
    public void Cost_prices_cached_tokens_at_the_cache_price_or_else_the_input_price_and_unknown_models_cost_null()
    {
        var prices = new ModelPrices([new ModelPriceRule("a", new ModelPrice(2m, 8m, 0.5m)), new ModelPriceRule("b", new ModelPrice(2m, 8m))]);
        // 1,000 input + 500 output + 2,000 cached: a = (1000*2 + 500*8 + 2000*0.5)/1e6, b prices the cached ones as input.
        Assert.Equal(0.007m, prices.Cost("a", 1000, 500, 2000));
        Assert.Equal(0.010m, prices.Cost("b", 1000, 500, 2000));
        Assert.Null(prices.Cost("c", 1000, 500, 2000));
        Assert.Equal(0m, prices.Cost("a", 0, 0, 0)); // a known price and no tokens is a real zero
    }

    [Theory]
    [InlineData("""{"id":"m","pricing":{"prompt":0.39,"completion":1.9,"input_cache_read":0.195}}""", "0.39", "1.9", "0.195")]
    [InlineData("""{"id":"m","pricing":{"input":"0.3","output":"1.2"}}""", "0.3", "1.2", null)]
    [InlineData("""{"id":"m","price":{"input":{"tao":0.001,"usd":0.22},"output":{"tao":0.003,"usd":0.95}}}""", "0.22", "0.95", null)]
    public void Discovery_reads_the_price_shapes_backends_publish(string entry, string input, string output, string? cache)
    {
        using var doc = JsonDocument.Parse(entry);
        var model = ModelDiscovery.Parse(doc.RootElement)!;
        Assert.Equal(new ModelPrice(decimal.Parse(input, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(output, System.Globalization.CultureInfo.InvariantCulture),
            cache is null ? null : decimal.Parse(cache, System.Globalization.CultureInfo.InvariantCulture)), model.Price);
    }

    [Theory]
    [InlineData("""{"id":"m"}""")]
    [InlineData("""{"id":"m","pricing":{"prompt":0.39}}""")]
    [InlineData("""{"id":"m","pricing":{"prompt":-1,"completion":1}}""")]
    [InlineData("""{"id":"m","pricing":"free"}""")]
    [InlineData("""{"id":"m","price":{"input":{"tao":1},"output":{"tao":2}}}""")]
    public void A_listing_without_a_complete_price_gives_no_price(string entry)
    {
        using var doc = JsonDocument.Parse(entry);
        Assert.Null(ModelDiscovery.Parse(doc.RootElement)!.Price);
    }
}
