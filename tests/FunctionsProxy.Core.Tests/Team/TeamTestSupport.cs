using FunctionsProxy.Metering;
using FunctionsProxy.Storage;
using FunctionsProxy.Team;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Tests.Team;

/// <summary>Team components wired by hand over one store (as a second instance would be).</summary>
internal sealed class TeamInstance
{
    public TeamInstance(IProxyKeyStore keys, IUsageStore usage, IRequestCounter counter, TimeProvider time, TeamOptions? options = null)
    {
        Options = Microsoft.Extensions.Options.Options.Create(options ?? new TeamOptions());
        Keys = keys;
        Usage = usage;
        Cache = new KeyLookupCache(keys, Options, time);
        Quotas = new QuotaGate(counter, usage, Options, time);
        Manager = new KeyManager(keys, usage, Cache, time, NullLogger<KeyManager>.Instance);
        Recorder = new TeamUsageRecorder(usage, Quotas, time, NullLogger<TeamUsageRecorder>.Instance);
        Authenticator = new ProxyKeyAuthenticator(Cache, Quotas, keys, Options, time, NullLogger<ProxyKeyAuthenticator>.Instance);
    }

    public IOptions<TeamOptions> Options { get; }
    public IProxyKeyStore Keys { get; }
    public IUsageStore Usage { get; }
    public KeyLookupCache Cache { get; }
    public QuotaGate Quotas { get; }
    public KeyManager Manager { get; }
    public TeamUsageRecorder Recorder { get; }
    public ProxyKeyAuthenticator Authenticator { get; }

    public static TeamInstance OnTables(TableStorage storage, string keysTable, string usageTable, TimeProvider time, TeamOptions? options = null)
        => new(new TableProxyKeyStore(storage, keysTable), new TableUsageStore(storage, usageTable), new TableRequestCounter(storage, usageTable), time, options);

    public static TeamInstance OnFile(string keysFile, TimeProvider time, TeamOptions? options = null)
    {
        options ??= new TeamOptions();
        options.KeysFile = keysFile;
        return new(new FileProxyKeyStore(keysFile), new FileUsageStore(options.UsageFile), new MemoryRequestCounter(), time, options);
    }

    /// <summary>Authenticates a request carrying <paramref name="key"/> as x-api-key (null = no credential).</summary>
    public async Task<FunctionsProxy.Security.ClientAuthResult> AuthenticateAsync(string? key, bool bearer = false)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        if (key is not null)
        {
            if (bearer) context.Request.Headers.Authorization = "Bearer " + key;
            else context.Request.Headers["x-api-key"] = key;
        }
        return await Authenticator.AuthenticateAsync(context, CancellationToken.None);
    }
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("fp-team-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
