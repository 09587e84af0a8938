using System.Net;

namespace FunctionsProxy.Fallback;

/// <summary>Why a backend attempt produced no answer, as far as choosing the next model is concerned.</summary>
public enum ModelFailureKind
{
    /// <summary>An answer (2xx), or an error the next model would repeat (the client's request is at fault).</summary>
    None,
    ServerError,
    /// <summary>A 429 that reached the endpoint: the back-off handler already retried it or would not wait that long.</summary>
    RateLimited,
    /// <summary>404 after the casing fix: the model is gone from the backend.</summary>
    ModelNotFound,
    Unreachable,
    FirstByteTimeout,
}

/// <summary>Which backend outcomes make the proxy try the next model of a chain. Only the backend's own trouble does:
/// 5xx and 408, a 429 the back-off gave up on, a model that does not exist, no connection, no response headers in time. What
/// the client caused (400/422 invalid request or context too long, 413, 401/403 credentials) is answered as is,
/// because every model would refuse it the same way.</summary>
public static class ModelFailure
{
    public static ModelFailureKind Classify(HttpStatusCode status) => (int)status switch
    {
        // 408: the backend gave up waiting (its own trouble, as a 504 would be).
        408 or (>= 500 and < 600) => ModelFailureKind.ServerError,
        429 => ModelFailureKind.RateLimited,
        404 => ModelFailureKind.ModelNotFound,
        _ => ModelFailureKind.None,
    };

    public static string Describe(ModelFailureKind kind, HttpStatusCode? status = null) => kind switch
    {
        ModelFailureKind.ServerError => $"HTTP {(int)(status ?? HttpStatusCode.InternalServerError)}",
        ModelFailureKind.RateLimited => "HTTP 429",
        ModelFailureKind.ModelNotFound => "HTTP 404, model not found",
        ModelFailureKind.Unreachable => "unreachable",
        ModelFailureKind.FirstByteTimeout => "no response headers in time",
        _ => "none",
    };
}
