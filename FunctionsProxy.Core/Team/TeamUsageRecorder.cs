using FunctionsProxy.Anthropic;
using FunctionsProxy.Metering;
using FunctionsProxy.Security;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Team;

/// <summary>
/// Meters every finished model call into the usage store, per key name and model and UTC day. The write is direct
/// (one ETag-guarded read-modify-write): totals are exact without a flush-on-shutdown protocol. A store failure is
/// logged and does not fail the already-answered request.
/// </summary>
internal sealed class TeamUsageRecorder(IUsageStore store, QuotaGate quotas, TimeProvider time, ILogger<TeamUsageRecorder> logger) : IUsageRecorder
{
    /// <summary>Name used for calls that were not made with a proxy key (forward mode).</summary>
    public const string Anonymous = "-";

    public async ValueTask RecordAsync(ClientContext client, string model, UsageTotals usage, CancellationToken cancellationToken)
    {
        var name = client.KeyName ?? Anonymous;
        var day = UsageRow.DayOf(time.GetUtcNow());
        quotas.OnRecorded(name, day, usage.InputTokens + usage.OutputTokens);
        quotas.Spend?.OnRecorded(name, day, model, usage);
        try
        {
            await store.AddAsync(day, name, model, usage, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            TeamLog.UsageNotRecorded(logger, name, model, e.Message);
        }
    }
}
