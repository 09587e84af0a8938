namespace FunctionsProxy.Fallback;

/// <summary>What the circuit breaker says about sending a request to a model now.</summary>
public enum BreakerVerdict
{
    /// <summary>Healthy: send.</summary>
    Closed,

    /// <summary>Cooling down, or another request is probing it: try it only when nothing else is left.</summary>
    Open,

    /// <summary>The cool-down is over and this request is the one that probes it; its outcome closes or re-opens it.</summary>
    Probe,
}
