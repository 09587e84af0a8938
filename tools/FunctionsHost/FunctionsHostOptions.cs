namespace FunctionsProxy.Tools.FunctionsHost;

/// <summary>How to run the stand-in host.</summary>
public sealed class FunctionsHostOptions
{
    /// <summary>The published (or built) Functions app: FunctionsProxy.dll, worker.config.json, host.json.</summary>
    public required string AppDirectory { get; init; }

    /// <summary>HTTP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>App settings, exported to the worker as environment variables (as App Service does).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Pass this process's environment to the worker too (as <c>func start</c> does). Off, the worker gets
    /// only the settings, <see cref="PlatformEnvironment"/> and the few variables a process needs to run.</summary>
    public bool InheritEnvironment { get; init; } = true;

    /// <summary>Variables the platform sets that are not app settings (e.g. IDENTITY_ENDPOINT on App Service).</summary>
    public IReadOnlyDictionary<string, string> PlatformEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Receives every line the worker writes (stdout, stderr and its RPC logs).</summary>
    public Action<string>? WorkerOutput { get; init; }

    /// <summary>How long the worker may take to connect, index and load its functions.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
