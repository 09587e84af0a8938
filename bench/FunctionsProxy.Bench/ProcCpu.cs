using System.Globalization;

namespace FunctionsProxy.Bench;

/// <summary>
/// Reads a process's CPU time (utime + stime, fields 14 and 15 of <c>/proc/&lt;pid&gt;/stat</c>, all threads). The
/// servers under test are separate processes that compete for the same cores as the load generator, so CPU time per
/// request is the figure that stays comparable when req/s is limited by whoever else runs on the machine.
/// </summary>
internal static class ProcCpu
{
    // USER_HZ: /proc reports times in 1/100 s on every Linux architecture .NET runs on (the kernel converts from its
    // own HZ), so a 5 s run on 2 cores has ~1000 ticks to split: per-request figures are good to about 1 %.
    private const long TicksPerSecond = 100;

    public static TimeSpan Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) is fields[12].
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / (double)TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return TimeSpan.Zero;
        }
    }
}
