using System.Globalization;
using System.Text.Json;

namespace FunctionsProxy.Catalog;

/// <summary>
/// Reads a price from one entry of the backend's model listing, in USD per 1M tokens. Shapes understood:
/// <list type="bullet">
/// <item>Chutes: <c>"pricing":{"prompt":0.39,"completion":1.9,"input_cache_read":0.19}</c> (also <c>input</c>/<c>output</c>/<c>cache_read</c>, numbers or numeric strings);</item>
/// <item>Chutes' older form: <c>"price":{"input":{"usd":0.39},"output":{"usd":1.9}}</c>.</item>
/// </list>
/// Anything else (or a price with input or output missing) is no price: the cost then comes from <c>MODEL_PRICES</c> or stays unknown.
/// </summary>
internal static class ListedPrice
{
    public static ModelPrice? Parse(JsonElement model)
    {
        if (model.TryGetProperty("pricing"u8, out var pricing) && pricing.ValueKind == JsonValueKind.Object)
        {
            var input = Number(pricing, "prompt"u8) ?? Number(pricing, "input"u8);
            var output = Number(pricing, "completion"u8) ?? Number(pricing, "output"u8);
            var cache = Number(pricing, "input_cache_read"u8) ?? Number(pricing, "cache_read"u8) ?? Number(pricing, "cached_input"u8);
            if (input is not null && output is not null) return new ModelPrice(input.Value, output.Value, cache);
        }
        if (model.TryGetProperty("price"u8, out var price) && price.ValueKind == JsonValueKind.Object)
        {
            var input = Usd(price, "input"u8);
            var output = Usd(price, "output"u8);
            if (input is not null && output is not null) return new ModelPrice(input.Value, output.Value);
        }
        return null;
    }

    private static decimal? Usd(JsonElement price, ReadOnlySpan<byte> name)
        => price.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.Object ? Number(v, "usd"u8) : Number(price, name) : null;

    private static decimal? Number(JsonElement e, ReadOnlySpan<byte> name)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        decimal n;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out n)) return n >= 0 ? n : null;
        if (v.ValueKind == JsonValueKind.String && decimal.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out n)) return n >= 0 ? n : null;
        return null;
    }
}
