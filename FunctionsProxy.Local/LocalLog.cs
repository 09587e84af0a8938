namespace FunctionsProxy.Local;

internal static partial class LocalLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Catalog refresh: {Succeeded} {Count} models {Error}")]
    public static partial void CatalogRefreshed(ILogger logger, bool succeeded, int count, string? error);
}
