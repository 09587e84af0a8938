using FunctionsProxy.Anthropic;

namespace FunctionsProxy.Metering;

/// <summary>Daily usage totals per key and model. Adds are exact under concurrency (across processes and instances).</summary>
public interface IUsageStore
{
    /// <summary>Adds one request and its tokens to the row of (<paramref name="day"/>, key, model).</summary>
    Task AddAsync(string day, string keyName, string model, UsageTotals usage, CancellationToken cancellationToken);

    /// <summary>Rows of the given days (<c>yyyy-MM-dd</c>), optionally for one key.</summary>
    Task<IReadOnlyList<UsageRow>> QueryAsync(IReadOnlyCollection<string> days, string? keyName, CancellationToken cancellationToken);
}
