using System.Text.Json.Serialization;

namespace FunctionsProxy.Catalog;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelCapabilities))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
