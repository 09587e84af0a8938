using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FunctionsProxy.Anthropic;
using FunctionsProxy.Tokens;

namespace FunctionsProxy.Bench;

/// <summary>
/// <c>bench count-tokens [--max-kb N]</c>: CPU time of the local <c>count_tokens</c> count for pathological strings
/// (one long run without spaces, as a tool input and as text) at doubling sizes. Linear cost shows as a constant
/// µs/KB column; a tokenizer that is quadratic in the length of one pre-token shows as a column that doubles.
/// </summary>
internal static class CountTokensBench
{
    public static int Run(string[] args)
    {
        var maxKb = args.Length >= 2 && args[0] == "--max-kb" ? int.Parse(args[1]) : 200;
        var counter = new TokenCounter();
        Measure(counter, "warm-up", "text", "a", 4, print: false);
        Console.WriteLine($"{"string",-22} {"where",-10} {"KB",6} {"tokens",8} {"cpu ms",9} {"µs/KB",8}");
        foreach (var (name, unit) in new[] { ("backslashes", "\\\\"), ("letter a", "a"), ("digits", "7"), ("emoji", "😀"), ("base64-like", "Zm9vYmFy+/"), ("quotes", "\\\"") })
        {
            foreach (var where in new[] { "tool-input", "text" })
            {
                for (var kb = 25; kb <= maxKb; kb *= 2)
                    Measure(counter, name, where, unit, kb, print: true);
            }
        }

        return 0;
    }

    private static void Measure(TokenCounter counter, string name, string where, string unit, int kb, bool print)
    {
        var repeat = Math.Max(1, kb * 1024 / Encoding.UTF8.GetByteCount(unit));
        var s = new StringBuilder(unit.Length * repeat).Insert(0, unit, repeat).ToString();
        var body = where == "text"
            ? $$"""{"model":"m","messages":[{"role":"user","content":"{{s}}"}]}"""
            : $$$"""{"model":"m","messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"{{{s}}}"}}]}]}""";
        using var doc = JsonDocument.Parse(body);
        var request = MessagesRequest.Parse(doc.RootElement, requireMaxTokens: false);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var tokens = counter.Count(request, CancellationToken.None);
        var ms = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        if (print) Console.WriteLine($"{name,-22} {where,-10} {kb,6} {tokens,8} {ms,9:0.0} {ms * 1000 / kb,8:0}");
    }
}
