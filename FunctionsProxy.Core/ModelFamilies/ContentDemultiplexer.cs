using Microsoft.Extensions.Logging;

namespace FunctionsProxy.ModelFamilies;

/// <summary>
/// Splits assistant content (one response, fed incrementally) into text, thinking and tool calls:
/// <c>&lt;think&gt;…&lt;/think&gt;</c> and an orphan <c>…&lt;/think&gt;</c> at the start (the chat template opened the tag
/// in the prompt) become thinking; tool-call markup written into text by servers without a tool parser (Kimi,
/// DeepSeek, Hermes/Qwen, Qwen3-Coder, GLM — see <see cref="MarkupKind"/>) becomes tool calls and leaves the text.
/// <para>Streaming: only characters that could start a marker are held back (a partial marker at the end of a
/// chunk); text without <c>&lt;</c> goes straight to the sink as a slice of the input, without copying. Any split of
/// the same content into <see cref="Push"/> calls gives the same result. Tool-call bodies are buffered until their end
/// marker (the client gets a tool call whole anyway).</para>
/// </summary>
public sealed class ContentDemultiplexer
{
    /// <summary>Default reach of orphan <c>&lt;/think&gt;</c> detection (<see cref="Models.ModelProfile.OrphanThinkCloseWindow"/>).</summary>
    public const int DefaultOrphanCloseWindow = 4096;

    private enum Mode { Start, Lead, Text, Think, Tool }

    private readonly MarkupKind[] _textMarkers;
    private readonly int _orphanWindow;
    private readonly ILogger? _logger;
    private readonly ToolParameterTypes? _parameterTypes;

    private Mode _mode;
    private MarkupKind _region;
    private bool _skipWhitespace;
    // Start mode: first positions of </think> and <think> in the held text, and how far it was searched.
    private int _startClose = -1, _startOpen = -1, _startScanned;
    // Held-back characters: a partial marker (Text/Think), everything so far (Start) or leading whitespace (Lead).
    private readonly CharBuffer _carry = new();
    private readonly CharBuffer _work = new();
    private readonly CharBuffer _tool = new();

    public ContentDemultiplexer(bool parseThinkTags, bool parseToolMarkup)
        : this(parseThinkTags, parseToolMarkup, DefaultOrphanCloseWindow)
    {
    }

    /// <param name="orphanCloseWindow">How far into the content an orphan <c>&lt;/think&gt;</c> may start; 0 disables
    /// orphan detection (and the hold-back at the start it needs while streaming).</param>
    /// <param name="parameterTypes">The request's tool schemas: typed values for XML-style tool-call markup.</param>
    public ContentDemultiplexer(bool parseThinkTags, bool parseToolMarkup, int orphanCloseWindow, ILogger? logger = null, ToolParameterTypes? parameterTypes = null)
    {
        _parameterTypes = parameterTypes;
        _orphanWindow = Math.Max(0, orphanCloseWindow);
        _logger = logger;
        var markers = new List<MarkupKind>();
        if (parseThinkTags) markers.Add(MarkupKind.ThinkOpen);
        if (parseToolMarkup) markers.AddRange(ToolMarkup.ToolKinds);
        _textMarkers = [.. markers];
        _mode = !parseThinkTags ? Mode.Text : _orphanWindow > 0 ? Mode.Start : Mode.Lead;
    }

    /// <summary>The demultiplexer a model profile asks for: think tags and tool-call markup as the family writes them.</summary>
    public static ContentDemultiplexer For(ModelProfile profile, ILogger? logger, ToolParameterTypes? parameterTypes = null)
        => new(profile.ParseThinkTags, profile.ParseToolMarkup, profile.ParseThinkTags ? profile.OrphanThinkCloseWindow : 0, logger, parameterTypes);

    /// <summary>Nothing is being held back (all input so far reached the sink or a pending tool call).</summary>
    public bool IsIdle => _carry.Length == 0 && _mode != Mode.Tool;

    /// <summary>Content is held back at the start, waiting to see whether an orphan <c>&lt;/think&gt;</c> follows.</summary>
    public bool IsHoldingStart => _mode == Mode.Start && _carry.Length > 0;

    /// <summary>True when <see cref="Push"/> of this text (UTF-8) would hand all of it to <see cref="IContentSink.OnText"/>
    /// in one call and change no state: plain text mode, nothing held back, no whitespace to skip, and no character
    /// that could start a marker (every marker starts with an ASCII '&lt;'). The stream relay then copies the text's
    /// bytes without decoding them.</summary>
    public bool PassesThrough(ReadOnlySpan<byte> utf8)
        => _mode == Mode.Text && _carry.Length == 0 && !_skipWhitespace && (_textMarkers.Length == 0 || !utf8.Contains((byte)'<'));

