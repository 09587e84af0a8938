using System.Globalization;
using FunctionsProxy.Team;

namespace FunctionsProxy.Local.Cli;

/// <summary>
/// The limit options shared by <c>keys create</c> and <c>keys limits</c> (local and remote): <c>--rpm</c>,
/// <c>--tokens-per-day</c> (positive integers), <c>--usd-per-day</c>, <c>--usd-per-month</c> (positive USD amounts);
/// with <c>keys limits</c> the value <c>none</c> removes a limit and an option not given keeps the current one.
/// </summary>
internal static class KeysLimits
{
    public static readonly string[] OptionNames = ["rpm", "tokens-per-day", "usd-per-day", "usd-per-month"];

    public const string Error = "--rpm and --tokens-per-day take a positive integer, --usd-per-day and --usd-per-month a positive amount (or 'none' with 'keys limits').";

    /// <summary>Applies the given options on top of <paramref name="current"/>; false on a bad value.</summary>
    public static bool TryApply(IReadOnlyDictionary<string, string> options, KeyLimits current, bool allowNone, out KeyLimits result)
    {
        result = current;
        var ok = true;
        var rpm = Integer("rpm", current.RequestsPerMinute);
        var tpd = Integer("tokens-per-day", current.TokensPerDay);
        var usdDay = Amount("usd-per-day", current.UsdPerDay);
        var usdMonth = Amount("usd-per-month", current.UsdPerMonth);
        result = new KeyLimits(rpm, tpd, usdDay, usdMonth);
        return ok;

        long? Integer(string name, long? keep)
        {
            if (!options.TryGetValue(name, out var text)) return keep;
            if (allowNone && text == "none") return null;
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
            ok = false;
            return keep;
        }

        decimal? Amount(string name, decimal? keep)
        {
            if (!options.TryGetValue(name, out var text)) return keep;
            if (allowNone && text == "none") return null;
            if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
            ok = false;
            return keep;
        }
    }

    public static KeyLimits Of(KeyInfo k) => new(k.RequestsPerMinute, k.TokensPerDay, k.UsdPerDay, k.UsdPerMonth);

    /// <summary>"60 rpm, 2000000 tok/day, $5/day, $100/month" or "none".</summary>
    public static string Describe(long? rpm, long? tokensPerDay, decimal? usdPerDay, decimal? usdPerMonth)
    {
        var parts = new List<string>();
        if (rpm is { } r) parts.Add(r.ToString(CultureInfo.InvariantCulture) + " rpm");
        if (tokensPerDay is { } t) parts.Add(t.ToString(CultureInfo.InvariantCulture) + " tok/day");
        if (usdPerDay is { } d) parts.Add("$" + d.ToString("0.##", CultureInfo.InvariantCulture) + "/day");
        if (usdPerMonth is { } m) parts.Add("$" + m.ToString("0.##", CultureInfo.InvariantCulture) + "/month");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    /// <summary>A cost for the usage table: USD with 6 decimals, or "-" when the model's price is unknown.</summary>
    public static string Cost(decimal? usd) => usd is { } v ? v.ToString("0.000000", CultureInfo.InvariantCulture) : "-";
}
