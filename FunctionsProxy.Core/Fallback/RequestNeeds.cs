using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;

namespace FunctionsProxy.Fallback;

/// <summary>What a request needs from a model for the answer to be the one asked for: vision for its images, tools
/// when <c>tool_choice</c> forces one. A chain member known to lack either is skipped, not sent.</summary>
public readonly record struct RequestNeeds(bool Images, bool ForcedTools)
{
    public static RequestNeeds Of(MessagesRequest request)
    {
        var forced = request.ToolChoice is { ValueKind: JsonValueKind.Object } choice && choice.TryGetProperty("type"u8, out var t)
                     && (t.ValueEquals("any"u8) || t.ValueEquals("tool"u8));
        var images = false;
        foreach (var message in request.Messages.EnumerateArray())
        {
            if (message.TryGetProperty("content"u8, out var content) && HasImage(content))
            {
                images = true;
                break;
            }
        }
        return new RequestNeeds(images, forced);
    }

    /// <summary>Why <paramref name="capabilities"/> cannot serve this request, or null when they can (or are unknown:
    /// an unknown capability is never a reason to skip).</summary>
    public string? Unmet(ModelCapabilities? capabilities)
    {
        if (Images && capabilities?.SupportsVision == false) return "no vision for a request with images";
        if (ForcedTools && capabilities?.SupportsTools == false) return "no tools for a request whose tool_choice requires one";
        return null;
    }

    private static bool HasImage(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Array) return false;
        foreach (var block in content.EnumerateArray())
        {
            if (!block.TryGetProperty("type"u8, out var type)) continue;
            if (type.ValueEquals("image"u8)) return true;
            // Screenshots come back inside tool results.
            if (type.ValueEquals("tool_result"u8) && block.TryGetProperty("content"u8, out var inner) && HasImage(inner)) return true;
        }
        return false;
    }
}
