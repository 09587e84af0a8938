using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using FunctionsProxy.Configuration;
using FunctionsProxy.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Security;

/// <summary>
/// The one place secrets are removed from text that leaves the process: every error message a client sees
/// (<see cref="AnthropicErrorWriter"/>, the SSE <c>error</c> event) and every log line that can carry backend text
/// (<see cref="ScrubbedText"/> is the only type those log methods accept). Scrubbing happens before truncation, so a
/// key right after a long message is removed rather than cut in half.
/// </summary>
/// <remarks>
/// Known secrets: the configured backend and admin keys, the Key Vault values as they are read, and proxy keys that
/// authenticated (bounded). The credential of the current request is added per call and not remembered: in forward mode it is
/// whatever the caller sent, and remembering attacker-chosen strings would let anyone blank out words in other
/// people's answers. Besides the exact value, each secret is looked for JSON- and URL-escaped, by its last
/// <see cref="TailLength"/> characters (the rest of the word around them goes too), and in masks that keep a few of its
/// characters (<c>sk-…****1234</c>, <c>abcdef12****</c>). Runs on error paths only, never per stream chunk.
/// </remarks>
public sealed class SecretScrubber : IErrorMessageScrubber
{
    public const string Redacted = "[redacted]";

    /// <summary>Longest error message a client gets; longer ones end in "…".</summary>
    public const int MaxMessageChars = 1000;

    /// <summary>Exception text in a log line: long enough for a stack trace, scrubbed like every other line.</summary>
    public const int MaxLoggedDetailChars = 8000;

    /// <summary>Shorter values are not treated as secrets (too likely to occur in ordinary text).</summary>
    private const int MinSecretLength = 8;

    /// <summary>Secrets at least this long are also found by their last <see cref="TailLength"/> characters.</summary>
    private const int PartialFormsMinLength = 12;

    private const int TailLength = 6;
    private const int MaskedEndMinLength = 4;
    private const int MaskedStartMinLength = 6;
    private const int MaxRemembered = 256;
    private const int ScanMargin = 1024;

    private static readonly SecretScrubber Fallback = new();

    private readonly ConcurrentDictionary<string, byte> _members = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private SecretForms[] _held = [];
    private SecretForms[] _seen = [];

    public SecretScrubber(IOptions<ProxyOptions> proxyOptions, IOptions<KnownSecretsOptions> knownSecrets)
    {
        Remember(proxyOptions.Value.ApiKey);
        foreach (var secret in knownSecrets.Value.Secrets) Remember(secret);
    }

    private SecretScrubber()
    {
    }

    /// <summary>The host's scrubber, or one that knows no stored secret (still removes the request's credential).</summary>
    public static SecretScrubber From(HttpContext context) => context.RequestServices?.GetService<SecretScrubber>() ?? Fallback;

    /// <summary>Adds a secret the server holds (backend key, admin key, their Key Vault values). Kept for the
    /// process lifetime, so a rotated-out value is still scrubbed.</summary>
    public void Remember(string? secret) => Add(secret, bounded: false);

    /// <summary>Adds a proxy key that authenticated. Cheap when already known (called per request); at most
    /// <see cref="MaxRemembered"/> are kept, the oldest dropped first.</summary>
    public void RememberProxyKey(string? secret) => Add(secret, bounded: true);

    private void Add(string? secret, bool bounded)
    {
        if (secret is null || secret.Length < MinSecretLength || _members.ContainsKey(secret)) return;
        lock (_gate)
        {
            if (!_members.TryAdd(secret, 0)) return;
            ref var target = ref bounded ? ref _seen : ref _held;
            var current = target;
            var drop = bounded && current.Length >= MaxRemembered ? 1 : 0;
            if (drop == 1) _members.TryRemove(current[0].Value, out _);
            var next = new SecretForms[current.Length - drop + 1];
            Array.Copy(current, drop, next, 0, current.Length - drop);
            next[^1] = new SecretForms(secret);
            Volatile.Write(ref target, next);
        }
    }

    /// <summary>Removes every known secret (and <paramref name="requestSecret"/>), then cuts to <paramref name="maxChars"/>.</summary>
    public ScrubbedText Scrub(string? text, string? requestSecret = null, int maxChars = MaxMessageChars)
    {
        if (string.IsNullOrEmpty(text)) return new ScrubbedText("");
        // Text past the limit never leaves, so it is not searched; the margin keeps a secret that straddles the limit whole.
        var cut = text.Length > maxChars + ScanMargin;
        var result = cut ? text[..(maxChars + ScanMargin)] : text;
        foreach (var secret in Volatile.Read(ref _held)) result = secret.RemoveFrom(result);
        foreach (var secret in Volatile.Read(ref _seen)) result = secret.RemoveFrom(result);
        if (requestSecret is { Length: >= MinSecretLength } && !_members.ContainsKey(requestSecret))
            result = new SecretForms(requestSecret).RemoveFrom(result);
        // Idempotent: a text cut once is not cut again (the ellipsis counts toward the limit).
        if (cut || result.Length > maxChars) result = string.Concat(result.AsSpan(0, Math.Min(result.Length, maxChars - 1)), "…");
        return new ScrubbedText(result);
    }

