using System.Text.Json;
using FunctionsProxy.Anthropic;

namespace FunctionsProxy.Translation;

/// <summary>
/// The user message being gathered: consecutive user turns, images moved out of tool results and mid-conversation
/// system texts become one OpenAI user message, written when the next assistant turn (or the end) comes.
/// </summary>
internal sealed class PendingUserMessage
{
    private readonly List<UserPart> _parts = [];

    public int Count => _parts.Count;

    /// <summary>A text kept as the request's own JSON string.</summary>
    public void AddText(JsonElement text) => _parts.Add(new UserPart(text, null, null, null));

    public void AddText(string text) => _parts.Add(new UserPart(default, text, null, null));

    /// <summary>A JSON string value given as its raw bytes (quotes included).</summary>
    public void AddRawText(byte[] jsonString) => _parts.Add(new UserPart(default, null, jsonString, null));

    public void AddImage(string url) => _parts.Add(new UserPart(default, null, null, url));

    /// <summary>Writes the gathered parts as one user message (plain content when it is one text) and starts over.</summary>
    public void Flush(Utf8JsonWriter w)
    {
        if (_parts.Count == 0) return;
        w.WriteStartObject();
        w.WriteString("role"u8, "user"u8);
        w.WritePropertyName("content"u8);
        if (_parts.Count == 1 && !_parts[0].IsImage)
        {
            _parts[0].WriteText(w);
        }
        else
        {
            w.WriteStartArray();
            foreach (var part in _parts)
            {
                w.WriteStartObject();
                if (part.IsImage)
                {
                    w.WriteString("type"u8, "image_url"u8);
                    w.WriteStartObject("image_url"u8);
                    w.WriteString("url"u8, part.Url);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteString("type"u8, "text"u8);
                    w.WritePropertyName("text"u8);
                    part.WriteText(w);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
        _parts.Clear();
    }

    /// <summary>One part: a text (the request's JSON string, a built string or raw JSON string bytes) or an image URL.</summary>
    private readonly record struct UserPart(JsonElement Element, string? Text, byte[]? RawString, string? Url)
    {
        public bool IsImage => Url is not null;

        public void WriteText(Utf8JsonWriter w)
        {
            if (Text is not null) w.WriteStringValue(Text);
            else if (RawString is not null) w.WriteRawValue(RawString, skipInputValidation: true);
            else RawJson.Write(w, Element);
        }
    }
}
