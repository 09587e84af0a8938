using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.Errors;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.OpenAi;
using FunctionsProxy.Upstream;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Translation;

/// <summary>
/// OpenAI answer (a whole <c>message</c> or stream <c>delta</c>s) → Anthropic content blocks, as events on a sink.
/// One block is open at a time and indices only grow: thinking, then text; tool calls are buffered per index and
/// emitted whole at the finish (so parallel calls never overlap, late names/ids are not lost, and arguments can be
/// validated before the client sees them).
/// </summary>
public sealed class MessageAssembler : IContentSink
{
    private readonly IAnthropicEventSink _sink;
    private readonly string _model;
    private readonly IToolNameMapper _toolNames;
    private readonly JsonElement? _stopSequences;
    private readonly long _inputEstimate;
    private readonly ILogger? _logger;
    private readonly ContentDemultiplexer _content;
    private int _markupCalls;

    private readonly List<PendingToolCall> _toolCalls = [];
    private int _nextIndex;
    private int _openIndex = -1;
    private BlockKind _openKind;
    private IncrementalHash? _thinkingHash;
    private bool _started, _stopped;
    private int _toolBlocks;
    private long _outputChars;
    // Blanks that would open a text block, held until text follows: backends send "\n\n" before their tool calls
    // (and "\n<tool_call>" in markup), which would otherwise be a whitespace-only text block before the tool_use.
    // Anthropic never answers with one, and refuses one in a request's history. At most MaxHeldBlanks: a longer run
    // is content (and the client should see it).
    private StringBuilder? _heldBlanks;
    private const int MaxHeldBlanks = 256;
    private string? _finishReason;
    private string? _matchedStop;
    private ChatUsage? _usage;

    /// <param name="tools">The request's tools: their schemas type the values of XML-style tool-call markup.</param>
    /// <param name="wholeAnswer">The backend's answer is read whole before anything is written (a JSON answer): an
    /// orphan <c>&lt;/think&gt;</c> is then looked for through all of it, as holding text back costs no latency.</param>
    public MessageAssembler(IAnthropicEventSink sink, string requestedModel, IToolNameMapper toolNames, JsonElement? stopSequences, long inputEstimate,
        ILogger? logger = null, ModelProfile? profile = null, JsonElement? tools = null, bool wholeAnswer = false)
    {
        profile ??= ModelProfile.Default;
        if (wholeAnswer && profile.ParseThinkTags) profile = profile with { OrphanThinkCloseWindow = WholeAnswerWindow };
        _content = ContentDemultiplexer.For(profile, logger, tools is null ? null : new ToolParameterTypes(tools, toolNames));
        _sink = sink;
        _model = requestedModel;
        _toolNames = toolNames;
        _stopSequences = stopSequences;
        _inputEstimate = Math.Max(1, inputEstimate);
        _logger = logger;
    }

    /// <summary>Orphan <c>&lt;/think&gt;</c> reach for a whole answer: all of it.</summary>
    private const int WholeAnswerWindow = int.MaxValue / 2;

    public string MessageId { get; private set; } = NewMessageId();

    /// <summary>Continues a message whose <c>message_start</c> is already out (<see cref="WriteStart"/>: the stream
    /// was committed while the backend was still silent) instead of starting one.</summary>
    public void ContinueStarted(string messageId)
    {
        if (_started) throw new InvalidOperationException("The message has already started.");
        MessageId = messageId;
        _started = true;
    }

    /// <summary>Text held back at the start of the content to catch an orphan <c>&lt;/think&gt;</c>.</summary>
    public bool HoldsStartText => _content.IsHoldingStart;

    /// <summary>The backend sent a <c>finish_reason</c>: with <c>[DONE]</c> one of the two signs of a complete answer.</summary>
    public bool SawFinish => _finishReason is not null;

    /// <summary>Final usage as reported to the client (valid after <see cref="Complete"/>).</summary>
    public UsageTotals Usage => ComputeUsage();

    public void Start()
    {
        if (_started) return;
        _started = true;
        WriteStart(_sink, MessageId, _model, _inputEstimate);
    }

    public static string NewMessageId() => "msg_" + AnthropicErrorWriter.RandomId(24);

