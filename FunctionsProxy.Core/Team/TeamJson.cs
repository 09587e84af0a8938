using System.Text.Json.Serialization;
using FunctionsProxy.Metering;

namespace FunctionsProxy.Team;

internal sealed class KeyFile
{
    public List<ProxyKeyRecord> Keys { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KeyFile))]
[JsonSerializable(typeof(KeyInfo))]
[JsonSerializable(typeof(List<KeyInfo>))]
[JsonSerializable(typeof(CreatedKey))]
[JsonSerializable(typeof(List<UsageRow>))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(KeyLimits))]
internal sealed partial class TeamJson : JsonSerializerContext;
