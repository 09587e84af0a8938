using System.Text.Json;
using FunctionsProxy.Configuration;

namespace FunctionsProxy.Fallback;

/// <summary>The <c>/_schemas</c> part that explains where a request goes: the order the rules apply in, the chains,
/// the routes, and which models are cooling down. Model ids only, never a key or the backend's address.</summary>
internal static class FallbackSchema
{
    public static void Write(Utf8JsonWriter w, ProxyOptions o, ModelCircuitBreaker breaker)
    {
        w.WriteStartArray("routing_order"u8);
        w.WriteStringValue("model_routes.long_context: estimated input tokens >= min_input_tokens"u8);
        w.WriteStringValue("model_routes.thinking: thinking enabled or adaptive, or a :thinking suffix"u8);
        w.WriteStringValue("model_chains: MODEL_MAP exact key, else the haiku/sonnet/opus key a claude-* id contains, else the id as given"u8);
        w.WriteStringValue("cooling-down models last; models that cannot serve the request skipped"u8);
        w.WriteEndArray();

        w.WriteStartObject("model_chains"u8);
        foreach (var (key, chain) in o.ModelChains.OrderBy(p => p.Key, StringComparer.Ordinal)) WriteIds(w, key, chain);
        w.WriteEndObject();

        w.WriteStartObject("model_routes"u8);
        if (o.ModelRoutes.LongContext is { } longContext)
        {
            w.WriteStartObject("long_context"u8);
            w.WriteNumber("min_input_tokens"u8, o.ModelRoutes.LongContextMinInputTokens);
            WriteIds(w, "model", longContext);
            w.WriteEndObject();
        }
        if (o.ModelRoutes.Thinking is { } thinking)
        {
            w.WriteStartObject("thinking"u8);
            WriteIds(w, "model", thinking);
            w.WriteEndObject();
        }
        w.WriteEndObject();

        w.WriteStartObject("circuit_breaker"u8);
        w.WriteNumber("failure_threshold"u8, o.ModelFailureThreshold);
        w.WriteNumber("cooldown_seconds"u8, o.ModelCooldown.TotalSeconds);
        w.WriteNumber("first_byte_timeout_seconds"u8, o.ModelFirstByteTimeout.TotalSeconds);
        w.WriteString("store"u8, breaker.StoreKind);
        w.WriteStartArray("cooling_down"u8);
        foreach (var health in breaker.Tripped())
        {
            w.WriteStartObject();
            w.WriteString("model"u8, health.ModelId);
            w.WriteString("until"u8, health.OpenUntil);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteIds(Utf8JsonWriter w, string name, IReadOnlyList<string> ids)
    {
        w.WriteStartArray(name);
        foreach (var id in ids) w.WriteStringValue(id);
        w.WriteEndArray();
    }
}
