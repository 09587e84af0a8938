using System.Diagnostics;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Buffers;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Hosting;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Translation;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Bench;

/// <summary>
/// In-process cost of the request path's steps, measured with the Core services the proxy registers (a real
/// <c>ModelCatalog</c> filled by discovery against the bench upstream). Answers two questions the load runs cannot:
/// what the catalog lookup and per-model adaptation cost per request (issue target: under 2 % of a non-stream round
/// trip), and how a Claude Code request's time splits between parsing and translating.
/// </summary>
internal static class PipelineBench
{
    internal sealed record Figures(
        double CatalogResolveUs, double PlainResolveUs, double ParseUs, double TranslateWithCapabilitiesUs, double TranslateWithoutUs, int UpstreamBytes)
    {
        /// <summary>The whole resolution through the catalog (conservative: it includes the MODEL_MAP and profile
        /// work any resolver does) plus what adapting the request to known capabilities adds to translation.</summary>
        public double CatalogCostUs => CatalogResolveUs + Math.Max(0, TranslateWithCapabilitiesUs - TranslateWithoutUs);
    }

    public static async Task<Figures> RunAsync(string upstreamUrl, byte[] claudeCodeBody, bool quick)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.BaseUrl] = upstreamUrl,
            [SettingNames.ApiKey] = "bench-backend-key",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddFunctionsProxyCore(configuration);
        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ProxyOptions>>();
        var catalogResolver = provider.GetRequiredService<IModelResolver>();
        var plainResolver = new ModelResolver(options, provider.GetRequiredService<ModelProfileTable>());

        var withCapabilities = await catalogResolver.ResolveAsync("Some-Model", "bench-backend-key", CancellationToken.None);
        if (withCapabilities.Capabilities is null || withCapabilities.UpstreamId != "some-model")
            throw new InvalidOperationException("discovery against the bench upstream did not fill the catalog");
        var without = await plainResolver.ResolveAsync("some-model", "bench-backend-key", CancellationToken.None);

        var rounds = quick ? 3 : 7;
        var resolveOps = quick ? 20_000 : 200_000;
        var translateOps = quick ? 200 : 2_000;

        using var document = JsonDocument.Parse(claudeCodeBody);
        var request = MessagesRequest.Parse(document.RootElement);
        var toolNames = new ToolNameMapper(options.Value.ToolNameMap);
        using var buffer = new PooledBufferWriter(claudeCodeBody.Length);

        var catalogResolve = await BestOfAsync(rounds, resolveOps, () => catalogResolver.ResolveAsync("Some-Model", "bench-backend-key", CancellationToken.None));
        var plainResolve = await BestOfAsync(rounds, resolveOps, () => plainResolver.ResolveAsync("some-model", "bench-backend-key", CancellationToken.None));
        var parse = BestOf(rounds, translateOps, () =>
        {
            using var d = JsonDocument.Parse(claudeCodeBody);
            MessagesRequest.Parse(d.RootElement);
        });
        var translateWith = BestOf(rounds, translateOps, () => Translate(request, withCapabilities, options.Value, toolNames, buffer));
        var translateWithout = BestOf(rounds, translateOps, () => Translate(request, without, options.Value, toolNames, buffer));
        return new Figures(catalogResolve, plainResolve, parse, translateWith, translateWithout, buffer.WrittenCount);
    }

    private static void Translate(MessagesRequest request, ResolvedModel model, ProxyOptions options, IToolNameMapper toolNames, PooledBufferWriter buffer)
    {
        buffer.Clear();
        using var writer = new Utf8JsonWriter(buffer, AnthropicJson.WriterOptions);
        new ChatRequestWriter(request, model, options.DropBillingHeader, toolNames).Write(writer, request.Stream);
    }

    /// <summary>Microseconds per operation: the fastest of several rounds (the machine is shared; the minimum is the
    /// cost, the rest is interference).</summary>
    private static double BestOf(int rounds, int ops, Action action)
    {
        for (var i = 0; i < ops; i++) action(); // warm-up: tiered JIT
        var best = double.MaxValue;
        for (var r = 0; r < rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < ops; i++) action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / ops);
        }
        return best;
    }

    private static async Task<double> BestOfAsync(int rounds, int ops, Func<ValueTask<ResolvedModel>> action)
    {
        for (var i = 0; i < ops; i++) await action();
        var best = double.MaxValue;
        for (var r = 0; r < rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < ops; i++) await action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / ops);
        }
        return best;
    }
}
