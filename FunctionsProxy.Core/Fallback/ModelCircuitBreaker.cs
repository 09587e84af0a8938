using System.Collections.Concurrent;
using FunctionsProxy.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Fallback;

/// <summary>
/// A circuit breaker per backend model: after <c>MODEL_FAILURE_THRESHOLD</c> consecutive failures the model is skipped
/// for <c>MODEL_COOLDOWN</c>, then one request probes it (success closes it, failure restarts the cool-down). Trips and
/// recoveries are shared through <see cref="IModelHealthStore"/> when storage is configured: written on change, read
/// in the background at most every few seconds, so a request never waits for storage. Failure counts stay per
/// instance; only the decision is shared.
/// </summary>
public sealed class ModelCircuitBreaker
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IOptionsMonitor<ProxyOptions> _options;
    private readonly IModelHealthStore? _store;
    private readonly TimeProvider _time;
    private readonly ILogger<ModelCircuitBreaker> _logger;
    private readonly Lock _syncGate = new();
    private Task? _sync;
    private DateTimeOffset _lastSync = DateTimeOffset.MinValue;

    public ModelCircuitBreaker(IOptionsMonitor<ProxyOptions> options, TimeProvider time, ILogger<ModelCircuitBreaker> logger, IModelHealthStore? store = null)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _store = store;
    }

    /// <summary>"table" when instances share the state, else "memory" (shown by <c>/_schemas</c>).</summary>
    public string StoreKind => _store is null ? "memory" : "table";

    private int Threshold => _options.CurrentValue.ModelFailureThreshold;

    private TimeSpan Cooldown => _options.CurrentValue.ModelCooldown;

    /// <summary>How stale the shared state may get: a quarter of the cool-down, between 1 and 15 seconds.</summary>
    internal TimeSpan SyncInterval => TimeSpan.FromTicks(Math.Clamp(Cooldown.Ticks / 4, TimeSpan.TicksPerSecond, 15 * TimeSpan.TicksPerSecond));

    /// <summary>May a request go to <paramref name="modelId"/> now? A <see cref="BreakerVerdict.Probe"/> must be
    /// followed by <see cref="ReportSuccess"/>, <see cref="ReportFailure"/> or <see cref="ReleaseProbe"/>.</summary>
    public BreakerVerdict Check(string modelId)
    {
        if (Threshold <= 0) return BreakerVerdict.Closed;
        StartSyncIfDue();
        if (!_entries.TryGetValue(modelId, out var entry)) return BreakerVerdict.Closed;
        var now = _time.GetUtcNow();
        lock (entry)
        {
            if (!entry.Tripped) return BreakerVerdict.Closed;
            if (entry.OpenUntil > now || entry.ProbeUntil > now) return BreakerVerdict.Open;
            // A probe that never reports (its request crashed) gives its turn back after the longest call can last.
            entry.ProbeUntil = now + _options.CurrentValue.UpstreamTimeout;
            return BreakerVerdict.Probe;
        }
    }

    public void ReportSuccess(string modelId)
    {
        if (!_entries.TryGetValue(modelId, out var entry)) return;
        ModelHealth? changed = null;
        lock (entry)
        {
            entry.Failures = 0;
            entry.ProbeUntil = DateTimeOffset.MinValue;
            if (entry.Tripped)
            {
                entry.Tripped = false;
                entry.OpenUntil = DateTimeOffset.MinValue;
                entry.ChangedAt = _time.GetUtcNow();
                changed = new ModelHealth(modelId, entry.OpenUntil, entry.ChangedAt);
            }
        }
        if (changed is { } health)
        {
            FallbackLog.ModelRecovered(_logger, modelId);
            Publish(health);
        }
    }

    public void ReportFailure(string modelId)
    {
        if (Threshold <= 0) return;
        var entry = _entries.GetOrAdd(modelId, static _ => new Entry());
        ModelHealth? changed = null;
        lock (entry)
        {
            entry.Failures++;
            entry.ProbeUntil = DateTimeOffset.MinValue;
            // A failed probe re-opens at once; a healthy model trips on its Nth consecutive failure.
            if (entry.Tripped || entry.Failures >= Threshold)
            {
                var now = _time.GetUtcNow();
                entry.Tripped = true;
                entry.OpenUntil = now + Cooldown;
                entry.ChangedAt = now;
                changed = new ModelHealth(modelId, entry.OpenUntil, now);
            }
        }
        if (changed is { } health)
        {
            FallbackLog.ModelCoolingDown(_logger, modelId, entry.Failures, Cooldown.TotalSeconds);
            Publish(health);
        }
    }

    /// <summary>A probe this request was granted but never used (an earlier model answered): another may take it.</summary>
    public void ReleaseProbe(string modelId)
    {
        if (!_entries.TryGetValue(modelId, out var entry)) return;
        lock (entry) entry.ProbeUntil = DateTimeOffset.MinValue;
    }

    /// <summary>Models currently cooling down or waiting for their probe, for <c>/_schemas</c>.</summary>
    public IReadOnlyList<ModelHealth> Tripped()
    {
        var list = new List<ModelHealth>();
        foreach (var (id, entry) in _entries)
        {
            lock (entry)
                if (entry.Tripped) list.Add(new ModelHealth(id, entry.OpenUntil, entry.ChangedAt));
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.ModelId, b.ModelId));
        return list;
    }

    /// <summary>Reads the shared state now (single-flight with the background reads).</summary>
    public Task SyncAsync(CancellationToken cancellationToken = default)
    {
        if (_store is null) return Task.CompletedTask;
        lock (_syncGate)
        {
            if (_sync is not { IsCompleted: false }) StartSyncLocked();
            return _sync!.WaitAsync(cancellationToken);
        }
    }

    private void StartSyncIfDue()
    {
        if (_store is null || _time.GetUtcNow() - _lastSync < SyncInterval) return;
        lock (_syncGate)
        {
            if (_sync is { IsCompleted: false } || _time.GetUtcNow() - _lastSync < SyncInterval) return;
            StartSyncLocked();
        }
    }

    /// <summary>Starts a background read of the shared state; the caller holds <c>_syncGate</c>.</summary>
    private void StartSyncLocked()
    {
        _lastSync = _time.GetUtcNow();
        _sync = Task.Run(ReadSharedAsync, CancellationToken.None);
    }

    private async Task ReadSharedAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            foreach (var remote in await _store!.LoadAsync(timeout.Token).ConfigureAwait(false))
            {
                var open = remote.OpenUntil > _time.GetUtcNow();
                // A healthy row for a model this instance never saw fail says nothing new.
                if (!open && !_entries.ContainsKey(remote.ModelId)) continue;
                var entry = _entries.GetOrAdd(remote.ModelId, static _ => new Entry());
                lock (entry)
                {
                    if (remote.ChangedAt <= entry.ChangedAt) continue;
                    entry.ChangedAt = remote.ChangedAt;
                    entry.Tripped = open;
                    entry.OpenUntil = open ? remote.OpenUntil : DateTimeOffset.MinValue;
                    entry.Failures = 0;
                }
            }
        }
        catch (Exception e)
        {
            // Sharing is an optimisation: each instance still trips on its own failures.
            FallbackLog.HealthStoreFailed(_logger, "read", e.GetType().Name);
        }
    }

    private void Publish(ModelHealth health)
    {
        if (_store is null) return;
        _ = Task.Run(async () =>
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _store.SaveAsync(health, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                FallbackLog.HealthStoreFailed(_logger, "write", e.GetType().Name);
            }
        });
    }

    private sealed class Entry
    {
        public int Failures;
        public bool Tripped;
        public DateTimeOffset OpenUntil = DateTimeOffset.MinValue;
        public DateTimeOffset ProbeUntil = DateTimeOffset.MinValue;
        public DateTimeOffset ChangedAt = DateTimeOffset.MinValue;
    }
}
