using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FunctionsProxy.FunctionsHost.Tests.Rehearsal;

/// <summary>
/// A self-signed certificate for 127.0.0.1 and the Azure host names the stand-ins answer for, made at test time, that every HTTPS stand-in serves (Key Vault, Azurite,
/// Application Insights ingestion). Written as PEM files: Azurite takes <c>--cert</c>/<c>--key</c>, and the worker
/// trusts it through <c>SSL_CERT_FILE</c> (OpenSSL's trust file, which .NET on Linux reads as its root store), so no
/// certificate check is switched off anywhere.
/// </summary>
internal sealed class LoopbackCertificate : IDisposable
{
    private LoopbackCertificate(X509Certificate2 certificate, string directory)
    {
        Certificate = certificate;
        Directory = directory;
        CertificatePemPath = Path.Combine(directory, "loopback-cert.pem");
        KeyPemPath = Path.Combine(directory, "loopback-key.pem");
    }

    public X509Certificate2 Certificate { get; }
    public string Directory { get; }
    public string CertificatePemPath { get; }
    public string KeyPemPath { get; }

    public static LoopbackCertificate Create(params string[] dnsNames)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        foreach (var name in dnsNames) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);

        var directory = Path.Combine(Path.GetTempPath(), "fp-rehearsal-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(directory);
        var result = new LoopbackCertificate(certificate, directory);
        File.WriteAllText(result.CertificatePemPath, created.ExportCertificatePem());
        File.WriteAllText(result.KeyPemPath, rsa.ExportPkcs8PrivateKeyPem());
        return result;
    }

    /// <summary>Trusts exactly this certificate (the test process's own clients), optionally through a proxy.</summary>
    public HttpClientHandler TrustingHandler(string? proxy = null) => new()
    {
        Proxy = proxy is null ? null : new WebProxy(proxy),
        UseProxy = proxy is not null,
        ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented is not null && presented.RawData.AsSpan().SequenceEqual(Certificate.RawData),
    };

    public void Dispose()
    {
        Certificate.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
