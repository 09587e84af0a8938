using FunctionsProxy.Anthropic;
using FunctionsProxy.Catalog;
using FunctionsProxy.Configuration;
using FunctionsProxy.Diagnostics;
using FunctionsProxy.Errors;
using FunctionsProxy.ModelFamilies;
using FunctionsProxy.Security;
using FunctionsProxy.Tokens;
using FunctionsProxy.Translation;
using FunctionsProxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsProxy.Endpoints;

/// <summary><c>POST /v1/messages/count_tokens</c>: <c>{"input_tokens": N}</c> counted locally; never a chat call.
/// The body is validated as for <c>/v1/messages</c> (without <c>max_tokens</c>); counting stops when the client goes away.</summary>
public sealed class CountTokensEndpoint(IClientAuthenticator authenticator, TokenCounter counter, BackendTokenCounter backend, IModelResolver resolver,
    BackendCredentials credentials, IOptions<ProxyOptions> options, ILogger<CountTokensEndpoint> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        try
        {
            var auth = await authenticator.AuthenticateAsync(context, ct).ConfigureAwait(false);
            if (auth.Error is { } error)
            {
                await AnthropicErrorWriter.WriteAsync(context, error, ct).ConfigureAwait(false);
                return;
            }
            using var body = await RequestBody.ReadAsync(context.Request, options.Value.MaxRequestBodyBytes, ct).ConfigureAwait(false);
            var request = MessagesRequest.Parse(body.Document.RootElement, requireMaxTokens: false, logger);
            int? fromBackend = null;
            if (options.Value.CountTokensMode == "backend")
            {
                var (bearer, _) = await credentials.SelectAsync(auth.Client!, ct).ConfigureAwait(false);
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
        catch (ProxyErrorException e)
        {
            await AnthropicErrorWriter.WriteAsync(context, e.Error, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception e)
        {
            // A defect, not bad input (validation catches that): still an Anthropic-shaped answer, never an empty 500.
            ProxyLog.Unexpected(logger, context.Request.Path, SecretScrubber.From(context).Scrub(e.ToString(), context, SecretScrubber.MaxLoggedDetailChars));
            await AnthropicErrorWriter.WriteAsync(context, ProxyError.Api("The proxy failed to count the tokens of the request."), ct).ConfigureAwait(false);
        }
    }
}
