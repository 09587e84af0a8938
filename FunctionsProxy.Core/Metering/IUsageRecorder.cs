using FunctionsProxy.Anthropic;
using FunctionsProxy.Security;

namespace FunctionsProxy.Metering;

/// <summary>Receives the final usage of every model call (streaming ones from their last usage).</summary>
public interface IUsageRecorder
{
    ValueTask RecordAsync(ClientContext client, string model, UsageTotals usage, CancellationToken cancellationToken);
}
