namespace FunctionsProxy.Security;

/// <summary>Secrets the server holds besides the backend key (e.g. the admin key), given to <see cref="SecretScrubber"/>
/// by the parts that own them, so Security need not know their settings.</summary>
public sealed class KnownSecretsOptions
{
    public List<string?> Secrets { get; } = [];
}
