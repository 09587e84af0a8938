using FunctionsProxy.Anthropic;
using FunctionsProxy.Security;

namespace FunctionsProxy.Metering;

/// <summary>Single-user mode meters nothing.</summary>
internal sealed class NullUsageRecorder : IUsageRecorder
{
    public ValueTask RecordAsync(ClientContext client, string model, UsageTotals usage, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
