namespace FunctionsProxy.Catalog;

/// <summary>Maps the client's model string to what the backend serves.</summary>
public interface IModelResolver
{
    /// <param name="requested">The client's model string.</param>
    /// <param name="backendCredential">The credential this request will use upstream; discovery may need it when the
    /// proxy holds no key of its own.</param>
    /// <param name="cancellationToken">The request's token.</param>
    ValueTask<ResolvedModel> ResolveAsync(string requested, string? backendCredential, CancellationToken cancellationToken);

    /// <summary>Called once after the backend answered 404 for <paramref name="model"/>: refresh what is known and
    /// return a corrected resolution, or null when nothing better is known (no retry then).</summary>
    ValueTask<ResolvedModel?> ResolveAfterNotFoundAsync(ResolvedModel model, string? backendCredential, CancellationToken cancellationToken);
}
