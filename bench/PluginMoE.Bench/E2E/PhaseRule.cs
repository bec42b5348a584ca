// When an end-to-end worker's phase (training steps, prefills, decode calls) has warmed up and when it has timed enough
// calls: the one rule the three frameworks' workers follow (tools/bench/torch_reference.py --e2e reads the same numbers
// from its command line). BCL only: tests/PluginMoE.Bench.Tests compiles this file.
using System.Globalization;

namespace PluginMoE.Bench.E2E;

/// <summary>
/// Warm-up runs until at least <see cref="WarmupCalls"/> calls AND <see cref="WarmupSeconds"/> seconds, or, for calls so
/// long that this would take long, until the process has spent <see cref="CapSeconds"/> CPU seconds (all its threads) on
/// the phase AND made at least <see cref="CapCalls"/> calls. Then calls are timed until at least <see cref="TimedCalls"/>
/// calls AND <see cref="TimedSeconds"/> seconds.
/// </summary>
/// <remarks>
/// Why these numbers (<see cref="Full"/>): .NET runs a method's first calls as tier-0 code (unoptimised and, with
/// tiered PGO, instrumented) and recompiles it optimised in the background after 30 calls, counting only once no new
/// method has been compiled for 100 ms; a loop that runs long is switched over mid-call (on-stack replacement). So a
/// fresh process needs tens of calls of each phase: 30 calls and 2 s. A training step of the small model takes 0.5-3 s
/// on 2 cores and calls every kernel hundreds of times (per layer, expert, forward and backward), so 5 such steps and
/// 10 CPU seconds should have every kernel at tier 1 (an expectation: <c>--trace</c> showed the flattening on the tiny
/// model, where the first steps cost 3-4x the steady one, but was not yet run on the small one); that cap keeps the end-to-end part of a round at about 15 minutes (estimated). The cap counts CPU time, not wall time, so
/// that a busy machine (where a call's wall time stretches while the process waits for a core) does not cut the warm-up
/// short. PyTorch and TorchSharp get the same rule (their warm-up is their allocator's caches and the OpenMP/BLAS
/// thread pools).
/// </remarks>
internal sealed record PhaseRule(int WarmupCalls, double WarmupSeconds, double CapSeconds, int CapCalls, int TimedCalls, double TimedSeconds)
{
    /// <summary>The suite's measurement rule: warm-up 30 calls and 2 s (or 10 CPU s and 5 calls), then 5 calls and 2 s timed.</summary>
    public static readonly PhaseRule Full = new(30, 2, 10, 5, 5, 2);

    /// <summary><c>--quick</c>, a check rather than a measurement: 2 warm-up calls, 2 timed calls, no time minimum.</summary>
    public static readonly PhaseRule Quick = new(2, 0, 0, 2, 2, 0);

    /// <summary>True once <paramref name="calls"/> warm-up calls taking <paramref name="seconds"/> (wall) and
    /// <paramref name="cpuSeconds"/> (the process's CPU time, all threads) in all are enough.</summary>
    public bool WarmedUp(int calls, double seconds, double cpuSeconds) =>
        (calls >= WarmupCalls && seconds >= WarmupSeconds) || (calls >= CapCalls && cpuSeconds >= CapSeconds);

    /// <summary>True once <paramref name="calls"/> timed calls taking <paramref name="seconds"/> in all are enough for the median.</summary>
    public bool TimedEnough(int calls, double seconds, double cpuSeconds) => calls >= TimedCalls && seconds >= TimedSeconds;

    /// <summary>This rule with at least <paramref name="calls"/> timed calls (the suite's <c>--steps</c>).</summary>
    public PhaseRule WithTimedCalls(int calls) => this with { TimedCalls = calls };

    /// <summary>The worker options that carry this rule (the same for the .NET workers and the PyTorch script).</summary>
    public IEnumerable<string> Args()
    {
        static string S(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        return ["--warmup", WarmupCalls.ToString(CultureInfo.InvariantCulture), "--warmup-s", S(WarmupSeconds), "--cap-s", S(CapSeconds),
            "--cap-calls", CapCalls.ToString(CultureInfo.InvariantCulture), "--steps", TimedCalls.ToString(CultureInfo.InvariantCulture), "--timed-s", S(TimedSeconds)];
    }

    /// <summary>The rule as one line for the suite's header.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"warm-up >= {WarmupCalls} calls and >= {WarmupSeconds:0.#} s (or >= {CapSeconds:0.#} CPU s and >= {CapCalls} calls), then >= {TimedCalls} timed calls and >= {TimedSeconds:0.#} s, per phase");

    /// <summary>
    /// Parses the option <paramref name="name"/> of <see cref="Args"/> into a copy of this rule; false when
    /// <paramref name="name"/> is not one of them.
    /// </summary>
    public bool TryApply(string name, string value, out PhaseRule rule)
    {
        int I() => int.Parse(value, CultureInfo.InvariantCulture);
        double D() => double.Parse(value, CultureInfo.InvariantCulture);
        rule = name switch
        {
            "--warmup" => this with { WarmupCalls = I() },
            "--warmup-s" => this with { WarmupSeconds = D() },
            "--cap-s" => this with { CapSeconds = D() },
            "--cap-calls" => this with { CapCalls = I() },
            "--steps" => this with { TimedCalls = I() },
            "--timed-s" => this with { TimedSeconds = D() },
            _ => this,
        };
        return name is "--warmup" or "--warmup-s" or "--cap-s" or "--cap-calls" or "--steps" or "--timed-s";
    }
}
