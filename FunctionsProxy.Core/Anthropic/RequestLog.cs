using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Anthropic;

/// <summary>Log messages of request validation. Metadata only: block type names and field paths, never content.</summary>
internal static partial class RequestLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Dropped content blocks of types the proxy does not know: {BlockTypes} (first at {Path})")]
    public static partial void UnknownBlocksDropped(ILogger logger, string blockTypes, string path);

    /// <summary>A client-chosen type name made safe for a log line: at most 40 characters of <c>[A-Za-z0-9_.-]</c>,
    /// others as <c>?</c> (no line breaks or control characters from the request reach the log).</summary>
    public static string SafeName(string name)
    {
        var length = Math.Min(name.Length, 40);
        return string.Create(length, name, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = source[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '?';
            }
        });
    }
}