    /// <summary>Scrubs with the credential the request presented.</summary>
    public ScrubbedText Scrub(string? text, HttpContext context, int maxChars = MaxMessageChars)
        => Scrub(text, InboundCredential.Read(context.Request), maxChars);

    public ProxyError Scrub(ProxyError error, HttpContext context)
        => Scrub(error.Message, context).Value is var message && ReferenceEquals(message, error.Message) ? error : error with { Message = message };

    /// <summary>One secret and the forms it may take in backend text.</summary>
    private sealed class SecretForms
    {
        private readonly string[] _literals;
        private readonly string? _tail;

        public SecretForms(string value)
        {
            Value = value;
            var forms = new List<string>(4) { value };
            foreach (var form in new[]
                     {
                         JsonEncodedText.Encode(value).ToString(),
                         JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
                         value.Replace("/", "\\/", StringComparison.Ordinal),
                         Uri.EscapeDataString(value),
                     })
            {
                if (!forms.Contains(form)) forms.Add(form);
            }
            _literals = [.. forms];
            _tail = value.Length >= PartialFormsMinLength ? value[^TailLength..] : null;
        }

        public string Value { get; }

        public string RemoveFrom(string text)
        {
            foreach (var literal in _literals)
                if (text.Contains(literal, StringComparison.Ordinal)) text = text.Replace(literal, Redacted, StringComparison.Ordinal);
            if (_tail is null) return text;
            text = RemoveTailWords(text, _tail);
            return RemoveMasks(text);
        }

        /// <summary>Any word that contains the secret's last characters (<c>…a1b2c3</c>, <c>key=xxxxa1b2c3</c>).</summary>
        private static string RemoveTailWords(string text, string tail)
        {
            var at = text.IndexOf(tail, StringComparison.Ordinal);
            while (at >= 0)
            {
                var start = at;
                while (start > 0 && !IsBoundary(text[start - 1])) start--;
                var end = at + tail.Length;
                while (end < text.Length && !IsBoundary(text[end])) end++;
                text = string.Concat(text.AsSpan(0, start), Redacted, text.AsSpan(end));
                at = text.IndexOf(tail, start + Redacted.Length, StringComparison.Ordinal);
            }
            return text;
        }

        /// <summary>A run of mask characters with the secret's end after it (<c>sk-…****1234</c>) or its start before it
        /// (<c>cpk_live_ab****</c>).</summary>
        private string RemoveMasks(string text)
        {
            for (var i = 0; i < text.Length; i++)
            {
                // Jump to the next candidate (vectorised): most messages have no mask character at all.
                var next = text.AsSpan(i).IndexOfAny(MaskStarts);
                if (next < 0) break;
                i += next;
                if (!StartsMask(text, i)) continue;
                var maskEnd = i;
                while (maskEnd < text.Length && (IsMaskChar(text[maskEnd]) || text[maskEnd] == '.')) maskEnd++;
                var before = i;
                while (before > 0 && IsKeyChar(text[before - 1])) before--;
                var after = maskEnd;
                while (after < text.Length && IsKeyChar(text[after])) after++;
                var head = text.AsSpan(before, i - before);
                var end = text.AsSpan(maskEnd, after - maskEnd);
                if ((end.Length >= MaskedEndMinLength && Value.AsSpan().EndsWith(end, StringComparison.Ordinal))
                    || (head.Length >= MaskedStartMinLength && Value.AsSpan().StartsWith(head, StringComparison.Ordinal)))
                {
                    text = string.Concat(text.AsSpan(0, before), Redacted, text.AsSpan(after));
                    i = before + Redacted.Length - 1;
                }
                else
                {
                    i = maskEnd - 1;
                }
            }
            return text;
        }

        private static bool StartsMask(string text, int i)
            => text[i] is '…' or '•'
               || (text[i] == '*' && i + 1 < text.Length && text[i + 1] == '*')
               || (text[i] == '.' && text.AsSpan(i).StartsWith("..."));

        private static readonly SearchValues<char> MaskStarts = SearchValues.Create("*…•.");

        private static bool IsMaskChar(char c) => c is '*' or '…' or '•';

        private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

        private static bool IsBoundary(char c) => char.IsWhiteSpace(c) || c is '"' or '\'' or '`' or ',' or ';' or ':' or '(' or ')' or '[' or ']' or '{' or '}' or '<' or '>' or '|' or '\\';
    }
}

/// <summary>Text that went through <see cref="SecretScrubber"/>; the only form in which backend text reaches a log line.</summary>
public readonly struct ScrubbedText
{
    private readonly string? _value;

    internal ScrubbedText(string value) => _value = value;

    public string Value => _value ?? "";

    public override string ToString() => Value;
}