    /// <summary>The <c>message_start</c> of a message: the client's model id, the input estimate until the backend
    /// reports usage.</summary>
    public static void WriteStart(IAnthropicEventSink sink, string messageId, string requestedModel, long inputEstimate)
        => sink.MessageStart(messageId, requestedModel, new UsageTotals(Math.Max(1, inputEstimate), 1, 0));

    /// <summary>Gives up waiting for an orphan <c>&lt;/think&gt;</c>: text held back for it goes out now (the time
    /// bound of the hold-back, decided by the caller's clock).</summary>
    public void ReleaseHeldText() => _content.MarkOutputStarted(this);

    /// <summary>Feeds one upstream object: a full completion or a stream chunk.</summary>
    public void Accept(ChatCompletion completion)
    {
        Start();
        if (completion.Text is { } text)
        {
            AcceptText(text);
            return;
        }
        if (UpstreamErrorMapper.FromCompletion(completion) is { } error) throw new ProxyErrorException(error);
        if (completion.Choices is { Count: > 0 } choices)
        {
            // n > 1 is not an Anthropic concept: choice 0 is the answer.
            var choice = choices[0];
            if ((choice.Delta ?? choice.Message) is { } m) AcceptMessage(m);
            if (choice.FinishReason is { } finish) Finish(finish, choice.StopReason);
        }
        if (completion.Usage is { } usage) _usage = usage;
    }

    private void AcceptMessage(ChatMessage m)
    {
        if ((m.Reasoning ?? m.ReasoningContent) is { Length: > 0 } reasoning)
        {
            // A server that parses reasoning itself does not leave an orphan </think> in content.
            _content.MarkOutputStarted(this);
            OnThinking(reasoning);
        }
        // families: <think> tags and tool-call markup inside content are split out here.
        if (m.Content is { Length: > 0 } content) _content.Push(content, this);
        if (m.ToolCalls is { Count: > 0 } calls)
        {
            for (var i = 0; i < calls.Count; i++) OnToolCallDelta(calls[i], i);
        }
    }

