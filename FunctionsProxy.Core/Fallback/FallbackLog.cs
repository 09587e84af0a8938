using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Fallback;

internal static partial class FallbackLog
{
    [LoggerMessage(EventId = 1701, Message = "Model {UpstreamModel} failed ({Failure}) before any output; trying {NextModel}")]
    public static partial void FallingBack(ILogger logger, LogLevel level, string upstreamModel, string failure, string nextModel);

    [LoggerMessage(EventId = 1702, Message = "Model {UpstreamModel} skipped: {Reason}")]
    public static partial void Skipped(ILogger logger, LogLevel level, string upstreamModel, string reason);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "Model {UpstreamModel} cools down for {CooldownSeconds} s after {Failures} consecutive failures")]
    public static partial void ModelCoolingDown(ILogger logger, string upstreamModel, int failures, double cooldownSeconds);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Information, Message = "Model {UpstreamModel} answers again; its cool-down is over")]
    public static partial void ModelRecovered(ILogger logger, string upstreamModel);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Warning, Message = "Shared model health: {Operation} failed ({Failure}); this instance keeps its own view")]
    public static partial void HealthStoreFailed(ILogger logger, string operation, string failure);

    [LoggerMessage(EventId = 1706, Message = "Request for {Model} served by {UpstreamModel} (candidate {Attempt} of {Candidates}, route {Route})")]
    public static partial void Served(ILogger logger, LogLevel level, string model, string upstreamModel, int attempt, int candidates, string route);
}
