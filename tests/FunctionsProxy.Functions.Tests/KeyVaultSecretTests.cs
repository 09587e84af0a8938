using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using FunctionsProxy.Hosting;
using FunctionsProxy.Secrets;
using FunctionsProxy.Tests.Infrastructure;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace FunctionsProxy.Functions.Tests;

/// <summary>
/// The backend key from Key Vault, against a loopback HTTPS server that speaks the secrets REST shape (challenge,
/// then <c>GET /secrets/{name}</c>): read once, cached, re-read after the interval, kept when the vault fails,
/// never logged.
/// </summary>
public sealed class KeyVaultSecretTests : IAsyncLifetime
{
    private WebApplication _vault = null!;
    private int _reads;
    private volatile string _value = "first-secret-value-7f3a";
    private volatile bool _failing;

    public async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        _vault = builder.Build();
        _vault.MapGet("/secrets/{name}/{version?}", (HttpContext c, string name) =>
        {
            if (!c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal))
            {
                c.Response.Headers.WWWAuthenticate = "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"";
                return Results.StatusCode(401);
            }
            Interlocked.Increment(ref _reads);
            if (_failing) return Results.Json(new { error = new { code = "Throttled", message = "slow down" } }, statusCode: 429);
            if (name != "chutes-api-key") return Results.Json(new { error = new { code = "SecretNotFound", message = "nope" } }, statusCode: 404);
            return Results.Json(new { value = _value, id = $"{c.Request.Scheme}://{c.Request.Host}/secrets/{name}/0123456789abcdef", attributes = new { enabled = true } });
        });
        await _vault.StartAsync();
    }

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    private SecretClient Client() => new(new Uri(_vault.Urls.First()), new FixedToken(), new SecretClientOptions
    {
        DisableChallengeResourceVerification = true,
        Retry = { MaxRetries = 0 },
        Transport = new HttpClientTransport(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }),
    });

    [Fact]
    public async Task Read_once_cached_refreshed_kept_on_failure_and_never_logged()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var logs = new CapturedLogs();
        var cache = new KeyVaultSecretCache(Client(), "chutes-api-key", TimeSpan.FromMinutes(5), time, logs.CreateLogger("kv"));

        for (var i = 0; i < 20; i++) Assert.Equal("first-secret-value-7f3a", await cache.GetAsync(CancellationToken.None));
        Assert.Equal(1, _reads);

        _value = "rotated-secret-value-9c1d";
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("first-secret-value-7f3a", await cache.GetAsync(CancellationToken.None));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("rotated-secret-value-9c1d", await cache.GetAsync(CancellationToken.None));
        Assert.Equal(2, _reads);

        _failing = true;
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal("rotated-secret-value-9c1d", await cache.GetAsync(CancellationToken.None));
        Assert.Equal(3, _reads);
        Assert.Equal("rotated-secret-value-9c1d", await cache.GetAsync(CancellationToken.None)); // no hammering after a failure
        Assert.Equal(3, _reads);

        Assert.Contains(logs.Entries, e => e.StartsWith("Warning") && e.Contains("chutes-api-key") && e.Contains("keeping the last good value"));
        Assert.DoesNotContain("first-secret-value-7f3a", logs.All);
        Assert.DoesNotContain("rotated-secret-value-9c1d", logs.All);
    }

    [Fact]
    public async Task A_refused_key_is_reread_at_once_but_not_hammered_and_a_callers_key_is_never_swapped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new KeyVaultSecretCache(Client(), "chutes-api-key", TimeSpan.FromMinutes(5), time, new CapturedLogs().CreateLogger("kv"));
        var provider = new KeyVaultBackendKeyProvider(cache);
        Assert.Equal("first-secret-value-7f3a", await provider.GetKeyAsync(CancellationToken.None));
        Assert.Equal(1, _reads);

        // The backend refuses a key that is still the vault's: one read, nothing new, and no read again for a while.
        Assert.Null(await provider.RenewAfterRejectionAsync("first-secret-value-7f3a", CancellationToken.None));
        Assert.Equal(2, _reads);
        _value = "rotated-secret-value-9c1d";
        Assert.Null(await provider.RenewAfterRejectionAsync("first-secret-value-7f3a", CancellationToken.None));
        Assert.Equal(2, _reads);

        // Rotated in the vault: the next refusal after the interval gets the new key without waiting 5 minutes.
        time.Advance(KeyVaultSecretCache.RejectionRereadInterval);
        Assert.Equal("rotated-secret-value-9c1d", await provider.RenewAfterRejectionAsync("first-secret-value-7f3a", CancellationToken.None));
        Assert.Equal(3, _reads);
        // Requests that started with the old key get the new one without another read.
        Assert.Equal("rotated-secret-value-9c1d", await provider.RenewAfterRejectionAsync("first-secret-value-7f3a", CancellationToken.None));
        Assert.Equal("rotated-secret-value-9c1d", await provider.GetKeyAsync(CancellationToken.None));
        Assert.Equal(3, _reads);

        // A key that is not the vault's (a caller's own, CHUTES_AUTH_STYLE=header) is never answered with the server's.
        time.Advance(KeyVaultSecretCache.RejectionRereadInterval);
        Assert.Null(await provider.RenewAfterRejectionAsync("callers-own-key", CancellationToken.None));
        Assert.Equal(3, _reads);
    }

    [Fact]
    public async Task With_a_vault_configured_the_backend_key_comes_from_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CHUTES_API_KEY"] = "local-fallback-key",
            ["KEYVAULT_URI"] = _vault.Urls.First(),
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddFunctionsProxyCore(configuration)
            .AddFunctionsProxySecrets(configuration, Client()).BuildServiceProvider();
        var provider = services.GetRequiredService<IBackendKeyProvider>();
        Assert.IsType<KeyVaultBackendKeyProvider>(provider);
        Assert.Equal("first-secret-value-7f3a", await provider.GetKeyAsync(CancellationToken.None));
        Assert.Equal("first-secret-value-7f3a", await provider.GetKeyAsync(CancellationToken.None));
        Assert.Equal(1, _reads);
    }

    [Fact]
    public async Task Without_a_vault_the_configured_key_stays()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["CHUTES_API_KEY"] = "local-fallback-key" }).Build();
        await using var services = new ServiceCollection().AddLogging().AddFunctionsProxyCore(configuration).BuildServiceProvider();
        Assert.Equal("local-fallback-key", await services.GetRequiredService<IBackendKeyProvider>().GetKeyAsync(CancellationToken.None));
    }

    private sealed class FixedToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new("test-token", DateTimeOffset.UtcNow.AddHours(1));
        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
