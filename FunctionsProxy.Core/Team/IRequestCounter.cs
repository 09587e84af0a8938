namespace FunctionsProxy.Team;

/// <summary>Counts requests per key and UTC minute, shared by every instance that uses the same store.</summary>
public interface IRequestCounter
{
    /// <summary>Adds one request to (<paramref name="keyName"/>, <paramref name="minute"/>) and returns the new count.</summary>
    Task<long> IncrementAsync(string keyName, string minute, CancellationToken cancellationToken);
}
