using System.Globalization;
using System.Net.Sockets;
using FunctionsProxy.Configuration;
using FunctionsProxy.Hosting;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Local;

/// <summary>Builds the local Kestrel host. Tests start it through <see cref="Build"/> on an ephemeral port.</summary>
public static class LocalHost
{
    public const int DefaultPort = 8090;

    /// <summary>Exit code for a start-up configuration error (bad setting, port busy or invalid).</summary>
    public const int ConfigurationErrorExitCode = 2;

    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = Build(args);
            // Settings are checked before the host starts: the host would log its own "Hosting failed to start" error,
            // stack trace included, ahead of the one line an admin needs.
            app.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException e)
        {
            return await FailAsync(string.Join(" ", e.Failures)).ConfigureAwait(false);
        }

        await using (app)
        {
            try
            {
                await app.StartAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                // Kestrel could not bind (port in use, privileged port): name the setting that chose the address.
                var chosen = new ConfigurationBuilder().AddEnvironmentVariables().AddEnvironmentVariables("ASPNETCORE_").AddCommandLine(args).Build();
                var setting = ExplicitUrls(chosen) is null ? SettingNames.Port : "ASPNETCORE_URLS";
                return await FailAsync($"{setting}: cannot listen on {app.Configuration["urls"]} ({e.Message.TrimEnd('.')}).").ConfigureAwait(false);
            }
            await app.WaitForShutdownAsync().ConfigureAwait(false);
            return 0;
        }
    }

    /// <param name="args">Command-line arguments.</param>
    /// <param name="settings">Settings that override the environment (tests use them instead of process variables).</param>
    /// <param name="configure">Extra service registrations (tests add log capture).</param>
    /// <exception cref="OptionsValidationException"><c>PORT</c> is not a port number.</exception>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Configuration.AddEnvironmentVariables();
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        // Loopback only unless ASPNETCORE_URLS (or --urls) names other addresses explicitly.
        if (ExplicitUrls(builder.Configuration) is null)
            builder.WebHost.UseUrls($"http://127.0.0.1:{Port(builder.Configuration)}");
        // The body-size limit is PROXY_MAX_BODY_BYTES on both hosts (AddFunctionsProxyHttpGuards).
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        // A failed start is reported as one line by RunAsync; the host's own error log would repeat it with a trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Services.AddFunctionsProxyCore(builder.Configuration);
        builder.Services.AddFunctionsProxyHttpGuards(filterHostNames: true);
        builder.Services.AddHostedService<CatalogRefreshService>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapFunctionsProxy();
        return app;
    }

    private static string? ExplicitUrls(IConfiguration configuration)
        => configuration["ASPNETCORE_URLS"] is { Length: > 0 } u ? u : configuration["urls"] is { Length: > 0 } v ? v : null;

    private static int Port(IConfiguration configuration)
    {
        var text = configuration[SettingNames.Port]?.Trim();
        if (string.IsNullOrEmpty(text)) return DefaultPort;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535) return port;
        throw new OptionsValidationException(SettingNames.Port, typeof(LocalHost), [$"{SettingNames.Port} must be a port number from 1 to 65535 (got '{text}')."]);
    }

    private static async Task<int> FailAsync(string message)
    {
        // Configuration errors name the variable; no stack trace for a user's typo.
        await Console.Error.WriteLineAsync("FunctionsProxy cannot start: " + message).ConfigureAwait(false);
        return ConfigurationErrorExitCode;
    }
}
