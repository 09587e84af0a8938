using System.Buffers;
using System.Text.Json;

namespace FunctionsProxy.OpenAi;

/// <summary>Which field of a text-only stream delta carried the text.</summary>
internal enum TextDeltaField
{
    Content,
    Reasoning,
}

/// <summary>
/// The text of a stream chunk recognised as "one delta that only adds text" (see <see cref="TextDeltaChunk"/>),
/// unescaped to UTF-8. One instance per stream, overwritten by every recognised chunk: the relay consumes a chunk
/// before it reads the next.
/// </summary>
public sealed class TextDelta : IDisposable
{
    private byte[] _buffer = [];

    internal TextDeltaField Field { get; private set; }
    internal int Length { get; private set; }

    /// <summary>The text as UTF-8 (valid: the JSON reader validated it), no longer JSON-escaped.</summary>
    internal ReadOnlySpan<byte> Utf8 => _buffer.AsSpan(0, Length);

    internal bool IsReasoning => Field == TextDeltaField.Reasoning;

    // The last chunk the full recognition accepted, minus its text value: what precedes the value's opening quote and
    // what follows its closing quote. A backend repeats id, created, model and the rest byte for byte in every chunk,
    // so the next text-only chunk is usually this template with another string in the hole.
    private byte[] _template = [];
    private int _prefixLength;
    private int _suffixLength;
    private TextDeltaField _templateField;
    private int _valueStart;
    private int _valueEnd;

    /// <summary>Chunks recognised through the template (for tests: proof that the shortcut ran).</summary>
    internal int TemplateHits { get; private set; }

    /// <summary>Recognises <paramref name="json"/> when it is the last accepted chunk with only its text changed: the
    /// bytes before and after the hole equal the template's, and the hole is exactly one JSON string token (so the
    /// structure, every other member and every check the full recognition made are the same). Reads that one token
    /// instead of the whole chunk.</summary>
    internal bool TryReadLikeLast(ReadOnlySpan<byte> json)
    {
        if (_prefixLength == 0) return false;
        var prefix = _template.AsSpan(0, _prefixLength);
        var suffix = _template.AsSpan(_prefixLength, _suffixLength);
        if (json.Length < prefix.Length + suffix.Length + 2 || !json.StartsWith(prefix) || !json.EndsWith(suffix)) return false;
        var hole = json[prefix.Length..^suffix.Length];
        if (hole[0] != (byte)'"') return false;
        var reader = new Utf8JsonReader(hole);
        try
        {
            // A quote in the hole that is not escaped ends the token early: then it is not one string.
            if (!reader.Read() || reader.TokenType != JsonTokenType.String || reader.BytesConsumed != hole.Length) return false;
        }
        catch (JsonException)
        {
            return false;
        }
        if (!TrySet(_templateField, ref reader)) return false;
        TemplateHits++;
        return true;
    }

    /// <summary>Keeps <paramref name="json"/>, which the full recognition just accepted, as the template.</summary>
    internal void Remember(ReadOnlySpan<byte> json)
    {
        var suffixLength = json.Length - _valueEnd;
        if (_valueStart + suffixLength > 1024)
        {
            _prefixLength = 0; // an unusually large chunk: not worth keeping
            return;
        }
        if (_template.Length < _valueStart + suffixLength) _template = new byte[Math.Max(256, _valueStart + suffixLength)];
        json[.._valueStart].CopyTo(_template);
        json[_valueEnd..].CopyTo(_template.AsSpan(_valueStart));
        _prefixLength = _valueStart;
        _suffixLength = suffixLength;
        _templateField = Field;
    }

    /// <summary>Copies the string value the reader is on (unescaping it). False when it cannot be a .NET string (an
    /// escaped lone surrogate): the full path repairs those.</summary>
    internal bool TrySet(TextDeltaField field, ref Utf8JsonReader reader)
    {
        _valueStart = (int)reader.TokenStartIndex;
        _valueEnd = (int)reader.BytesConsumed;
        var max = reader.ValueSpan.Length; // unescaping never makes a value longer
        if (_buffer.Length < max)
        {
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(max, 256));
        }
        if (!reader.ValueIsEscaped)
        {
            reader.ValueSpan.CopyTo(_buffer);
            Length = max;
        }
        else
        {
            try
            {
                Length = reader.CopyString(_buffer);
            }
            catch (InvalidOperationException)
            {
                Length = 0;
                return false;
            }
        }
        Field = field;
        // Invalid UTF-8 (a token cut inside a character) is repaired by the full path; it must never be copied out.
        return System.Text.Unicode.Utf8.IsValid(Utf8);
    }

    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        Length = 0;
    }
}

