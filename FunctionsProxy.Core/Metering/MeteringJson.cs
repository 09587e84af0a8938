using System.Text.Json.Serialization;

namespace FunctionsProxy.Metering;

/// <summary>The usage file of <see cref="FileUsageStore"/>; the same layout as the keys file next to it.</summary>
internal sealed class UsageFile
{
    public List<UsageRow> Rows { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UsageFile))]
internal sealed partial class MeteringJson : JsonSerializerContext;
