using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.FunctionsHost.Tests.Rehearsal;

/// <summary>
/// The App Service managed-identity endpoint (<c>IDENTITY_ENDPOINT</c>/<c>IDENTITY_HEADER</c>, protocol 2019-08-01)
/// on loopback HTTP, as App Service runs it inside the sandbox. It issues tokens only for the one user-assigned
/// identity (its client id) and only with the secret header; each token is a JWT whose audience is the requested
/// resource, which Azurite (<c>--oauth basic</c>) and the Key Vault stand-in check.
/// </summary>
internal sealed class ManagedIdentityEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _clientId;

    private ManagedIdentityEndpoint(WebApplication app, string clientId)
    {
        _app = app;
        _clientId = clientId;
    }

    public string Header { get; } = Guid.NewGuid().ToString("N");
    public string Endpoint { get; private set; } = "";

    /// <summary>Every token request: (resource, client_id, status answered).</summary>
    public ConcurrentQueue<(string Resource, string ClientId, int Status)> Requests { get; } = new();

    public static async Task<ManagedIdentityEndpoint> StartAsync(string clientId)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var identity = new ManagedIdentityEndpoint(app, clientId);
        app.MapGet("/msi/token", identity.Token);
        await app.StartAsync();
        identity.Endpoint = app.Urls.First().TrimEnd('/') + "/msi/token";
        return identity;
    }

    private IResult Token(HttpContext context)
    {
        var resource = context.Request.Query["resource"].ToString();
        var clientId = context.Request.Query["client_id"].ToString();
        int status;
        IResult result;
        if (context.Request.Headers["X-IDENTITY-HEADER"] != Header)
        {
            (status, result) = (401, Results.Json(new { error = "invalid_request", error_description = "missing X-IDENTITY-HEADER" }, statusCode: 401));
        }
        else if (context.Request.Query["api-version"] != "2019-08-01" || resource.Length == 0)
        {
            (status, result) = (400, Results.Json(new { error = "invalid_request" }, statusCode: 400));
        }
        else if (clientId != _clientId)
        {
            (status, result) = (400, Results.Json(new { error = "invalid_request", error_description = $"no identity with client id '{clientId}' is assigned" }, statusCode: 400));
        }
        else
        {
            var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
            (status, result) = (200, Results.Json(new
            {
                access_token = Mint(resource, clientId),
                expires_on = expires.ToString(System.Globalization.CultureInfo.InvariantCulture),
                resource,
                token_type = "Bearer",
                client_id = clientId,
            }));
        }
        Requests.Enqueue((resource, clientId, status));
        return result;
    }

    /// <summary>A token as Entra would issue it for this identity (unsigned: the stand-ins read, not verify, it).</summary>
    public static string Mint(string resource, string clientId)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256" };
        var payload = new JsonObject
        {
            ["aud"] = resource,
            ["iss"] = $"https://sts.windows.net/{Infra.Tests.Arm.ArmExpressions.TenantId}/",
            ["iat"] = now - 60,
            ["nbf"] = now - 60,
            ["exp"] = now + 3600,
            ["appid"] = clientId,
            ["tid"] = Infra.Tests.Arm.ArmExpressions.TenantId,
        };
        return $"{Base64Url(header.ToJsonString())}.{Base64Url(payload.ToJsonString())}.{Base64Url("stand-in")}";
    }

    /// <summary>The claims of a bearer token from an Authorization header, or null.</summary>
    public static JsonNode? Claims(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal)) return null;
        var parts = authorization[7..].Split('.');
        if (parts.Length != 3) return null;
        var payload = parts[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        try
        {
            return JsonNode.Parse(Convert.FromBase64String(payload));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
