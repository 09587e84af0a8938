using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FunctionsProxy.FunctionsHost.Tests.Rehearsal;

/// <summary>
/// Key Vault's secrets REST surface on loopback HTTPS, reached through <see cref="TunnelProxy"/> under the vault's
/// public name: a request without a token gets the 401 bearer challenge naming <c>https://vault.azure.net</c> as
/// Azure does, then <c>GET /secrets/{name}[/{version}]</c> answers the latest version. Tokens must be for that
/// resource and for the identity that holds Key Vault Secrets User.
/// </summary>
internal sealed class KeyVaultStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _secrets = new(StringComparer.Ordinal);
    private readonly string _clientId;

    private KeyVaultStandIn(WebApplication app, string clientId)
    {
        _app = app;
        _clientId = clientId;
    }

    /// <summary>The loopback port it listens on (the proxy's tunnel target).</summary>
    public int Port { get; private set; }

    /// <summary>The resource named in the challenge, i.e. the audience tokens must carry.</summary>
    public const string Resource = "https://vault.azure.net";

    /// <summary>Each authorized read: (secret name, status answered).</summary>
    public ConcurrentQueue<(string Name, int Status)> Reads { get; } = new();

    public static async Task<KeyVaultStandIn> StartAsync(LoopbackCertificate certificate, string clientId, IReadOnlyDictionary<string, string> secrets)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate.Certificate)));
        var app = builder.Build();
        var vault = new KeyVaultStandIn(app, clientId);
        foreach (var (k, v) in secrets) vault._secrets[k] = v;
        app.MapGet("/secrets/{name}/{version?}", vault.Get);
        await app.StartAsync();
        vault.Port = new Uri(app.Urls.First()).Port;
        return vault;
    }

    /// <summary>A new version of a secret, as <c>az keyvault secret set</c> writes it.</summary>
    public void SetSecret(string name, string value) => _secrets[name] = value;

    private IResult Get(HttpContext context, string name)
    {
        var claims = ManagedIdentityEndpoint.Claims(context.Request.Headers.Authorization);
        if (claims is null)
        {
            context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"https://login.microsoftonline.com/{Infra.Tests.Arm.ArmExpressions.TenantId}\", resource=\"{Resource}\"";
            return Results.Json(new { error = new { code = "Unauthorized", message = "AKV10000: Request is missing a Bearer or PoP token." } }, statusCode: 401);
        }
        if (claims["aud"]?.GetValue<string>() != Resource || claims["appid"]?.GetValue<string>() != _clientId)
        {
            Reads.Enqueue((name, 403));
            return Results.Json(new { error = new { code = "Forbidden", message = "Caller is not authorized to perform action on resource." } }, statusCode: 403);
        }
        if (!_secrets.TryGetValue(name, out var value))
        {
            Reads.Enqueue((name, 404));
            return Results.Json(new { error = new { code = "SecretNotFound", message = $"A secret with (name/id) {name} was not found in this key vault." } }, statusCode: 404);
        }
        Reads.Enqueue((name, 200));
        var version = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)))[..32].ToLowerInvariant();
        return Results.Json(new { value, contentType = "text/plain", id = $"https://{context.Request.Host}/secrets/{name}/{version}", attributes = new { enabled = true } });
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