    public void Push(ReadOnlySpan<char> content, IContentSink sink)
    {
        if (content.IsEmpty) return;
        if (_carry.Length == 0 || _mode is Mode.Start or Mode.Tool)
        {
            Scan(content, sink);
            return;
        }
        // A partial marker is pending: rescan it together with the new content.
        _work.Clear();
        _work.Append(_carry.Span);
        _work.Append(content);
        _carry.Clear();
        Scan(_work.Span, sink);
    }

    /// <summary>Stops orphan detection and releases whatever it held back: the server delivered thinking in a
    /// reasoning field (so content is not template-opened thinking), or the hold-back ran out of time.</summary>
    public void MarkOutputStarted(IContentSink sink)
    {
        if (_mode != Mode.Start) return;
        _mode = Mode.Text;
        ReleaseStart(sink, 0);
    }

    /// <summary>End of the content: releases held-back characters and parses an unterminated tool-call region.</summary>
    public void Complete(IContentSink sink)
    {
        if (_mode is Mode.Start or Mode.Lead)
        {
            _mode = Mode.Text;
            ReleaseStart(sink, 0);
        }
        if (_carry.Length > 0)
        {
            // A marker prefix that never completed is ordinary content.
            if (_mode == Mode.Think) sink.OnThinking(_carry.Span); else sink.OnText(_carry.Span);
            _carry.Clear();
        }
        if (_mode == Mode.Tool)
        {
            _mode = Mode.Text;
            FinishRegion(_tool.Span, sink, terminated: false);
            _tool.Clear();
        }
    }

    private void Scan(ReadOnlySpan<char> s, IContentSink sink)
    {
        while (!s.IsEmpty)
        {
            s = _mode switch
            {
                Mode.Start => ScanStart(s, sink),
                Mode.Lead => ScanLead(s, sink),
                Mode.Text => ScanText(s, sink),
                Mode.Think => ScanThink(s, sink),
                _ => ScanTool(s, sink),
            };
        }
    }

    /// <summary>Before any output: buffer until an orphan <c>&lt;/think&gt;</c> is found within the window, or a
    /// <c>&lt;think&gt;</c> comes first, or the window is passed. The decision depends only on the content, never on
    /// where chunks were cut.</summary>
    private ReadOnlySpan<char> ScanStart(ReadOnlySpan<char> s, IContentSink sink)
    {
        _carry.Append(s);
        var buf = _carry.Span;
        // Incremental: only the new characters (plus a tag's length of overlap) are searched on each push.
        var from = Math.Max(0, _startScanned - (ToolMarkup.ThinkClose.Length - 1));
        if (_startClose < 0 && buf[from..].IndexOf(ToolMarkup.ThinkClose, StringComparison.Ordinal) is var c and >= 0) _startClose = from + c;
        if (_startOpen < 0 && buf[from..].IndexOf(ToolMarkup.ThinkOpen, StringComparison.Ordinal) is var o and >= 0) _startOpen = from + o;
        _startScanned = buf.Length;
        var close = _startClose;
        var open = _startOpen;
        if (close >= 0 && close <= _orphanWindow && (open < 0 || close < open))
        {
            if (close > 0) sink.OnThinking(buf[..close]);
            _mode = Mode.Text;
            _skipWhitespace = true;
            ReleaseStart(sink, close + ToolMarkup.ThinkClose.Length);
        }
        else if (open >= 0 && (close < 0 || open < close))
        {
            // Layout whitespace before the opening tag would otherwise become an empty-looking text block.
            _mode = Mode.Text;
            ReleaseStart(sink, buf[..open].IsWhiteSpace() ? open : 0);
        }
        else if (buf.Length >= _orphanWindow + ToolMarkup.ThinkClose.Length)
        {
            _mode = Mode.Text;
            ReleaseStart(sink, 0);
        }
        return default;
    }

    private static readonly MarkupKind[] ThinkOpenMarker = [MarkupKind.ThinkOpen];

    /// <summary>
    /// Without orphan detection: whitespace at the very start is held until the first other character decides. Before
    /// an opening <c>&lt;think&gt;</c> it is template layout and dropped (else it would become a text block of its own
    /// ahead of the thinking); before anything else it is the model's text and goes out unchanged. Visible text is
    /// never held: only whitespace and a possible <c>&lt;think&gt;</c> prefix, as in text anyway.
    /// </summary>
    private ReadOnlySpan<char> ScanLead(ReadOnlySpan<char> s, IContentSink sink)
    {
        var held = _carry.Length > 0;
        if (held)
        {
            _carry.Append(s);
            s = _carry.Span;
        }
        var first = 0;
        while (first < s.Length && char.IsWhiteSpace(s[first])) first++;
        var match = first < s.Length ? Match(s[first..], ThinkOpenMarker, out _) : MatchResult.Partial;
        if (match == MatchResult.Partial)
        {
            if (!held) _carry.Append(s);
            return default;
        }
        _mode = Mode.Text;
        var from = match == MatchResult.Full ? first : 0;
        if (!held) return s[from..]; // the common case: a slice of the input, no copy
        ReleaseStart(sink, from);
        return default;
    }

