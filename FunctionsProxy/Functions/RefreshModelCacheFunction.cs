using FunctionsProxy.Catalog;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Functions;

/// <summary>
/// Refreshes the model-schema cache in Table Storage on the <c>MODEL_REFRESH_SCHEDULE</c> app setting (NCRONTAB,
/// e.g. <c>0 */30 * * * *</c>). No RunOnStartup: it would fire on every cold start and scale-out; requests refresh
/// lazily when the cache is stale anyway.
/// </summary>
public sealed partial class RefreshModelCacheFunction(IModelCatalogRefresher refresher, ILogger<RefreshModelCacheFunction> logger)
{
    [Function("RefreshModelCache")]
    public async Task Run([TimerTrigger("%MODEL_REFRESH_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var result = await refresher.RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (result.Succeeded) Refreshed(logger, result.ModelCount, result.RefreshedAt, timer.ScheduleStatus?.Next);
        else RefreshFailed(logger, result.Error, result.ModelCount);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model cache refreshed: {Count} models at {RefreshedAt}; next {Next}")]
    private static partial void Refreshed(ILogger logger, int count, DateTimeOffset refreshedAt, DateTime? next);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model cache refresh failed ({Error}); {Count} models kept")]
    private static partial void RefreshFailed(ILogger logger, string? error, int count);
}
