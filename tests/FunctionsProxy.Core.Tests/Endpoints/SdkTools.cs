using System.Text.Json;
using Anthropic.Models.Messages;

namespace FunctionsProxy.Tests.Endpoints;

/// <summary>Tool definitions in the official SDK's types, shared by the SDK client tests.</summary>
public static class SdkTools
{
    public static Tool Bash() => new()
    {
        Name = "Bash",
        Description = "Run a shell command",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement>
            {
                ["command"] = JsonSerializer.SerializeToElement(new { type = "string" }),
                ["description"] = JsonSerializer.SerializeToElement(new { type = "string" }),
            },
            Required = ["command"],
        },
    };
}
