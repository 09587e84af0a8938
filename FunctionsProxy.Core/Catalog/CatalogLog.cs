using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Catalog;

/// <summary>Log messages of discovery and the schema cache: counts and exception type names, never a backend URL or
/// key.</summary>
internal static partial class CatalogLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Reading the model schema cache ({Store}) failed: {Reason}")]
    public static partial void CacheReadFailed(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Model discovery found {Count} models")]
    public static partial void Discovered(ILogger logger, int count);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Writing the model schema cache ({Store}) failed: {Reason}")]
    public static partial void CacheWriteFailed(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Model discovery failed ({Reason}); keeping {Count} known models")]
    public static partial void DiscoveryFailed(ILogger logger, string? reason, int count);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Model detail for {Model} unavailable: {Reason}")]
    public static partial void DetailUnavailable(ILogger logger, string model, string reason);
}
