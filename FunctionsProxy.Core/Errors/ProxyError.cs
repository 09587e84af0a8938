using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Errors;

/// <summary>An error the client receives in Anthropic's shape: HTTP status, <c>error.type</c>, message.</summary>
public sealed record ProxyError(int Status, string Type, string Message)
{
    /// <summary>Seconds for a <c>retry-after</c> header (429 and overload answers).</summary>
    public string? RetryAfter { get; init; }

    public static ProxyError InvalidRequest(string message) => new(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, message);
    public static ProxyError Authentication(string message) => new(StatusCodes.Status401Unauthorized, ErrorTypes.Authentication, message);
    public static ProxyError Billing(string message) => new(StatusCodes.Status402PaymentRequired, ErrorTypes.Billing, message);
    public static ProxyError Permission(string message) => new(StatusCodes.Status403Forbidden, ErrorTypes.Permission, message);
    public static ProxyError NotFound(string message) => new(StatusCodes.Status404NotFound, ErrorTypes.NotFound, message);
    public static ProxyError TooLarge(string message) => new(StatusCodes.Status413PayloadTooLarge, ErrorTypes.RequestTooLarge, message);
    public static ProxyError RateLimited(string message, string? retryAfter = null) => new(StatusCodes.Status429TooManyRequests, ErrorTypes.RateLimit, message) { RetryAfter = retryAfter };
    public static ProxyError Api(string message, int status = StatusCodes.Status500InternalServerError) => new(status, ErrorTypes.Api, message);
    public static ProxyError Overloaded(string message) => new(529, ErrorTypes.Overloaded, message);
    public static ProxyError Timeout(string message) => new(StatusCodes.Status504GatewayTimeout, ErrorTypes.Timeout, message);
}

/// <summary>Anthropic's <c>error.type</c> values.</summary>
public static class ErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Billing = "billing_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RequestTooLarge = "request_too_large";
    public const string RateLimit = "rate_limit_error";
    public const string Api = "api_error";
    public const string Overloaded = "overloaded_error";
    public const string Timeout = "timeout_error";

    /// <summary>The <c>error.type</c> for an HTTP status the proxy did not choose itself (routing, Kestrel).</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Authentication,
        StatusCodes.Status402PaymentRequired => Billing,
        StatusCodes.Status403Forbidden => Permission,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status413PayloadTooLarge => RequestTooLarge,
        StatusCodes.Status429TooManyRequests => RateLimit,
        StatusCodes.Status504GatewayTimeout => Timeout,
        529 => Overloaded,
        >= 500 => Api,
        _ => InvalidRequest,
    };
}
