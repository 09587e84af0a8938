using System.Text;
using System.Text.Json;
using FunctionsProxy.Errors;
using FunctionsProxy.OpenAi;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Upstream;

/// <summary>
/// Backend failures → Anthropic errors that keep their meaning: the status class decides the type,
/// context-length 400s say "prompt is too long" (Claude Code keys on it), 5xx gateways become retryable overloads.
/// The backend URL is never named. Messages are returned whole (the body is read up to 64 KB): the error writer scrubs
/// secrets first and shortens after (<see cref="Security.SecretScrubber"/>), so a key is never half-cut past the limit.
/// </summary>
public static class UpstreamErrorMapper
{
    private const int MaxBodyBytes = 64 * 1024;

    public static async Task<ProxyError> MapAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var message = await ReadMessageAsync(response, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var retryAfter = RetryAfterSeconds(response);
        return status switch
        {
            400 or 422 when IsContextLength(message) => ProxyError.InvalidRequest("prompt is too long: " + message),
            400 or 422 => ProxyError.InvalidRequest(Or(message, "The backend rejected the request.")),
            401 => ProxyError.Authentication("The backend rejected the proxy's credential (HTTP 401). " + message),
            // The backend account's credit or plan (Chutes answers 402 when the balance runs out): every model of the
            // backend would refuse the same way, and Anthropic's clients show billing_error as such.
            402 => ProxyError.Billing("The backend refused the request for its account's billing (HTTP 402). " + message),
            403 => ProxyError.Permission("The backend refused access with the proxy's credential (HTTP 403). " + message),
            404 => ProxyError.NotFound(Or(message, "The backend does not know this model or route.")),
            // The backend gave up waiting: retryable, unlike the 400 an unknown 4xx becomes.
            408 => ProxyError.Timeout(Or(message, "The backend timed out (HTTP 408).")),
            413 => ProxyError.TooLarge(Or(message, "The request is too large for the backend.")),
            429 => ProxyError.RateLimited(Or(message, "The backend is rate limiting requests."), retryAfter ?? "1"),
            502 or 503 or 504 => ProxyError.Overloaded($"The backend is unavailable (HTTP {status}). {message}".TrimEnd()) with { RetryAfter = retryAfter },
            >= 500 => ProxyError.Api(Or(message, $"The backend failed (HTTP {status}).")),
            _ => ProxyError.InvalidRequest(Or(message, $"The backend rejected the request (HTTP {status})."))
        };
    }

    /// <summary>The error a completion object reports instead of an answer, or null for a normal answer or chunk: an
    /// <c>error</c> member (OpenAI, most servers, also as <c>event: error</c>), or the whole object being an error
    /// (vLLM's <c>{"object":"error","message",…}</c>, FastAPI's <c>{"detail":…}</c>) sent with HTTP 200.</summary>
    public static ProxyError? FromCompletion(ChatCompletion completion)
    {
        if (completion.Error is { } error) return FromErrorObject(error);
        if (!completion.ObjectIsError && (completion.Choices is not null || (completion.Message is null && completion.Detail is null))) return null;
        var message = Text(completion.Message) ?? Text(completion.Detail) ?? "The backend reported an error instead of an answer.";
        return FromReported(message, Text(completion.Type), completion.Code);
    }

    /// <summary>An <c>error</c> object inside a 200 answer or stream (<c>{"message","type","code"}</c>, or a string).</summary>
    public static ProxyError FromErrorObject(JsonElement error)
    {
        if (error.ValueKind != JsonValueKind.Object) return FromReported(Text(error) ?? "The backend reported an error.", null, null);
        var message = error.TryGetProperty("message"u8, out var m) ? Text(m) : null;
        var type = error.TryGetProperty("type"u8, out var t) ? Text(t) : null;
        JsonElement? code = error.TryGetProperty("code"u8, out var c) ? c : error.TryGetProperty("status"u8, out var st) ? st : null;
        return FromReported(message ?? "The backend reported an error.", type, code);
    }

