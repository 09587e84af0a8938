using System.Text.Json;
using FunctionsProxy.Tools.FunctionsHost.Rpc;
using Microsoft.AspNetCore.Routing.Template;

namespace FunctionsProxy.Tools.FunctionsHost;

/// <summary>One loaded function as the host sees it: its trigger (from the worker's raw binding JSON) and, for HTTP
/// triggers, the methods and the route template matched against request paths.</summary>
internal sealed class FunctionRoute
{
    private readonly TemplateMatcher? _matcher;

    private FunctionRoute(RpcFunctionMetadata metadata, string triggerType, string triggerName, string[] methods, RouteTemplate? template)
    {
        Metadata = metadata;
        TriggerType = triggerType;
        TriggerName = triggerName;
        Methods = methods;
        Template = template;
        if (template is not null) _matcher = new TemplateMatcher(template, new RouteValueDictionary());
    }

    public RpcFunctionMetadata Metadata { get; }
    public string Name => Metadata.Name;
    public string FunctionId => Metadata.FunctionId;
    public string TriggerType { get; }

    /// <summary>The trigger binding's name: the parameter name the worker binds the trigger data to.</summary>
    public string TriggerName { get; }

    public string[] Methods { get; }
    public RouteTemplate? Template { get; }
    public bool IsHttp => Template is not null;

    public static FunctionRoute From(RpcFunctionMetadata metadata, string routePrefix)
    {
        foreach (var raw in metadata.RawBindings)
        {
            using var binding = JsonDocument.Parse(raw);
            var root = binding.RootElement;
            var type = root.GetProperty("type").GetString() ?? "";
            if (!type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase)) continue;
            var name = root.GetProperty("name").GetString()!;
            if (!type.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase)) return new FunctionRoute(metadata, type, name, [], null);
            var methods = root.TryGetProperty("methods", out var m) ? m.EnumerateArray().Select(x => x.GetString()!.ToUpperInvariant()).ToArray() : [];
            var route = root.TryGetProperty("route", out var r) && r.GetString() is { Length: > 0 } s ? s : metadata.Name;
            var full = string.IsNullOrEmpty(routePrefix) ? route : routePrefix.TrimEnd('/') + "/" + route;
            return new FunctionRoute(metadata, type, name, methods, TemplateParser.Parse(full));
        }
        throw new InvalidOperationException($"function {metadata.Name} has no trigger binding");
    }

    public bool TryMatch(string method, PathString path, RouteValueDictionary values)
        => _matcher is not null && (Methods.Length == 0 || Methods.Contains(method, StringComparer.OrdinalIgnoreCase)) && _matcher.TryMatch(path, values);

    /// <summary>Literal routes before parameterised ones, catch-alls last (ASP.NET Core's inbound precedence).</summary>
    public decimal Precedence => Template is null ? decimal.MaxValue : RoutePrecedence.ComputeInbound(Template);
}
