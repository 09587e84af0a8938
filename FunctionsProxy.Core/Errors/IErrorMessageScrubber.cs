using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Errors;

/// <summary>
/// What every client-visible error message passes before <see cref="AnthropicErrorWriter"/> writes it. The proxy's
/// secret scrubber (<c>Security/SecretScrubber</c>) implements it; the writer only knows this contract, so the error
/// types stay below everything that raises errors.
/// </summary>
public interface IErrorMessageScrubber
{
    ProxyError Scrub(ProxyError error, HttpContext context);
}
