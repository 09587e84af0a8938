using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FunctionsProxy.Errors;
using FunctionsProxy.Security;
using Microsoft.AspNetCore.Http;

namespace FunctionsProxy.Team;

/// <summary>
/// Key management over HTTP (<c>/_admin/keys</c>, <c>/_admin/usage</c>; Azure Functions reserves routes starting with
/// <c>admin</c>). Protected by the admin key (<c>x-api-key</c> or <c>Authorization: Bearer</c>, constant-time). When no
/// admin key is configured the admin surface does not exist: every admin route answers 404 <c>not_found_error</c>.
/// A wrong or missing admin key gets 401 <c>authentication_error</c>.
/// </summary>
public sealed class AdminEndpoints(KeyManager keys, IAdminKeyProvider adminKeys)
{
    public Task ListKeysAsync(HttpContext context) => Guarded(context, async ct =>
        await WriteAsync(context, 200, (await keys.ListAsync(ct).ConfigureAwait(false)).ToList(), TeamJson.Default.ListKeyInfo, ct).ConfigureAwait(false));

    public Task CreateKeyAsync(HttpContext context) => Guarded(context, async ct =>
    {
        CreateKeyRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, TeamJson.Default.CreateKeyRequest, ct).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            request = null;
        }
        if (request is null)
        {
            await AnthropicErrorWriter.WriteAsync(context, ProxyError.InvalidRequest("Body must be {\"name\":\"...\",\"requests_per_minute\":N?,\"tokens_per_day\":N?}."), ct).ConfigureAwait(false);
            return;
        }
        var result = await keys.CreateAsync(request, ct).ConfigureAwait(false);
        if (result.Error is not null) { await Fail(context, result.Status, result.Error, ct).ConfigureAwait(false); return; }
        await WriteAsync(context, 201, result.Value!, TeamJson.Default.CreatedKey, ct).ConfigureAwait(false);
    });

    public Task RevokeKeyAsync(HttpContext context, string name) => Guarded(context, async ct =>
    {
        var result = await keys.RevokeAsync(name, ct).ConfigureAwait(false);
        if (result.Error is not null) { await Fail(context, result.Status, result.Error, ct).ConfigureAwait(false); return; }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    });

    public Task RotateKeyAsync(HttpContext context, string name) => Guarded(context, async ct =>
    {
        var result = await keys.RotateAsync(name, ct).ConfigureAwait(false);
        if (result.Error is not null) { await Fail(context, result.Status, result.Error, ct).ConfigureAwait(false); return; }
        await WriteAsync(context, 200, result.Value!, TeamJson.Default.CreatedKey, ct).ConfigureAwait(false);
    });

    /// <summary><c>PUT /_admin/keys/{name}/limits</c>: replaces the key's quotas and budgets (absent or null = unlimited).</summary>
    public Task SetLimitsAsync(HttpContext context, string name) => Guarded(context, async ct =>
    {
        KeyLimits? limits;
        try
        {
            limits = await JsonSerializer.DeserializeAsync(context.Request.Body, TeamJson.Default.KeyLimits, ct).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            limits = null;
        }
        if (limits is null)
        {
            await AnthropicErrorWriter.WriteAsync(context, ProxyError.InvalidRequest("Body must be {\"requests_per_minute\":N?,\"tokens_per_day\":N?,\"usd_per_day\":N?,\"usd_per_month\":N?}."), ct).ConfigureAwait(false);
            return;
        }
        var result = await keys.SetLimitsAsync(name, limits, ct).ConfigureAwait(false);
        if (result.Error is not null) { await Fail(context, result.Status, result.Error, ct).ConfigureAwait(false); return; }
        await WriteAsync(context, 200, result.Value!, TeamJson.Default.KeyInfo, ct).ConfigureAwait(false);
    });

    public Task UsageAsync(HttpContext context) => Guarded(context, async ct =>
    {
        var name = context.Request.Query["name"].ToString() is { Length: > 0 } n ? n : null;
        var days = 1;
        if (context.Request.Query["days"].ToString() is { Length: > 0 } d && !int.TryParse(d, System.Globalization.CultureInfo.InvariantCulture, out days))
            days = -1;
        var result = await keys.UsageAsync(name, days, ct).ConfigureAwait(false);
        if (result.Error is not null) { await Fail(context, result.Status, result.Error, ct).ConfigureAwait(false); return; }
        await WriteAsync(context, 200, result.Value!.ToList(), TeamJson.Default.ListUsageRow, ct).ConfigureAwait(false);
    });

    /// <summary>Runs <paramref name="action"/> for a caller holding the admin key (404 without one configured, 401 for a wrong one).</summary>
    internal async Task Guarded(HttpContext context, Func<CancellationToken, Task> action)
    {
        var ct = context.RequestAborted;
        context.Response.Headers.CacheControl = "no-store";
        if (await adminKeys.GetAdminKeyAsync(ct).ConfigureAwait(false) is not { Length: > 0 } adminKey)
        {
            await AnthropicErrorWriter.WriteAsync(context, ProxyError.NotFound("Not found."), ct).ConfigureAwait(false);
            return;
        }
        var presented = Security.InboundCredential.Read(context.Request);
        if (presented is null || !ProxyKeys.SecretEquals(presented, adminKey))
        {
            await AnthropicErrorWriter.WriteAsync(context, ProxyError.Authentication("A valid admin key is required."), ct).ConfigureAwait(false);
            return;
        }
        await action(ct).ConfigureAwait(false);
    }

    private static Task Fail(HttpContext context, int status, string message, CancellationToken ct)
        => AnthropicErrorWriter.WriteAsync(context, status switch
        {
            404 => ProxyError.NotFound(message),
            409 => new ProxyError(409, ErrorTypes.InvalidRequest, message),
            _ => ProxyError.InvalidRequest(message),
        }, ct);

    private static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, ct).ConfigureAwait(false);
    }
}
