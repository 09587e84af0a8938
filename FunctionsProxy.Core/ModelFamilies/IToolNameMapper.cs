namespace FunctionsProxy.ModelFamilies;

/// <summary>Client tool names ⇄ upstream tool names for one request (TOOL_NAME_MAP, long-name shortening).</summary>
public interface IToolNameMapper
{
    string ToUpstream(string clientName);
    string ToClient(string upstreamName);
}
