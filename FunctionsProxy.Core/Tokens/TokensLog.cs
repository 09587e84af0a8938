using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Tokens;

internal static partial class TokensLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Backend tokenize unavailable ({Reason}); counting locally")]
    public static partial void BackendUnavailable(ILogger logger, string reason);
}
