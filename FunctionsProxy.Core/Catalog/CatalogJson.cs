using System.Text.Json.Serialization;
using FunctionsProxy.ModelFamilies;

namespace FunctionsProxy.Catalog;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ModelCapabilities))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
