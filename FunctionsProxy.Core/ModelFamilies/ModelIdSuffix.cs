namespace FunctionsProxy.ModelFamilies;

/// <summary>Model-id suffixes that mean "thinking on": <c>:thinking</c>, <c>:think</c>, <c>:reasoning</c>, <c>:reason</c>
/// (any case, e.g. Chutes' <c>:THINKING</c>). They are stripped before the id goes upstream.</summary>
public static class ModelIdSuffix
{
    private static readonly string[] Suffixes = [":thinking", ":think", ":reasoning", ":reason"];

    public static bool TryStrip(string id, out string stripped)
    {
        foreach (var suffix in Suffixes)
        {
            if (id.Length > suffix.Length && id.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                stripped = id[..^suffix.Length];
                return true;
            }
        }
        stripped = id;
        return false;
    }
}
