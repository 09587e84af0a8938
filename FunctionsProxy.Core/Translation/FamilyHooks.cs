using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.ModelFamilies;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Translation;

/// <summary>
/// The points where backend-family behaviour enters the translators (tool ids, tool names, argument repair,
/// reasoning switches). Each is marked <c>families:</c> and delegates to <c>FunctionsProxy.Families</c>.
/// </summary>
internal static class FamilyHooks
{
    // families: reversible encoding of upstream ids that are not valid Anthropic ids.
    public static string ToolIdToUpstream(string anthropicId) => ToolIdCodec.ToUpstream(anthropicId);

    // families: keep valid ids, encode invalid ones, generate missing ones.
    public static string ToolIdToAnthropic(string? upstreamId) => ToolIdCodec.ToAnthropic(upstreamId);

    // families: tolerant repair of tool-call arguments.
    public static string NormalizeArguments(string? raw, ILogger? logger) => ToolArguments.Normalize(raw, logger);

    // families: per-profile reasoning switch (chat_template_kwargs, reasoning_effort).
    public static void WriteReasoningSwitch(Utf8JsonWriter writer, ResolvedModel model, JsonElement? thinking, JsonElement? outputConfig)
        => ReasoningSwitch.Write(writer, model.Profile, ThinkingRequest.From(thinking, outputConfig, model.ForceThinking));

    // families: thinking variants served under their own id (profile ThinkingSwitch.ModelSuffix).
    public static string UpstreamModelId(ResolvedModel model, JsonElement? thinking, JsonElement? outputConfig)
        => ReasoningSwitch.ModelId(model.UpstreamId, model.Profile, ThinkingRequest.From(thinking, outputConfig, model.ForceThinking));

    // families: TOOL_NAME_MAP both ways plus deterministic shortening of long names.
    public static IToolNameMapper CreateToolNameMapper(IReadOnlyDictionary<string, string> toolNameMap) => new ToolNameMapper(toolNameMap);

    // families: model-profile table (patterns → profiles, overridable by MODEL_PROFILES). ModelResolver uses the
    // configured table from DI; this is the built-in table for callers without one.
    public static ModelProfile ResolveProfile(string upstreamModelId) => ModelProfileTable.Builtin.Resolve(upstreamModelId);

    // families: ":thinking"-style suffixes switch thinking on and are not sent upstream.
    public static bool TryStripThinkingSuffix(string modelId, out string stripped) => ModelIdSuffix.TryStrip(modelId, out stripped);

    // families: how long streamed text may be held back for an orphan </think>. No time bound when the request turned
    // thinking on: reasoning is expected before any answer, and only the profile's character window applies.
    public static TimeSpan OrphanThinkCloseTime(ResolvedModel model, JsonElement? thinking, JsonElement? outputConfig)
        => model.Profile is { ParseThinkTags: true, OrphanThinkCloseWindow: > 0 } p && !ThinkingRequest.From(thinking, outputConfig, model.ForceThinking).IsOn
            ? p.OrphanThinkCloseTime
            : TimeSpan.Zero;

    // families: <think> tags and tool-call markup inside content, per profile.
    public static ContentDemultiplexer CreateDemultiplexer(ModelProfile profile, ILogger? logger, ToolParameterTypes? parameterTypes = null)
        => new(profile.ParseThinkTags, profile.ParseToolMarkup, profile.ParseThinkTags ? profile.OrphanThinkCloseWindow : 0, logger, parameterTypes);
}
