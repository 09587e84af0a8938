using Microsoft.Extensions.Logging;

namespace FunctionsProxy.Team;

/// <summary>Log messages of key management and the keys-mode gate: key names and display prefixes only, never a key.</summary>
internal static partial class TeamLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Created proxy key {KeyName} ({KeyPrefix}) in place of the revoked {OldKeyPrefix}")]
    public static partial void ReplacedRevoked(ILogger logger, string keyName, string keyPrefix, string oldKeyPrefix);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Created proxy key {KeyName} ({KeyPrefix})")]
    public static partial void Created(ILogger logger, string keyName, string keyPrefix);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Changed the limits of proxy key {KeyName}")]
    public static partial void LimitsChanged(ILogger logger, string? keyName);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Revoked proxy key {KeyName}")]
    public static partial void Revoked(ILogger logger, string? keyName);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Rotated proxy key {KeyName} ({KeyPrefix})")]
    public static partial void Rotated(ILogger logger, string? keyName, string keyPrefix);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Usage of key {KeyName} for model {Model} could not be recorded: {Reason}")]
    public static partial void UsageNotRecorded(ILogger logger, string keyName, string model, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "Key {KeyName} refused by quota: {Reason}")]
    public static partial void RefusedByQuota(ILogger logger, string keyName, string reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "Proxy key refused ({Reason})")]
    public static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Last-used time of key {KeyName} not saved: {Reason}")]
    public static partial void LastUsedNotSaved(ILogger logger, string keyName, string reason);
}
