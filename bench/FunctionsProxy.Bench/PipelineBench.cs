using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Buffers;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Hosting;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Streaming;
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
        /// <summary>Bytes allocated per operation (GC.GetAllocatedBytesForCurrentThread over the best round).</summary>
        public long ParseBytes { get; init; }

        /// <summary>JsonDocument.Parse alone, and one Utf8JsonReader pass over the same bytes (the floor of any parse).</summary>
        public double DocumentOnlyUs { get; init; }
        public double ReaderOnlyUs { get; init; }
        public double OnePassCopyUs { get; init; }
        public long TranslateBytes { get; init; }

        /// <summary>The bench upstream's streamed answer (67 chunks) relayed as Anthropic SSE: reader, assembler, sink.</summary>
        public double RelayStreamUs { get; init; }

        /// <summary>The least any relay of the same answer costs: the SSE parser finding its events, nothing read
        /// inside them, translated or written.</summary>
        public double RelayFloorUs { get; init; }
        public long RelayStreamBytes { get; init; }
        public int RelayStreamOut { get; init; }

        /// <summary>The bench upstream's JSON answer read and written as one Anthropic message.</summary>
        public double RelayJsonUs { get; init; }
        public long RelayJsonBytes { get; init; }

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
        var (parse, parseBytes) = BestOf(rounds, translateOps, () =>
        {
            using var d = JsonDocument.Parse(claudeCodeBody);
            MessagesRequest.Parse(d.RootElement);
        });
        // The DOM alone: what a single forward pass with Utf8JsonReader would save at most on the request side.
        var (documentOnly, _) = BestOf(rounds, translateOps, () =>
        {
            using var d = JsonDocument.Parse(claudeCodeBody);
        });
        var (readerOnly, _) = BestOf(rounds, translateOps, () =>
        {
            var reader = new Utf8JsonReader(claudeCodeBody);
            while (reader.Read()) { }
        });
        // The least a one-pass translator (no DOM) could cost: every token read once by a validating reader and copied
        // to the writer as raw bytes, with no decision made about any of them.
        var (onePass, _) = BestOf(rounds, translateOps, () => CopyTokens(claudeCodeBody, buffer));
        var (translateWith, translateBytes) = BestOf(rounds, translateOps, () => Translate(request, withCapabilities, options.Value, toolNames, buffer));
        var (translateWithout, _) = BestOf(rounds, translateOps, () => Translate(request, without, options.Value, toolNames, buffer));
        var upstreamWritten = buffer.WrittenCount;

        byte[] sse = [.. FastUpstream.StreamFirst, .. FastUpstream.StreamRest];
        var relayOps = quick ? 500 : 5_000;
        using var output = new PooledBufferWriter(16 * 1024);
        var (relayStream, relayStreamBytes) = BestOf(rounds, relayOps, () => RelayStream(sse, output, toolNames));
        var streamOut = output.WrittenCount;
        var (relayFloor, _) = BestOf(rounds, relayOps, () => ReadChunks(sse));
        var (relayJson, relayJsonBytes) = BestOf(rounds, relayOps, () => RelayJson(FastUpstream.Completion, output, toolNames));
        return new Figures(catalogResolve, plainResolve, parse, translateWith, translateWithout, upstreamWritten)
        {
            ParseBytes = parseBytes,
            DocumentOnlyUs = documentOnly,
            ReaderOnlyUs = readerOnly,
            OnePassCopyUs = onePass,
            TranslateBytes = translateBytes,
            RelayStreamUs = relayStream,
            RelayStreamBytes = relayStreamBytes,
            RelayFloorUs = relayFloor,
            RelayStreamOut = streamOut,
            RelayJsonUs = relayJson,
            RelayJsonBytes = relayJsonBytes,
        };
    }

    /// <summary>What the endpoint does per streamed answer, minus the sockets: SSE chunks → assembler → SSE sink.</summary>
    private static void RelayStream(byte[] sse, PooledBufferWriter output, IToolNameMapper toolNames)
    {
        output.Clear();
        using var sink = new SseEventSink(output);
        var assembler = new MessageAssembler(sink, "some-model", toolNames, null, 12_000);
        assembler.Start();
        using var body = new MemoryStream(sse, writable: false);
        var chunks = UpstreamChunkReader.ReadAsync(body, null, reuseTextChunks: true, CancellationToken.None).GetAsyncEnumerator();
        // A MemoryStream completes synchronously: the enumerator never really waits.
        while (chunks.MoveNextAsync().AsTask().GetAwaiter().GetResult()) assembler.Accept(chunks.Current);
        chunks.DisposeAsync().AsTask().GetAwaiter().GetResult();
        assembler.Complete();
    }

    /// <summary>The floor of relaying <paramref name="sse"/>: its events found by the SSE parser, nothing read inside them.</summary>
    private static void ReadChunks(byte[] sse)
    {
        using var body = new MemoryStream(sse, writable: false);
        foreach (var _ in SseParser.Create(body, static (_, data) => data.Length).Enumerate())
        {
        }
    }

    /// <summary>What the endpoint does per JSON answer, minus the sockets: completion → aggregator → message JSON.</summary>
    private static void RelayJson(byte[] completion, PooledBufferWriter output, IToolNameMapper toolNames)
    {
        output.Clear();
        var aggregator = new MessageAggregator();
        var assembler = new MessageAssembler(aggregator, "some-model", toolNames, null, 12_000);
        using var body = new MemoryStream(completion, writable: false);
        assembler.Accept(UpstreamChunkReader.ReadCompletionAsync(body, CancellationToken.None).GetAwaiter().GetResult()!);
        assembler.Complete();
        using var writer = new Utf8JsonWriter(output, AnthropicJson.ValidatingWriterOptions);
        aggregator.WriteTo(writer);
    }

    private static void Translate(MessagesRequest request, ResolvedModel model, ProxyOptions options, IToolNameMapper toolNames, PooledBufferWriter buffer)
    {
        buffer.Clear();
        using var writer = new Utf8JsonWriter(buffer, AnthropicJson.WriterOptions);
        new ChatRequestWriter(request, model, options.DropBillingHeader, toolNames).Write(writer, request.Stream);
    }

    /// <summary>Reads <paramref name="json"/> token by token and writes each one unchanged (strings and numbers as their raw
    /// bytes): the floor of translating in one forward pass.</summary>
    private static void CopyTokens(byte[] json, PooledBufferWriter buffer)
    {
        buffer.Clear();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                case JsonTokenType.PropertyName: writer.WritePropertyName(reader.ValueSpan); break;
                case JsonTokenType.String: writer.WriteRawValue(json.AsSpan((int)reader.TokenStartIndex, (int)(reader.BytesConsumed - reader.TokenStartIndex)), skipInputValidation: true); break;
                default: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;
            }
        }
    }

    /// <summary>Microseconds per operation: the fastest of several rounds (the machine is shared; the minimum is the
    /// cost, the rest is interference).
    /// Bytes: allocated on this thread per operation (steady state, after the warm-up).</summary>
    private static (double Us, long Bytes) BestOf(int rounds, int ops, Action action)
    {
        for (var i = 0; i < ops; i++) action(); // warm-up: tiered JIT
        var best = double.MaxValue;
        var bytes = long.MaxValue;
        for (var r = 0; r < rounds; r++)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < ops; i++) action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMicroseconds / ops);
            bytes = Math.Min(bytes, (GC.GetAllocatedBytesForCurrentThread() - allocated) / ops);
        }
        return (best, bytes);
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