    /// <summary>
    /// A text-only delta recognised from the stream's bytes: the same events as <see cref="AcceptMessage"/> would emit
    /// for it, but text that goes straight out (no markup to parse, nothing held back) is copied as UTF-8 into the
    /// SSE frame without becoming a string. Reasoning is still decoded to UTF-16 on the stack or a pooled buffer,
    /// because the thinking signature hashes the UTF-16 text.
    /// </summary>
    private void AcceptText(TextDelta delta)
    {
        var utf8 = delta.Utf8;
        if (utf8.IsEmpty) return;
        var sse = _sink as SseEventSink;
        if (!delta.IsReasoning && sse is not null && _content.PassesThrough(utf8))
        {
            if (TryHoldBlanks(utf8)) return;
            OpenText();
            _outputChars += Encoding.UTF8.GetCharCount(utf8);
            sse.TextDelta(_openIndex, utf8);
            return;
        }
        char[]? rented = null;
        var chars = utf8.Length <= 512 ? stackalloc char[512] : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        try
        {
            chars = chars[..Encoding.UTF8.GetChars(utf8, chars)];
            if (!delta.IsReasoning)
            {
                _content.Push(chars, this);
                return;
            }
            _content.MarkOutputStarted(this);
            OpenThinking();
            _outputChars += chars.Length;
            _thinkingHash!.AppendData(MemoryMarshalBytes(chars));
            if (sse is not null) sse.ThinkingDelta(_openIndex, utf8); else _sink.ThinkingDelta(_openIndex, chars);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    void IContentSink.OnText(ReadOnlySpan<char> text) => OnText(text);
    void IContentSink.OnThinking(ReadOnlySpan<char> text) => OnThinking(text);
    void IContentSink.OnToolCall(string? id, string name, string arguments) => AddToolCall(id, name, arguments);

    private void OnThinking(ReadOnlySpan<char> text)
    {
        OpenThinking();
        _outputChars += text.Length;
        _thinkingHash!.AppendData(MemoryMarshalBytes(text));
        _sink.ThinkingDelta(_openIndex, text);
    }

    private void OpenThinking()
    {
        if (_openKind != BlockKind.Thinking || _openIndex < 0)
        {
            CloseOpenBlock();
            Open(BlockKind.Thinking, null, null);
            _thinkingHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }
    }

    private void OnText(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || TryHoldBlanks(text)) return;
        OpenText();
        _outputChars += text.Length;
        _sink.TextDelta(_openIndex, text);
    }

    private bool IsTextOpen => _openKind == BlockKind.Text && _openIndex >= 0;

    /// <summary>Opens a text block unless one is open, starting it with the whitespace held for it.</summary>
    private void OpenText()
    {
        if (IsTextOpen) return;
        CloseOpenBlock();
        Open(BlockKind.Text, null, null);
        if (_heldBlanks is { Length: > 0 })
        {
            var held = _heldBlanks.ToString();
            _heldBlanks.Clear();
            _outputChars += held.Length;
            _sink.TextDelta(_openIndex, held);
        }
    }

    /// <summary>Holds <paramref name="text"/> when it would open a text block with blanks only (JSON's four: space,
    /// tab, CR, LF).</summary>
    private bool TryHoldBlanks(ReadOnlySpan<char> text)
    {
        if (IsTextOpen || text.IndexOfAnyExcept(" \t\r\n") >= 0 || (_heldBlanks?.Length ?? 0) + text.Length > MaxHeldBlanks) return false;
        (_heldBlanks ??= new StringBuilder()).Append(text);
        return true;
    }

    /// <summary>The same for UTF-8 text: blanks are ASCII, so the bytes are widened one to one (any other byte stays
    /// something that is not a blank) and the one test above decides for both paths.</summary>
    private bool TryHoldBlanks(ReadOnlySpan<byte> utf8)
    {
        if (IsTextOpen || utf8.Length > MaxHeldBlanks) return false;
        Span<char> chars = stackalloc char[utf8.Length];
        Encoding.Latin1.GetChars(utf8, chars);
        return TryHoldBlanks(chars);
    }

    private void OnToolCallDelta(ChatToolCall delta, int position)
    {
        var index = delta.Index ?? position;
        PendingToolCall? call = null;
        foreach (var c in _toolCalls)
            if (c.Index == index && !c.Emitted) { call = c; break; }
        if (call is null) _toolCalls.Add(call = new PendingToolCall(index));
        // Some parsers repeat the id on every delta, some send it late: the first non-empty one wins.
        if (string.IsNullOrEmpty(call.Id) && !string.IsNullOrEmpty(delta.Id)) call.Id = delta.Id;
        if (delta.Function is { } f)
        {
            if (!string.IsNullOrEmpty(f.Name)) call.Name = f.Name;
            if (f.Arguments is { Length: > 0 } args) call.Arguments.Append(args);
        }
    }

    /// <summary>Adds a complete tool call found outside <c>tool_calls</c> (e.g. markup in text).</summary>
    public void AddToolCall(string? id, string name, string arguments)
    {
        // After every tool_calls index, in the order written.
        var call = new PendingToolCall(int.MaxValue / 2 + _markupCalls++) { Id = id, Name = name };
        call.Arguments.Append(arguments);
        _toolCalls.Add(call);
    }

    private void Finish(string finishReason, JsonElement? stopReason)
    {
        _finishReason = finishReason;
        if (stopReason is { ValueKind: JsonValueKind.String } s && _stopSequences is { } seqs)
        {
            foreach (var seq in seqs.EnumerateArray())
                if (seq.ValueKind == JsonValueKind.String && s.ValueEquals(seq.GetString())) { _matchedStop = seq.GetString(); break; }
        }
        _content.Complete(this);
        EmitToolCalls();
    }

    /// <summary>Ends the message: closes blocks, emits buffered tool calls, <c>message_delta</c>, <c>message_stop</c>.</summary>
    public void Complete()
    {
        if (_stopped) return;
        Start();
        _content.Complete(this);
        EmitToolCalls();
        // Blanks no tool call followed are text as the backend sent them (an answer of blanks stays one, never an
        // empty message).
        if (_heldBlanks is { Length: > 0 }) OpenText();
        CloseOpenBlock();
        _stopped = true;
        _sink.MessageDelta(StopReason(), _matchedStop is not null && _toolBlocks == 0 ? _matchedStop : null, ComputeUsage());
        _sink.MessageStop();
    }

    private string StopReason()
    {
        if (_toolBlocks > 0) return "tool_use";
        return _finishReason switch
        {
            "stop" when _matchedStop is not null => "stop_sequence",
            "length" => "max_tokens",
            "content_filter" => "refusal",
            _ => "end_turn",
        };
    }

    private UsageTotals ComputeUsage()
    {
        if (_usage is { } u && (u.PromptTokens > 0 || u.CompletionTokens > 0))
        {
            var cached = Math.Min(u.PromptTokensDetails?.CachedTokens ?? 0, u.PromptTokens);
            return new UsageTotals(u.PromptTokens - cached, u.CompletionTokens, cached);
        }
        // No usage from the backend: estimates, never nulls (Claude Code's context meter reads these).
        return new UsageTotals(_inputEstimate, Math.Max(_outputChars > 0 ? 1 : 0, (_outputChars + 3) / 4), 0);
    }

    private void EmitToolCalls()
    {
        if (_toolCalls.Count == 0) return;
        _toolCalls.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        foreach (var call in _toolCalls)
        {
            if (call.Emitted) continue;
            call.Emitted = true;
            if (string.IsNullOrEmpty(call.Name))
            {
                if (_logger is not null) ProxyLog.ToolCallWithoutName(_logger, call.Arguments.Length);
                continue;
            }
            var raw = call.Arguments.ToString();
            // Cut off by max_tokens mid-arguments: not a call the client may run (a half path, a half command).
            // The answer ends as max_tokens without it, as Anthropic's does when the limit interrupts a tool call.
            if (_finishReason == "length" && ToolArguments.TryRepair(raw) is null)
            {
                if (_logger is not null) ProxyLog.ToolCallCutOff(_logger, raw.Length);
                continue;
            }
            CloseOpenBlock();
            var arguments = ToolArguments.Normalize(raw, _logger);
            var index = Open(BlockKind.ToolUse, ToolIdCodec.ToAnthropic(call.Id), _toolNames.ToClient(call.Name));
            _sink.InputJsonDelta(index, arguments);
            _outputChars += arguments.Length;
            _sink.BlockStop(index);
            _openIndex = -1;
            _toolBlocks++;
        }
    }

    private int Open(BlockKind kind, string? id, string? name)
    {
        if (kind != BlockKind.Text) _heldBlanks?.Clear(); // blanks between blocks are no text of their own
        var index = _nextIndex++;
        _openIndex = index;
        _openKind = kind;
        _sink.BlockStart(index, kind, id, name);
        return index;
    }

    private void CloseOpenBlock()
    {
        if (_openIndex < 0) return;
        if (_openKind == BlockKind.Thinking)
        {
            // Clients keep only signed thinking in history; the signature is an opaque digest of the text.
            _sink.SignatureDelta(_openIndex, ThinkingSignature.FromHash(_thinkingHash));
            _thinkingHash?.Dispose();
            _thinkingHash = null;
        }
        _sink.BlockStop(_openIndex);
        _openIndex = -1;
    }

    private static ReadOnlySpan<byte> MemoryMarshalBytes(ReadOnlySpan<char> text) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(text);

    private sealed class PendingToolCall(int index)
    {
        public int Index { get; } = index;
        public string? Id { get; set; }
        public string? Name { get; set; }
        public StringBuilder Arguments { get; } = new();
        public bool Emitted { get; set; }
    }
}

/// <summary>The proxy's opaque thinking signature: <c>fp1.</c> + base64url SHA-256 of the thinking text.</summary>
public static class ThinkingSignature
{
    public const string Prefix = "fp1.";

    internal static string FromHash(IncrementalHash? hash)
    {
        Span<byte> digest = stackalloc byte[32];
        if (hash is null || !hash.TryGetHashAndReset(digest, out _)) digest.Clear();
        return Prefix + Convert.ToBase64String(digest).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
