using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Security;
using FunctionsProxy.Tokens;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary><c>POST /v1/messages/count_tokens</c>: <c>{"input_tokens": N}</c> counted locally; never a chat call.
/// The body is validated as for <c>/v1/messages</c> (without <c>max_tokens</c>); counting stops when the client goes away.</summary>
public sealed class CountTokensEndpoint(TokenCounter counter, BackendTokenCounter backend, IModelResolver resolver,
    BackendCredentials credentials, IOptions<ProxyOptions> options, ILogger<CountTokensEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context, ClientContext client)
    {
        var ct = context.RequestAborted;
        using var body = await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, ct).ConfigureAwait(false);
        var request = MessagesRequest.Parse(body.Document.RootElement, requireMaxTokens: false, logger);
        int? fromBackend = null;
        if (options.Value.CountTokensMode == "backend")
        {
            var (bearer, _) = await credentials.SelectAsync(client, ct).ConfigureAwait(false);
            var model = await resolver.ResolveAsync(request.Model, bearer, ct).ConfigureAwait(false);
            fromBackend = await backend.CountAsync(request, model, bearer, ct).ConfigureAwait(false);
        }
        var tokens = fromBackend ?? counter.Count(request, ct);
        await JsonResponse.WriteAsync(context, tokens, static (w, n) =>
        {
            w.WriteStartObject();
            w.WriteNumber("input_tokens"u8, n);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }
}
