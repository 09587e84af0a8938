using System.Diagnostics;
using FunctionsProxy.Tests.Infrastructure;

namespace FunctionsProxy.FunctionsHost.Tests.Rehearsal;

/// <summary>
/// A private Azurite (blob, queue, table) over HTTPS with <c>--oauth basic</c>, on free loopback ports, from the
/// npm install scripts/test.sh makes in <c>.tools/azurite</c>. Token credentials refuse plain HTTP, and OAuth is what
/// the deployed app uses (the storage account has shared keys disabled), so the shared HTTP Azurite on 10002 does not
/// serve here. Basic OAuth checks each token's issuer, audience and lifetime, not its signature. The account is the
/// one the template's endpoints name (<c>AZURITE_ACCOUNTS</c>), and requests arrive under its public host names
/// (<c>ACCOUNT.table.core.windows.net</c>, tunnelled by <see cref="TunnelProxy"/>), which Azurite reads the account from.
/// </summary>
internal sealed class AzuriteHttps : IAsyncDisposable
{
    private readonly Process _process;

    private AzuriteHttps(Process process, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }

    public static string Executable(string repoRoot)
    {
        var local = Path.Combine(repoRoot, ".tools", "azurite", "node_modules", ".bin", "azurite");
        if (File.Exists(local)) return local;
        throw new InvalidOperationException($"Azurite is not installed at {local}; the deployment rehearsal needs it (HTTPS with OAuth). " +
            "Run ./scripts/test.sh, which installs it, or: npm install --prefix .tools/azurite azurite@3.35.0");
    }

    public static async Task<AzuriteHttps> StartAsync(string repoRoot, LoopbackCertificate certificate, string account)
    {
        var executable = Executable(repoRoot);
        var ports = LoopbackPort.Free(3);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = certificate.Directory,
        };
        // Azurite's account list: name and a base64 key (unused: the account has shared keys disabled).
        start.Environment["AZURITE_ACCOUNTS"] = account + ":" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        foreach (var a in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent",
            "--oauth", "basic", "--cert", certificate.CertificatePemPath, "--key", certificate.KeyPemPath,
        })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + executable);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var tableUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blobUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null) return;
            output.Enqueue(line);
            if (line.Contains("Table service is successfully listening", StringComparison.Ordinal)) tableUp.TrySetResult();
            if (line.Contains("Blob service is successfully listening", StringComparison.Ordinal)) blobUp.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteHttps(process, ports[0], ports[1], ports[2]);
        var ready = Task.WhenAll(tableUp.Task, blobUp.Task);
        if (await Task.WhenAny(ready, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30))) != ready)
        {
            await azurite.DisposeAsync();
            throw new InvalidOperationException("Azurite (HTTPS, OAuth) did not start: " + string.Join(" | ", output));
        }
        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
