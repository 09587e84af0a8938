using System.Collections.Concurrent;
using System.Threading.Channels;
using FunctionsProxy.Tools.FunctionsHost.Rpc;
using Grpc.Core;

namespace FunctionsProxy.Tools.FunctionsHost;

/// <summary>
/// The host end of the worker's <c>EventStream</c>: checks StartStream's worker id, sends WorkerInit, asks for the
/// function metadata, loads every function, then carries invocations and their responses. One worker per host.
/// </summary>
internal sealed class WorkerChannel(string workerId, string appDirectory, Action<string> log)
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new();
    private readonly TaskCompletionSource<IReadOnlyList<RpcFunctionMetadata>> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<RpcFunctionMetadata> _functions = [];
    private int _pendingLoads;

    public IReadOnlyDictionary<string, string> WorkerCapabilities { get; private set; } = new Dictionary<string, string>();

    /// <summary>Completes with the loaded functions once every FunctionLoadResponse arrived.</summary>
    public Task<IReadOnlyList<RpcFunctionMetadata>> Ready => _ready.Task;

    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> requests, IServerStreamWriter<StreamingMessage> responses, CancellationToken ct)
    {
        if (!await requests.MoveNext(ct) || requests.Current.StartStream is not { } start)
            throw new Grpc.Core.RpcException(new Status(StatusCode.InvalidArgument, "StartStream must come first"));
        if (start.WorkerId != workerId)
            throw new Grpc.Core.RpcException(new Status(StatusCode.PermissionDenied, "unknown worker id " + start.WorkerId));

        var writer = Task.Run(async () =>
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(ct)) await responses.WriteAsync(message, ct);
        }, ct);
        Send(new StreamingMessage
        {
            WorkerInitRequest = new WorkerInitRequest { HostVersion = "4.0.0-standin", WorkerDirectory = appDirectory, FunctionAppDirectory = appDirectory },
        });

        try
        {
            while (await requests.MoveNext(ct)) Handle(requests.Current);
        }
        finally
        {
            _outbound.Writer.TryComplete();
            var gone = new IOException("the worker's event stream ended");
            _ready.TrySetException(gone);
            foreach (var pending in _invocations.Values) pending.TrySetException(gone);
        }
        await writer;
    }

    private void Handle(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.WorkerInitResponse:
                var init = message.WorkerInitResponse;
                if (init.Result?.Status != StatusResult.Types.Status.Success) { Fail("WorkerInit", init.Result); return; }
                WorkerCapabilities = init.Capabilities.ToDictionary();
                Send(new StreamingMessage { FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory } });
                break;
            case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                var metadata = message.FunctionMetadataResponse;
                if (metadata.Result?.Status != StatusResult.Types.Status.Success || metadata.UseDefaultMetadataIndexing) { Fail("FunctionsMetadata", metadata.Result); return; }
                _functions.AddRange(metadata.FunctionMetadataResults);
                _pendingLoads = _functions.Count;
                // The metadata goes back as it came: fields this proto does not declare travel as unknown fields.
                foreach (var f in _functions)
                    Send(new StreamingMessage { FunctionLoadRequest = new FunctionLoadRequest { FunctionId = f.FunctionId, Metadata = f } });
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                var load = message.FunctionLoadResponse;
                if (load.Result?.Status != StatusResult.Types.Status.Success) { Fail("FunctionLoad " + load.FunctionId, load.Result); return; }
                if (Interlocked.Decrement(ref _pendingLoads) == 0) _ready.TrySetResult(_functions);
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                if (_invocations.TryRemove(message.InvocationResponse.InvocationId, out var pending)) pending.TrySetResult(message.InvocationResponse);
                break;
            case StreamingMessage.ContentOneofCase.RpcLog:
                var l = message.RpcLog;
                log($"[{l.Level}] {l.Category}: {l.Message}{(l.Exception is { } x ? " | " + x.Message : "")}");
                break;
        }
    }

    private void Fail(string step, StatusResult? result)
        => _ready.TrySetException(new InvalidOperationException($"{step} failed: {result?.Exception?.Message ?? result?.Result ?? "no result"}"));

    private void Send(StreamingMessage message) => _outbound.Writer.TryWrite(message);

    /// <summary>Sends an InvocationRequest; the task completes with the worker's InvocationResponse.</summary>
    public Task<InvocationResponse> InvokeAsync(InvocationRequest request)
    {
        var pending = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _invocations[request.InvocationId] = pending;
        Send(new StreamingMessage { InvocationRequest = request });
        return pending.Task;
    }

    public void Cancel(string invocationId) => Send(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocationId } });

    public void Terminate() => Send(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) } });
}

/// <summary>The gRPC service the worker connects to; hands the stream to the host's one <see cref="WorkerChannel"/>.</summary>
internal sealed class FunctionRpcService(WorkerChannel channel) : FunctionRpc.FunctionRpcBase
{
    public override Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
        => channel.RunAsync(requestStream, responseStream, context.CancellationToken);
}
