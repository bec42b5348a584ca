// Wall-clock timing: warm up (JIT tiers, caches, buffers), then repeat and take the median.
using System.Diagnostics;

namespace PluginMoE.Bench;

internal static class Timing
{
    /// <summary>
    /// Median wall-clock milliseconds of one call of <paramref name="run"/>, and the mean process CPU milliseconds
    /// per call (all threads) and the fastest call (on a busy machine these two are steadier than the median).
    /// </summary>
    public static (double wallMs, double cpuMs, double minMs) Measure(Action run, bool quick, int fixedReps = 0)
    {
        double warmupS = quick ? 0.1 : 0.5, budgetS = quick ? 0.3 : 1.5;
        int minReps = quick ? 3 : 7;
        var sw = Stopwatch.StartNew();
        do run(); while (fixedReps == 0 && sw.Elapsed.TotalSeconds < warmupS);
        if (fixedReps > 0) minReps = fixedReps;
        var times = new List<double>();
        sw.Restart();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        while (times.Count < minReps || (fixedReps == 0 && sw.Elapsed.TotalSeconds < budgetS && times.Count < 1000))
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / times.Count;
        times.Sort();
        return (times[times.Count / 2], cpuMs, times[0]);
    }
}
