// Wall-clock timing: warm up (JIT tiers, caches, buffers), then repeat and take the median.
using System.Diagnostics;

namespace PluginMoE.Bench;

internal static class Timing
{
    /// <summary>
    /// Median wall-clock milliseconds of one call of <paramref name="run"/>, and the mean process CPU milliseconds
    /// per call (all threads) and the fastest call (on a busy machine these two are steadier than the median).
    /// </summary>
    public static (double wallMs, double cpuMs, double minMs, GcStats gc) Measure(Action run, bool quick, int fixedReps = 0)
    {
        double warmupS = quick ? 0.1 : 0.5, budgetS = quick ? 0.3 : 1.5;
        int minReps = quick ? 3 : 7;
        var sw = Stopwatch.StartNew();
        do run(); while (fixedReps == 0 && sw.Elapsed.TotalSeconds < warmupS);
        if (fixedReps > 0) minReps = fixedReps;
        var times = new List<double>();
        sw.Restart();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var gc0 = GcStats.Now();
        while (times.Count < minReps || (fixedReps == 0 && sw.Elapsed.TotalSeconds < budgetS && times.Count < 1000))
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / times.Count;
        var gc = GcStats.Now().Minus(gc0).PerCall(times.Count);
        times.Sort();
        return (times[times.Count / 2], cpuMs, times[0], gc);
    }
}

/// <summary>
/// Memory counters of the process (totals from <see cref="Now"/>, or per call after <see cref="Minus"/> and
/// <see cref="PerCall"/>): bytes allocated by this thread, collections per generation, GC pause time. Unlike wall
/// time they do not depend on how busy the machine is.
/// </summary>
internal readonly record struct GcStats(double AllocatedBytes, double Gen0, double Gen1, double Gen2, double PauseMs)
{
    public static GcStats Now() => new(GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0), GC.CollectionCount(1),
        GC.CollectionCount(2), GC.GetTotalPauseDuration().TotalMilliseconds);

    public GcStats Minus(GcStats o) => new(AllocatedBytes - o.AllocatedBytes, Gen0 - o.Gen0, Gen1 - o.Gen1, Gen2 - o.Gen2, PauseMs - o.PauseMs);

    public GcStats PerCall(int calls) => new(AllocatedBytes / calls, Gen0 / calls, Gen1 / calls, Gen2 / calls, PauseMs / calls);

    /// <summary>The per-call figures as JSON fields.</summary>
    public string Json() =>
        $"\"alloc_mb\":{PluginMoE.Bench.Json.Num(AllocatedBytes / 1e6)},\"gcs\":{PluginMoE.Bench.Json.Num(Gen0)}," +
        $"\"gen2\":{PluginMoE.Bench.Json.Num(Gen2)},\"gc_pause_ms\":{PluginMoE.Bench.Json.Num(PauseMs)}";
}
