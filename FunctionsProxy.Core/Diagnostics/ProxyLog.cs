using FunctionsProxy.Security;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Diagnostics;

/// <summary>Structured log messages of the request path. Metadata only: never keys, never message content. Any text
/// that can carry backend or exception wording is a <see cref="ScrubbedText"/>, so it has passed the scrubber.</summary>
internal static partial class ProxyLog
{
    [LoggerMessage(EventId = 1, Message = "messages {Model} -> {UpstreamModel} stream={Stream} requestBytes={RequestBytes} upstreamBytes={UpstreamBytes} status={Status} upstreamStatus={UpstreamStatus} input={InputTokens} output={OutputTokens} cached={CachedTokens} ms={ElapsedMs}")]
    public static partial void MessagesCompleted(ILogger logger, LogLevel level, string model, string upstreamModel, bool stream, int requestBytes, int upstreamBytes, int status, int upstreamStatus, long inputTokens, long outputTokens, long cachedTokens, long elapsedMs);

    [LoggerMessage(EventId = 2, Message = "{Path} rejected status={Status} type={ErrorType} reason={Reason}")]
    public static partial void Rejected(ILogger logger, LogLevel level, string path, int status, string errorType, ScrubbedText reason);

    /// <summary>No exception object: the failure is the backend's, a stack trace of the proxy would say nothing.</summary>
    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Upstream stream failed after {Events} events: {ErrorType} ({Failure}) {Reason}")]
    public static partial void StreamFailed(ILogger logger, int events, string errorType, string failure, ScrubbedText reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Unexpected failure handling {Path}: {Detail}")]
    public static partial void Unexpected(ILogger logger, string path, ScrubbedText detail);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Backend answered 404 for {UpstreamModel}; retrying once as {CorrectedModel}")]
    public static partial void RetryingWithCorrectedModel(ILogger logger, string upstreamModel, string correctedModel);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Client disconnected; upstream call cancelled after {ElapsedMs} ms")]
    public static partial void ClientAborted(ILogger logger, long elapsedMs);

    /// <summary>One line per failed call, without a stack trace: an unreachable backend is an operating condition,
    /// and a trace per request would bury everything else in the log.</summary>
    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Backend unreachable ({Failure}); answered {Status} after {ElapsedMs} ms")]
    public static partial void BackendUnreachable(ILogger logger, string failure, int status, long elapsedMs);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Dropped a tool call without a name ({Length} argument chars)")]
    public static partial void ToolCallWithoutName(ILogger logger, int length);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Dropped a tool call cut off by max_tokens ({Length} argument chars)")]
    public static partial void ToolCallCutOff(ILogger logger, int length);
}
