namespace FunctionsProxy.Tools.FunctionsHost;

/// <summary>
/// Retries a forward to the worker that failed to be sent (<see cref="HttpRequestException"/>: a pooled connection the
/// worker had just closed, a listener not up yet), as the real host's forwarding handler does: up to 10 attempts,
/// 50 ms apart at first and at most 250 ms. Without it the request is lost and its invocation waits for it in vain.
/// </summary>
internal sealed class ForwardRetryHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    internal const int MaxAttempts = 10;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var delay = 50;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = Math.Min(delay * 2, 250);
            }
        }
    }
}
