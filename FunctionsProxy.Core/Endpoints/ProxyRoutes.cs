namespace FunctionsProxy.Endpoints;

/// <summary>
/// The proxy's routes, one table for both hosts: the local host maps these templates and every Functions trigger names
/// one (<c>[HttpTrigger(..., Route = ProxyRoutes.Messages)]</c>). Written without a leading slash because Functions
/// routes are relative to host.json's <c>routePrefix</c> (empty here); ASP.NET Core reads the same template as rooted.
/// </summary>
public static class ProxyRoutes
{
    /// <summary>The site root, answered as health (clients probe <c>HEAD /</c>). An empty Functions route never
    /// matches and the host shows its home page instead, so the root is an optional parameter that only the empty
    /// path satisfies.</summary>
    public const string Root = "{root:maxlength(0)?}";

    public const string Health = "health";
    public const string Messages = "v1/messages";
    public const string CountTokens = "v1/messages/count_tokens";
    public const string Models = "v1/models";

    /// <summary>One model; a catch-all because backend ids contain '/'. <c>{*id}</c> rather than <c>{**id}</c>: the
    /// Functions host's template parser knows only the single-star form, and both decode the value alike.</summary>
    public const string Model = "v1/models/{*id}";

    public const string Schemas = "_schemas";
    public const string EventLogging = "api/event_logging/batch";

    // Key management and the admin console: not under "admin", which the Functions host reserves for itself.
    public const string AdminKeys = "_admin/keys";
    public const string AdminKey = "_admin/keys/{name}";
    public const string AdminRotateKey = "_admin/keys/{name}/rotate";
    public const string AdminKeyLimits = "_admin/keys/{name}/limits";
    public const string AdminUsage = "_admin/usage";
    public const string AdminConsole = "_admin";
    public const string AdminConsoleAsset = "_admin/assets/{name}";
    public const string AdminStatus = "_admin/status";
}
