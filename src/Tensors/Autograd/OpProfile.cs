// Op-level profiler (issue #12): where the non-GEMM part of a training step goes, per op. With PLUGINMOE_PROFILE_OPS=1 in
// the environment (or OpProfile.Enabled set) the engine sums, per node name, the wall and process CPU time of each backward
// rule; a forward op is charged the time from the previous mark to the creation of its node (its kernels plus the model
// code since the previous recorded op); optimizer steps are timed per optimizer. Off (the default) it costs one static
// bool test per recorded op and per backward rule.
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PluginMoE.Tensors.Autograd;

/// <summary>
/// Sums wall and CPU time per op: <c>fwd:</c> keys for forward ops (the time since the previous mark, taken when the op
/// records its node, so work done without recording, e.g. under no_grad, is charged to the next recorded op),
/// <c>bwd:</c> keys for backward rules (the rule's call only), <c>engine:</c> for the engine's work between rules (gradient
/// accumulation, releases), and <c>optim:</c> for optimizer steps. CPU time is
/// the whole process's (every worker thread), so it is meaningful only when nothing else runs in the process.
/// </summary>
internal static class OpProfile
{
    /// <summary>Whether timing is on; read once from <c>PLUGINMOE_PROFILE_OPS</c> ("1" turns it on), settable.</summary>
    public static bool Enabled = Environment.GetEnvironmentVariable("PLUGINMOE_PROFILE_OPS") == "1";

    private static readonly object Gate = new();
    private static readonly Dictionary<string, (long Calls, long WallTicks, long CpuTicks)> Totals = new(StringComparer.Ordinal);
    private static long _markWall;
    private static long _markCpu;

    /// <summary>A point in time: wall clock (Stopwatch ticks) and process CPU time (TimeSpan ticks).</summary>
    public readonly record struct Stamp(long Wall, long Cpu);

    /// <summary>The current wall clock and process CPU time.</summary>
    public static Stamp Now() => new(Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime.Ticks);

    /// <summary>Starts the forward interval now (call where the attribution of forward time should restart).</summary>
    public static void Mark()
    {
        var now = Now();
        lock (Gate) { _markWall = now.Wall; _markCpu = now.Cpu; }
    }

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="key"/>.</summary>
    public static void Add(string key, Stamp start)
    {
        var now = Now();
        lock (Gate) AddLocked(key, now.Wall - start.Wall, now.Cpu - start.Cpu);
    }

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="key"/> and moves the forward mark to now.</summary>
    public static void AddAndMark(string key, Stamp start)
    {
        var now = Now();
        lock (Gate)
        {
            AddLocked(key, now.Wall - start.Wall, now.Cpu - start.Cpu);
            _markWall = now.Wall;
            _markCpu = now.Cpu;
        }
    }

    /// <summary>Charges the time since the last mark to <paramref name="key"/> and moves the mark to now.</summary>
    public static void ChargeSinceMark(string key)
    {
        var now = Now();
        lock (Gate)
        {
            if (_markWall != 0) AddLocked(key, now.Wall - _markWall, now.Cpu - _markCpu);
            _markWall = now.Wall;
            _markCpu = now.Cpu;
        }
    }

    private static void AddLocked(string key, long wall, long cpu)
    {
        var (c, w, u) = Totals.GetValueOrDefault(key);
        Totals[key] = (c + 1, w + wall, u + cpu);
    }

    /// <summary>Forgets the totals and the mark.</summary>
    public static void Reset()
    {
        lock (Gate)
        {
            Totals.Clear();
            _markWall = 0;
            _markCpu = 0;
        }
    }

    /// <summary>The totals so far: key, calls, wall ms, CPU ms; largest CPU time first.</summary>
    public static List<(string Key, long Calls, double WallMs, double CpuMs)> Snapshot()
    {
        lock (Gate)
            return Totals.Select(kv => (kv.Key, kv.Value.Calls, kv.Value.WallTicks * 1000.0 / Stopwatch.Frequency, kv.Value.CpuTicks / (double)TimeSpan.TicksPerMillisecond))
                .OrderByDescending(r => r.Item4).ThenByDescending(r => r.Item3).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The totals as one JSON object: per key {calls, wall_ms, cpu_ms}, each divided by <paramref name="perSteps"/> (e.g.
    /// the number of training steps profiled), at most <paramref name="top"/> keys, largest CPU time first.
    /// </summary>
    public static string ToJson(int perSteps = 1, int top = int.MaxValue)
    {
        if (perSteps < 1) throw new ArgumentOutOfRangeException(nameof(perSteps), perSteps, "OpProfile.ToJson: perSteps must be >= 1");
        var rows = Snapshot();
        var sb = new StringBuilder("{");
        static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        sb.Append(CultureInfo.InvariantCulture, $"\"per_steps\":{perSteps},\"total_wall_ms\":{Num(rows.Sum(r => r.WallMs) / perSteps)},\"total_cpu_ms\":{Num(rows.Sum(r => r.CpuMs) / perSteps)},\"ops\":{{");
        bool first = true;
        foreach (var r in rows.Take(top))
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append(CultureInfo.InvariantCulture,
                $"\"{r.Key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\":{{\"calls\":{Num(r.Calls / (double)perSteps)},\"wall_ms\":{Num(r.WallMs / perSteps)},\"cpu_ms\":{Num(r.CpuMs / perSteps)}}}");
        }
        return sb.Append("}}").ToString();
    }
}
