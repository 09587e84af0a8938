using FunctionsProxy.Anthropic;
using FunctionsProxy.Storage;

namespace FunctionsProxy.Metering;

/// <summary>Usage in a JSON file next to the keys file (local host without storage), readable by <c>keys usage</c>.</summary>
internal sealed class FileUsageStore(string path) : IUsageStore
{
    private readonly JsonFileStore<UsageFile> _file = new(path, MeteringJson.Default.UsageFile);

    public Task AddAsync(string day, string keyName, string model, UsageTotals usage, CancellationToken cancellationToken)
        => _file.UpdateAsync(f =>
        {
            var row = f.Rows.Find(r => r.Day == day && r.KeyName == keyName && r.Model == model);
            if (row is null) f.Rows.Add(row = new UsageRow { Day = day, KeyName = keyName, Model = model });
            row.Requests++;
            row.InputTokens += usage.InputTokens;
            row.OutputTokens += usage.OutputTokens;
            row.CacheReadInputTokens += usage.CacheReadInputTokens;
            return (true, true);
        }, cancellationToken);

    public async Task<IReadOnlyList<UsageRow>> QueryAsync(IReadOnlyCollection<string> days, string? keyName, CancellationToken cancellationToken)
    {
        var f = await _file.ReadAsync(cancellationToken).ConfigureAwait(false);
        return f.Rows.Where(r => days.Contains(r.Day) && (keyName is null || r.KeyName == keyName)).ToList();
    }
}
