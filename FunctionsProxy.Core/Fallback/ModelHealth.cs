namespace FunctionsProxy.Fallback;

/// <summary>One model's shared breaker state: cooling down until <paramref name="OpenUntil"/> (a past or minimum time
/// means healthy), as decided at <paramref name="ChangedAt"/>. The newest decision wins across instances.</summary>
public readonly record struct ModelHealth(string ModelId, DateTimeOffset OpenUntil, DateTimeOffset ChangedAt);

/// <summary>Where instances share breaker decisions. Only trips and recoveries are written, so the cost is a write per
/// state change and one partition read per sync interval.</summary>
public interface IModelHealthStore
{
    Task<IReadOnlyList<ModelHealth>> LoadAsync(CancellationToken cancellationToken);

    Task SaveAsync(ModelHealth health, CancellationToken cancellationToken);
}