    /// <summary>The backend said "error" with HTTP 200: the same table as for a real status, where one can be found.</summary>
    /// <remarks>
    /// The status is the reported <c>code</c> when it is an HTTP status, else read from the type/code/message words.
    /// Chosen for what clients do next: an auth failure becomes 401 <c>authentication_error</c>, because Claude Code
    /// stops on 401 and shows the message, while any 5xx/529 makes it (and the SDKs) retry up to ten times with a key
    /// that will not start working; rate limits stay 429 and overloads 529 (retried, which is right for them); an error
    /// of no known kind is 502 <c>api_error</c>: the backend failed to produce an answer and the proxy is the gateway,
    /// so a retry may help, and it is never a 200 with <c>end_turn</c> nor a 500 blaming the proxy.
    /// </remarks>
    private static ProxyError FromReported(string message, string? type, JsonElement? code)
    {
        var status = code is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var ni) && ni is >= 400 and < 600 ? ni
            : code is { ValueKind: JsonValueKind.String } s && int.TryParse(s.GetString(), out var si) && si is >= 400 and < 600 ? si
            : Classify(type, code is { ValueKind: JsonValueKind.String } cs ? cs.GetString() : null, message);
        if (IsContextLength(message)) return ProxyError.InvalidRequest("prompt is too long: " + message);
        return status switch
        {
            400 or 422 => ProxyError.InvalidRequest(message),
            401 => ProxyError.Authentication("The backend rejected the proxy's credential. " + message),
            402 => ProxyError.Billing("The backend refused the request for its account's billing. " + message),
            403 => ProxyError.Permission("The backend refused access with the proxy's credential. " + message),
            404 => ProxyError.NotFound(message),
            408 => ProxyError.Timeout(message),
            413 => ProxyError.TooLarge(message),
            429 => ProxyError.RateLimited(message, "1"),
            502 or 503 or 504 or 529 => ProxyError.Overloaded(message),
            _ => ProxyError.Api(message, StatusCodes.Status502BadGateway),
        };
    }

    /// <summary>A status for an error that carries none, from the words servers use in <c>type</c>, <c>code</c> and
    /// the message (OpenAI's <c>invalid_api_key</c>, vLLM's <c>BadRequestError</c>, "Invalid token", …); 0 when none fit.</summary>
    private static int Classify(string? type, string? code, string message)
    {
        var words = string.Concat(type, " ", code, " ", message).ToLowerInvariant();
        if (ContainsAny(words, "authenticat", "unauthori", "authoriz", "invalid_api_key", "invalid api key", "invalid token", "invalid_token",
                "api key", "api_key", "expired token", "token expired", "invalid credentials"))
        {
            return 401;
        }

        if (ContainsAny(words, "permission", "forbidden")) return 403;
        if (ContainsAny(words, "rate_limit", "ratelimit", "rate limit", "too many requests", "too_many_requests")) return 429;
        if (ContainsAny(words, "overload", "unavailable", "no instances", "capacity", "try again later")) return 503;
        if (ContainsAny(words, "not_found", "notfound", "not found", "does not exist")) return 404;
        if (ContainsAny(words, "badrequest", "bad_request", "bad request", "invalid_request", "validation")) return 400;
        return 0;
    }

    private static bool ContainsAny(string text, params ReadOnlySpan<string> words)
    {
        foreach (var word in words)
            if (text.Contains(word, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>A stream that ended with neither a <c>finish_reason</c> nor <c>[DONE]</c>, or a whole answer without
    /// choices: the answer is not complete, so it is not passed on as one.</summary>
    public static ProxyError Truncated()
        => ProxyError.Api("The backend's answer ended before it was complete (the stream stopped without a finish reason).", StatusCodes.Status502BadGateway);

    public static ProxyError NoChoices()
        => ProxyError.Api("The backend's answer holds no choices.", StatusCodes.Status502BadGateway);

    internal static bool IsContextLength(string message)
        => message.Contains("maximum context length", StringComparison.OrdinalIgnoreCase)
           || message.Contains("context length", StringComparison.OrdinalIgnoreCase)
           || message.Contains("input length and max_tokens exceed", StringComparison.OrdinalIgnoreCase)
           || message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
           || message.Contains("too many tokens", StringComparison.OrdinalIgnoreCase);

    private static string? RetryAfterSeconds(HttpResponseMessage response)
    {
        var ra = response.Headers.RetryAfter;
        if (ra?.Delta is { } delta) return Math.Max(0, (int)Math.Ceiling(delta.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (ra?.Date is { } date) return Math.Max(0, (int)Math.Ceiling((date - DateTimeOffset.UtcNow).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return null;
    }

    private static async Task<string> ReadMessageAsync(HttpResponseMessage response, CancellationToken ct)
    {
        byte[] body;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            await using var streamLifetime = stream.ConfigureAwait(false);
            var buffer = new byte[MaxBodyBytes];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct).ConfigureAwait(false)) > 0) read += n;
            body = buffer.AsSpan(0, read).ToArray();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return "";
        }
        if (body.Length == 0) return "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            return ExtractMessage(doc.RootElement) ?? "";
        }
        catch (JsonException)
        {
            // HTML error pages and other non-JSON bodies: no markup or stack traces to the client.
            var text = Encoding.UTF8.GetString(body);
            return text.TrimStart().StartsWith('<') ? "" : text.Trim();
        }
    }

    private static string? ExtractMessage(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.String) return root.GetString();
        if (root.ValueKind != JsonValueKind.Object) return null;
        if (root.TryGetProperty("error"u8, out var error))
        {
            if (error.ValueKind == JsonValueKind.String) return error.GetString();
            if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message"u8, out var em) && em.ValueKind == JsonValueKind.String) return em.GetString();
        }
        if (root.TryGetProperty("message"u8, out var m) && m.ValueKind == JsonValueKind.String) return m.GetString();
        if (root.TryGetProperty("detail"u8, out var d))
        {
            if (d.ValueKind == JsonValueKind.String) return d.GetString();
            return d.GetRawText();
        }
        return null;
    }

    private static string? Text(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { ValueKind: JsonValueKind.Object or JsonValueKind.Array } v => v.GetRawText(),
        _ => null,
    };

    private static string Or(string message, string fallback) => string.IsNullOrWhiteSpace(message) ? fallback : message;
}
