using System.Text.Json;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.ModelFamilies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Pricing;

/// <summary>A backend model-id pattern (as in <c>MODEL_PROFILES</c>: <c>*</c>, <c>?</c>, case-insensitive, whole id) and its price.</summary>
public sealed record ModelPriceRule(string Pattern, ModelPrice Price)
{
    public bool Matches(string modelId) => Glob.IsMatch(Pattern, modelId);
}

/// <summary>
/// Prices from <c>MODEL_PRICES</c>: a JSON object of backend model id (or pattern) → <c>{"input":N,"output":N,"cache_read":N?}</c>
/// in USD per 1M tokens, e.g. <c>{"moonshotai/Kimi-K2-Instruct":{"input":0.39,"output":1.9},"*qwen3*":{"input":0.08,"output":0.33}}</c>.
/// Exact ids and patterns are checked in the order written; the first match wins.
/// </summary>
public sealed class ModelPriceOptions
{
    public List<ModelPriceRule> Rules { get; } = [];

    internal List<string> Errors { get; } = [];

    /// <summary>Parses a <c>MODEL_PRICES</c> value; problems are added to <paramref name="errors"/> naming the variable.</summary>
    public static List<ModelPriceRule> Parse(string json, List<string> errors)
        => PatternObjectSetting.Parse(SettingNames.ModelPrices, json,
            "a JSON object of backend model id → {\"input\":USD per 1M tokens,\"output\":…,\"cache_read\":…}", "model id",
            id => $"{SettingNames.ModelPrices} \"{id}\" must be an object {{\"input\":N,\"output\":N,\"cache_read\":N?}}.",
            (id, fields) => ParsePrice(id, fields, errors), errors);

    private static ModelPriceRule? ParsePrice(string id, JsonElement fields, List<string> errors)
    {
        var where = $"{SettingNames.ModelPrices} \"{id}\"";
        decimal? input = null, output = null, cacheRead = null;
        var ok = true;
        foreach (var f in fields.EnumerateObject())
        {
            if (f.Value.ValueKind != JsonValueKind.Number || !f.Value.TryGetDecimal(out var v) || v < 0)
            {
                errors.Add($"{where}: {f.Name} must be a non-negative number (USD per 1M tokens).");
                ok = false;
                continue;
            }
            switch (f.Name)
            {
                case "input": input = v; break;
                case "output": output = v; break;
                case "cache_read": cacheRead = v; break;
                default: errors.Add($"{where}: unknown field \"{f.Name}\" (input, output, cache_read)."); ok = false; break;
            }
        }
        if (ok && (input is null || output is null)) { errors.Add($"{where} needs both input and output."); ok = false; }
        return ok ? new ModelPriceRule(id, new ModelPrice(input!.Value, output!.Value, cacheRead)) : null;
    }
}

internal sealed class ModelPriceOptionsSetup(IConfiguration configuration) : IConfigureOptions<ModelPriceOptions>
{
    public void Configure(ModelPriceOptions options)
    {
        if (configuration[SettingNames.ModelPrices] is { } value && !string.IsNullOrWhiteSpace(value))
            options.Rules.AddRange(ModelPriceOptions.Parse(value, options.Errors));
    }
}

/// <summary>Refuses to start on a bad <c>MODEL_PRICES</c>, naming it.</summary>
internal sealed class ModelPriceOptionsValidator : IValidateOptions<ModelPriceOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelPriceOptions options)
        => options.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Errors);
}
