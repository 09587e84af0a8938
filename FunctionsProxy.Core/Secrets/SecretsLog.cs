using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Secrets;

/// <summary>Log messages of the Key Vault cache: the secret's name and the failure's kind, never its value.</summary>
internal static partial class SecretsLog
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Reading Key Vault secret {SecretName} failed (status {Status}, {Reason}); {Fallback}")]
    public static partial void ReadFailed(ILogger logger, string secretName, int status, string reason, string fallback);
}
