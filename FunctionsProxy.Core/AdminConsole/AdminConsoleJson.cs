using System.Text.Json.Serialization;

namespace FunctionsProxy.AdminConsole;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AdminStatus))]
internal sealed partial class AdminConsoleJson : JsonSerializerContext;
