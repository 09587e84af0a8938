using System.Runtime.InteropServices;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using Microsoft.ML.Tokenizers;

namespace FunctionsProxy.Tokens;

/// <summary>
/// Local token counts for <c>count_tokens</c> with Microsoft.ML.Tokenizers (o200k_base): system, message texts,
/// tool inputs and results, thinking, and tool definitions. Claude Code's <c>/context</c> fires a burst of these, so
/// they never leave the process. The tokenizer is built once (its vocabulary ships in a package).
/// Cost is linear in the input: text is counted in segments of at most <see cref="SegmentLength"/> characters (see
/// <see cref="CountTokens"/>), and the caller's token is checked between segments, so a client that goes away stops
/// the work.
/// </summary>
public sealed class TokenCounter
{
    // Per-message framing of chat templates, and a flat estimate per image (its size is not known here).
    private const int PerMessage = 4;
    private const int PerImage = 1600;
    private const int PerTool = 8;

    /// <summary>
    /// Longest piece of text given to the tokenizer at once. Its byte-pair merge is quadratic in the length of one
    /// pre-token (a run without spaces: 200 KB of backslashes took seconds); cutting runs at this length bounds that
    /// to a constant per segment. Ordinary text is cut before a space or tab that follows a non-space character,
    /// where the o200k pre-tokenizer splits too, so its count does not change; a run is cut at the limit, a multiple
    /// of the digit group (3) and of the longest run tokens (128 spaces), so uniform runs count as they would whole.
    /// </summary>
    internal const int SegmentLength = 384;

    private static readonly Lazy<Tokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    internal static Tokenizer O200k => Tokenizer.Value;

    public int Count(MessagesRequest request, CancellationToken cancellationToken = default)
    {
        var tokenizer = Tokenizer.Value;
        var total = 0;
        if (request.System is { } system) total += CountContent(tokenizer, system, cancellationToken);
        foreach (var message in request.Messages.EnumerateArray())
            total += PerMessage + CountContent(tokenizer, message.GetProperty("content"u8), cancellationToken);
        if (request.Tools is { } tools)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                total += PerTool;
                if (tool.TryGetProperty("name"u8, out var n)) total += CountText(tokenizer, n, cancellationToken);
                if (tool.TryGetProperty("description"u8, out var d)) total += CountText(tokenizer, d, cancellationToken);
                if (tool.TryGetProperty("input_schema"u8, out var s)) total += CountRaw(tokenizer, s, cancellationToken);
            }
        }
        return Math.Max(1, total);
    }

    /// <summary>Tokens of <paramref name="text"/>, counted in segments of at most <see cref="SegmentLength"/> characters.</summary>
    internal static int CountTokens(Tokenizer tokenizer, ReadOnlySpan<char> text, CancellationToken cancellationToken)
    {
        var total = 0;
        while (text.Length > SegmentLength)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var cut = SegmentCut(text);
            total += tokenizer.CountTokens(text[..cut]);
            text = text[cut..];
        }
        return total + (text.IsEmpty ? 0 : tokenizer.CountTokens(text));
    }

    /// <summary>Where the first segment of a long text ends: before the last space or tab within
    /// <see cref="SegmentLength"/> characters that follows a non-space, else at the limit (never between the halves
    /// of a surrogate pair). Not before a line break: o200k keeps punctuation and the line break after it together.</summary>
    private static int SegmentCut(ReadOnlySpan<char> text)
    {
        for (var i = SegmentLength - 1; i > 0; i--)
            if (text[i] is ' ' or '\t' && !char.IsWhiteSpace(text[i - 1])) return i;
        return char.IsHighSurrogate(text[SegmentLength - 1]) ? SegmentLength - 1 : SegmentLength;
    }

    private static int CountContent(Tokenizer tokenizer, JsonElement content, CancellationToken ct)
    {
        if (content.ValueKind == JsonValueKind.String) return CountText(tokenizer, content, ct);
        if (content.ValueKind != JsonValueKind.Array) return 0;
        var total = 0;
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type"u8, out var type)) continue;
            if (type.ValueEquals("image"u8))
            {
                total += PerImage;
            }
            else if (type.ValueEquals("tool_use"u8))
            {
                if (block.TryGetProperty("name"u8, out var n)) total += CountText(tokenizer, n, ct);
                if (block.TryGetProperty("input"u8, out var input)) total += CountRaw(tokenizer, input, ct);
            }
            else if (type.ValueEquals("tool_result"u8))
            {
                if (block.TryGetProperty("content"u8, out var c)) total += CountContent(tokenizer, c, ct);
            }
            else if (type.ValueEquals("thinking"u8) && block.TryGetProperty("thinking"u8, out var th))
            {
                total += CountText(tokenizer, th, ct);
            }
            else if (block.TryGetProperty("text"u8, out var text))
            {
                total += CountText(tokenizer, text, ct);
            }
            else if (type.ValueEquals("document"u8) && block.TryGetProperty("source"u8, out var src) && src.ValueKind == JsonValueKind.Object
                     && src.TryGetProperty("data"u8, out var data))
            {
                total += CountText(tokenizer, data, ct);
            }
        }
        return total;
    }

    private static int CountText(Tokenizer tokenizer, JsonElement value, CancellationToken ct)
        => value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? CountTokens(tokenizer, s, ct) : 0;

    /// <summary>JSON values (schemas, tool inputs) count as the JSON text the model sees.</summary>
    private static int CountRaw(Tokenizer tokenizer, JsonElement value, CancellationToken ct)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        return raw.IsEmpty ? 0 : CountTokens(tokenizer, System.Text.Encoding.UTF8.GetString(raw), ct);
    }
}
