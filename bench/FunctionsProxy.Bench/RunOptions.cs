using System.Globalization;

namespace FunctionsProxy.Bench;

/// <summary>
/// Narrowing and variants of the full run: <c>--bodies claude-code</c> (comma list), <c>--levels 32</c> (comma list
/// of concurrencies instead of 1 and <c>--concurrency</c>), <c>--proxy-env K=V</c> (repeatable: e.g. a GC setting for
/// the proxy under test), <c>--baseline-dll PATH</c> with <c>--baseline-env K=V</c> (a second proxy build loaded in
/// the same run, so before/after ratios share the machine's conditions), <c>--prewarm 8s</c> (load every server with
/// both Claude Code bodies before the measured runs, so all of them are past the JIT's tiering; 0 with --quick),
/// <c>--yarp-env K=V</c> (repeatable: the same runtime setting for the YARP hop, so a knob that helps any .NET proxy is
/// not counted as the proxy's own gain).
/// </summary>
internal sealed record RunOptions(string[]? Bodies, int[]? Levels, IReadOnlyDictionary<string, string> ProxyEnv, string? BaselineDll, IReadOnlyDictionary<string, string> BaselineEnv,
    TimeSpan? Prewarm = null, IReadOnlyDictionary<string, string>? YarpEnv = null)
{
    public static RunOptions From(string[] args) => new(
        Args.Value(args, "--bodies")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        Args.Value(args, "--levels")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray(),
        Env(args, "--proxy-env"),
        Args.Value(args, "--baseline-dll"),
        Env(args, "--baseline-env"),
        Args.Value(args, "--prewarm") is { } p ? Args.Duration(p) : null,
        Env(args, "--yarp-env"));

    private static Dictionary<string, string> Env(string[] args, string name)
    {
        var env = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] != name) continue;
            var kv = args[i + 1];
            var eq = kv.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"{name} expects KEY=VALUE, got '{kv}'");
            env[kv[..eq]] = kv[(eq + 1)..];
        }
        return env;
    }
}
