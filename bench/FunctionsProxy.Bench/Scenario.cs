namespace FunctionsProxy.Bench;

/// <summary>One body and kind at one concurrency, loaded through every target; <see cref="Baseline"/> is a second
/// proxy build (<c>--baseline-dll</c>) loaded in the same run, for before/after ratios.</summary>
internal sealed record Scenario(string Kind, string Body, RunResult Direct, RunResult Yarp, RunResult Proxy, RunResult? Baseline)
{
    public IEnumerable<RunResult> Runs => Baseline is null ? [Direct, Yarp, Proxy] : [Direct, Yarp, Proxy, Baseline];

    public void Deconstruct(out string kind, out string body, out RunResult direct, out RunResult yarp, out RunResult proxy)
        => (kind, body, direct, yarp, proxy) = (Kind, Body, Direct, Yarp, Proxy);
}