    private void ReleaseStart(IContentSink sink, int from)
    {
        if (_carry.Length == 0) return;
        _work.Clear();
        _work.Append(_carry.Span[from..]);
        _carry.Clear();
        // Scanning _work may need _work again only through Push, which cannot happen re-entrantly.
        var rest = _work.Span.ToString();
        Scan(rest, sink);
    }

    private ReadOnlySpan<char> ScanText(ReadOnlySpan<char> s, IContentSink sink)
    {
        if (_skipWhitespace)
        {
            s = s.TrimStart();
            if (s.IsEmpty) return default;
            _skipWhitespace = false;
        }
        if (_textMarkers.Length == 0)
        {
            sink.OnText(s);
            return default;
        }
        var from = 0;
        while (true)
        {
            var rel = s[from..].IndexOfAny(ToolMarkup.MarkerStart);
            if (rel < 0)
            {
                sink.OnText(s);
                return default;
            }
            var i = from + rel;
            var match = Match(s[i..], _textMarkers, out var kind);
            if (match == MatchResult.None)
            {
                from = i + 1;
                continue;
            }
            if (i > 0) sink.OnText(s[..i]);
            if (match == MatchResult.Partial)
            {
                _carry.Append(s[i..]);
                return default;
            }
            var begin = ToolMarkup.Begin(kind);
            if (kind == MarkupKind.ThinkOpen)
            {
                _mode = Mode.Think;
                _skipWhitespace = true;
            }
            else
            {
                _mode = Mode.Tool;
                _region = kind;
                _tool.Clear();
            }
            return s[(i + begin.Length)..];
        }
    }

    private static readonly MarkupKind[] ThinkMarkers = [MarkupKind.ThinkClose];

    private ReadOnlySpan<char> ScanThink(ReadOnlySpan<char> s, IContentSink sink)
    {
        if (_skipWhitespace)
        {
            s = s.TrimStart('\n');
            if (s.IsEmpty) return default;
            _skipWhitespace = false;
        }
        var from = 0;
        while (true)
        {
            var rel = s[from..].IndexOfAny(ToolMarkup.MarkerStart);
            if (rel < 0)
            {
                sink.OnThinking(s);
                return default;
            }
            var i = from + rel;
            var match = Match(s[i..], ThinkMarkers, out _);
            if (match == MatchResult.None)
            {
                from = i + 1;
                continue;
            }
            if (i > 0) sink.OnThinking(s[..i]);
            if (match == MatchResult.Partial)
            {
                _carry.Append(s[i..]);
                return default;
            }
            _mode = Mode.Text;
            _skipWhitespace = true;
            return s[(i + ToolMarkup.ThinkClose.Length)..];
        }
    }

    private ReadOnlySpan<char> ScanTool(ReadOnlySpan<char> s, IContentSink sink)
    {
        var end = ToolMarkup.End(_region);
        var searchFrom = Math.Max(0, _tool.Length - end.Length + 1);
        _tool.Append(s);
        var rel = _tool.Span[searchFrom..].IndexOf(end, StringComparison.Ordinal);
        if (rel < 0) return default;
        var at = searchFrom + rel;
        var rest = _tool.Span[(at + end.Length)..].ToString();
        _mode = Mode.Text;
        _skipWhitespace = true;
        FinishRegion(_tool.Span[..at], sink, terminated: true);
        _tool.Clear();
        return rest;
    }

    private void FinishRegion(ReadOnlySpan<char> body, IContentSink sink, bool terminated)
    {
        if (ToolMarkupParser.Parse(_region, body, sink, _logger, _parameterTypes) > 0) return;
        // Not a tool call after all (or unparseable): the model's words are kept, never dropped.
        _skipWhitespace = false;
        sink.OnText(ToolMarkup.Begin(_region));
        sink.OnText(body);
        if (terminated) sink.OnText(ToolMarkup.End(_region));
    }

    private enum MatchResult { None, Partial, Full }

    private static MatchResult Match(ReadOnlySpan<char> s, MarkupKind[] kinds, out MarkupKind kind)
    {
        var partial = false;
        foreach (var k in kinds)
        {
            var marker = ToolMarkup.Begin(k);
            if (s.Length >= marker.Length)
            {
                if (s.StartsWith(marker, StringComparison.Ordinal))
                {
                    kind = k;
                    return MatchResult.Full;
                }
            }
            else if (marker.AsSpan().StartsWith(s, StringComparison.Ordinal))
            {
                partial = true;
            }
        }
        kind = MarkupKind.None;
        return partial ? MatchResult.Partial : MatchResult.None;
    }
}