/// <summary>
/// Recognises the chunk most of a stream is made of — one choice whose delta only adds text to <c>content</c> or to
/// the reasoning (<c>reasoning</c> / <c>reasoning_content</c>), no finish, no usage, no tool calls, no error — from
/// its raw bytes with one <see cref="Utf8JsonReader"/> pass, without building objects or strings. Anything else (or
/// anything ambiguous: a duplicate member, text in two fields, a non-zero choice index, an unexpected type) is
/// reported as not recognised and takes the full deserialization, so the fast path can only ever agree with it.
/// </summary>
internal static class TextDeltaChunk
{
    /// <summary>True when <paramref name="json"/> is a text-only delta; <paramref name="text"/> then holds its text.
    /// Invalid JSON or invalid UTF-8 anywhere in the chunk is "not recognised" (the full path reports or repairs it).</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, TextDelta text)
    {
        // [DONE], comments, plain text: never a chunk object (and a reader exception costs more than the check).
        json = json.TrimStart(" \t\r\n"u8);
        if (json.IsEmpty || json[0] != (byte)'{') return false;
        if (text.TryReadLikeLast(json)) return true;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!ReadRoot(ref reader, text) || reader.Read()) return false;
            text.Remember(json);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool ReadRoot(ref Utf8JsonReader r, TextDelta text)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        var sawChoices = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("choices"u8))
            {
                if (sawChoices || !r.Read() || !ReadChoices(ref r, text)) return false;
                sawChoices = true;
            }
            else if (r.ValueTextEquals("usage"u8) || r.ValueTextEquals("error"u8) || r.ValueTextEquals("object"u8))
            {
                // usage: a usage chunk; error: a failure report; object: "error" marks an error document. A string
                // "object" other than "error" (chat.completion.chunk) is the normal case.
                if (!r.Read()) return false;
                if (r.TokenType == JsonTokenType.Null) continue;
                if (r.TokenType == JsonTokenType.String && r.ValueTextEquals("chat.completion.chunk"u8)) continue;
                return false;
            }
            else if (r.ValueTextEquals("message"u8) || r.ValueTextEquals("detail"u8) || r.ValueTextEquals("type"u8) || r.ValueTextEquals("code"u8))
            {
                return false; // members of an error document
            }
            else
            {
                // id, created, model, system_fingerprint, ...: not read by the translation (validated, skipped).
                r.Skip();
            }
        }
        return r.TokenType == JsonTokenType.EndObject && sawChoices;
    }

    private static bool ReadChoices(ref Utf8JsonReader r, TextDelta text)
    {
        if (r.TokenType != JsonTokenType.StartArray || !r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        bool sawIndex = false, sawDelta = false, sawFinish = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("index"u8))
            {
                if (sawIndex || !r.Read() || r.TokenType != JsonTokenType.Number || !r.TryGetInt32(out var index) || index != 0) return false;
                sawIndex = true;
            }
            else if (r.ValueTextEquals("delta"u8))
            {
                if (sawDelta || !r.Read() || !ReadDelta(ref r, text)) return false;
                sawDelta = true;
            }
            else if (r.ValueTextEquals("finish_reason"u8))
            {
                if (sawFinish || !r.Read() || r.TokenType != JsonTokenType.Null) return false;
                sawFinish = true;
            }
            else if (r.ValueTextEquals("message"u8))
            {
                return false;
            }
            else
            {
                r.Skip(); // logprobs, stop_reason (read only with a finish_reason), ...
            }
        }
        // Exactly one choice: with n > 1 the full path decides which one is the answer.
        return r.TokenType == JsonTokenType.EndObject && sawDelta && r.Read() && r.TokenType == JsonTokenType.EndArray;
    }

    private static bool ReadDelta(ref Utf8JsonReader r, TextDelta text)
    {
        if (r.TokenType != JsonTokenType.StartObject) return false;
        // Bits: content, reasoning, reasoning_content, role, tool_calls seen (a duplicate member is left to the full path).
        var seen = 0;
        var withText = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            int bit;
            TextDeltaField field;
            if (r.ValueTextEquals("content"u8))
            {
                (bit, field) = (1, TextDeltaField.Content);
            }
            else if (r.ValueTextEquals("reasoning"u8))
            {
                (bit, field) = (2, TextDeltaField.Reasoning);
            }
            else if (r.ValueTextEquals("reasoning_content"u8))
            {
                (bit, field) = (4, TextDeltaField.Reasoning);
            }
            else if (r.ValueTextEquals("role"u8))
            {
                (bit, field) = (8, default);
            }
            else if (r.ValueTextEquals("tool_calls"u8))
            {
                (bit, field) = (16, default);
            }
            else
            {
                r.Skip();
                continue;
            }
            if ((seen & bit) != 0 || !r.Read()) return false;
            seen |= bit;
            if (r.TokenType == JsonTokenType.Null) continue;
            if (bit == 16) return false; // tool calls
            if (r.TokenType != JsonTokenType.String) return false;
            if (bit == 8) continue; // role: not read by the translation
            // Text in two fields (or an empty reasoning beside reasoning_content): the full path's rules apply.
            if (withText++ > 0 || !text.TrySet(field, ref r)) return false;
        }
        return r.TokenType == JsonTokenType.EndObject && withText == 1;
    }
}
