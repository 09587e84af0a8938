using System.Collections.Frozen;
using System.Security.Cryptography;
using FunctionsProxy.Errors;
using FunctionsProxy.Security;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.AdminConsole;

/// <summary>
/// The team admin console: one HTML page, its script and its stylesheet, embedded in this assembly and served by the
/// app itself (nothing is fetched from elsewhere). Like the admin API it exists only when an admin key is configured
/// (404 otherwise). The page itself is public; every data call it makes carries the admin key in a header, so a
/// cookie-less design needs no CSRF defence, and a strict CSP allows only these same-origin files.
/// </summary>
public sealed class AdminConsoleEndpoint(IAdminKeyProvider adminKeys)
{
    /// <summary>Same-origin script, styles and data calls only; no inline code, no frames, no forms posting elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, Asset> Assets = new Dictionary<string, Asset>(StringComparer.Ordinal)
    {
        ["index.html"] = Asset.Load("index.html", "text/html; charset=utf-8"),
        ["console.js"] = Asset.Load("console.js", "text/javascript; charset=utf-8"),
        ["console.css"] = Asset.Load("console.css", "text/css; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Total bytes of the page and its assets (reported in docs and tests).</summary>
    public static long TotalBytes => Assets.Values.Sum(a => (long)a.Bytes.Length);

    /// <summary><c>GET /_admin/</c> (routing ignores the trailing slash, so both forms land here): <c>/_admin</c> is redirected to <c>/_admin/</c> so the page's relative URLs resolve under it.</summary>
    public Task PageAsync(HttpContext context)
    {
        if (!context.Request.Path.Value!.EndsWith('/'))
        {
            return Exists(context, () =>
            {
                context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
                context.Response.Headers.Location = context.Request.PathBase + context.Request.Path + "/";
                return Task.CompletedTask;
            });
        }

        return AssetAsync(context, "index.html");
    }

    /// <summary><c>GET /_admin/assets/{name}</c> for the script and stylesheet.</summary>
    public Task AssetAsync(HttpContext context, string name) => Exists(context, () =>
    {
        if (!Assets.TryGetValue(name, out var asset) || (name == "index.html" && context.Request.Path.Value!.Contains("/assets/", StringComparison.Ordinal)))
            return AnthropicErrorWriter.WriteAsync(context, ProxyError.NotFound("Not found."), context.RequestAborted);
        var response = context.Response;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Bytes.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(asset.Bytes, context.RequestAborted).AsTask();
    });

    private async Task Exists(HttpContext context, Func<Task> serve)
    {
        if (await adminKeys.GetAdminKeyAsync(context.RequestAborted).ConfigureAwait(false) is not { Length: > 0 })
        {
            context.Response.Headers.CacheControl = "no-store";
            await AnthropicErrorWriter.WriteAsync(context, ProxyError.NotFound("Not found."), context.RequestAborted).ConfigureAwait(false);
            return;
        }
        await serve().ConfigureAwait(false);
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag)
    {
        public static Asset Load(string name, string contentType)
        {
            using var stream = typeof(AdminConsoleEndpoint).Assembly.GetManifestResourceStream("AdminConsole/" + name)
                ?? throw new InvalidOperationException($"The admin console asset {name} is not embedded.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            return new Asset(bytes, contentType, "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"");
        }
    }
}
