// One end-to-end measurement in its own process: builds one model (config x router) in one framework at a thread count,
// warms each phase up to steady state and times it (training steps, then prefill and decode calls, PhaseRule), and prints
// one JSON line (tokens/s medians, peak RSS, allocation, and the cold cost: start-up, first step, first 10 steps).
using System.Diagnostics;
using System.Globalization;
using PluginMoE.Tensors.Torch.Native;

namespace PluginMoE.Bench.E2E;

internal static class Worker
{
    /// <summary>
    /// Runs <c>--e2e-worker FRAMEWORK --model M --router R --threads N</c> with the <see cref="PhaseRule"/> options
    /// (<c>--warmup --warmup-s --cap-s --cap-calls --steps --timed-s</c>; default <see cref="PhaseRule.Full"/>) and
    /// <c>--trace</c> (each call's wall and CPU ms on stderr): training steps warmed up and timed by the rule (peak RSS is
    /// read right after them, so it is the training peak of this process), then the inference form, prefills and decode
    /// calls by the same rule. The first training step and the first 10 are reported on their own (the cold cost), with
    /// the time from process start to the built model. Prints the result line; returns the exit code.
    /// </summary>
    public static int Run(string[] args)
    {
        string framework = args[0], model = "tiny", router = "linear";
        int threads = 2;
        bool trace = false, prefillOnly = false;
        var rule = PhaseRule.Full;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--router": router = args[++i]; break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--trace": trace = true; break;
                case "--prefill-only": prefillOnly = true; break;
                default:
                    if (i + 1 < args.Length && rule.TryApply(args[i], args[i + 1], out var r)) { rule = r; i++; break; }
                    throw new ArgumentException($"--e2e-worker: unknown option '{args[i]}'; options: --model, --router, --threads, --warmup, --warmup-s, --cap-s, --cap-calls, --steps, --timed-s, --trace, --prefill-only");
            }
        }
        var c = E2eConfig.Find(model);
        IE2eModel m;
        switch (framework)
        {
            case "ours":
                PluginMoE.Tensors.Backends.ParallelFor.Threads = threads;
                m = new OursModel(c, router);
                break;
            case "torchsharp":
                LoadLibTorch();
                TorchSharp.torch.set_num_threads(threads);
                m = new TorchSharpModel(c, router);
                break;
            default:
                throw new ArgumentException($"--e2e-worker: unknown framework '{framework}'; use ours or torchsharp");
        }
        using var self = Process.GetCurrentProcess();
        double initMs = (DateTime.Now - self.StartTime).TotalMilliseconds;

        if (prefillOnly) return PrefillOnly(m, c, framework, model, router, threads, rule, trace, self);
        var train = RunPhase("train", m.TrainStep, rule, trace, self);
        self.Refresh();
        double peakMb = self.PeakWorkingSet64 / 1e6;

        m.EnterInference();
        var prefill = RunPhase("prefill", m.Prefill, rule, trace, self);
        var decode = RunPhase("decode", m.DecodeCall, rule, trace, self);

        var all = train.Warmup.Concat(train.Timed).ToList();
        var line = new E2eResult(framework, model, router, threads)
        {
            TrainTokS = c.Tokens / (SuiteMath.Median(train.Timed.Select(t => t.WallMs)) / 1e3),
            PrefillTokS = c.Tokens / (SuiteMath.Median(prefill.Timed.Select(t => t.WallMs)) / 1e3),
            DecodeTokS = E2eConfig.Decode / (SuiteMath.Median(decode.Timed.Select(t => t.WallMs)) / 1e3),
            TrainCpuMs = train.Timed.Average(t => t.CpuMs),
            PeakRssMb = peakMb,
            AllocMbPerStep = m.ReportsAllocations ? train.Gc.AllocatedBytes / 1e6 : null,
            GcsPerStep = m.ReportsAllocations ? train.Gc.Gen0 : null,
            InitMs = initMs,
            FirstStepMs = all[0].WallMs,
            First10Ms = all.Count >= 10 ? all.Take(10).Average(t => t.WallMs) : null,
            First10CpuMs = all.Count >= 10 ? all.Take(10).Average(t => t.CpuMs) : null,
            WarmupSteps = train.Warmup.Count,
        };
        Console.WriteLine(line.ToJson());
        return 0;
    }

    /// <summary>
    /// <c>--prefill-only</c>: no training; the inference form's prefill calls by the rule, printed as one JSON line with
    /// tokens/s (median wall), process CPU ms per call (median and best) and managed allocation per call, for profiling the prefill alone.
    /// </summary>
    private static int PrefillOnly(IE2eModel m, E2eConfig c, string framework, string model, string router, int threads, PhaseRule rule, bool trace, Process self)
    {
        m.EnterInference();
        var p = RunPhase("prefill", m.Prefill, rule, trace, self);
        var cpu = p.Timed.Select(t => t.CpuMs).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"e2e\":\"prefill\",\"framework\":\"{framework}\",\"model\":\"{model}\",\"router\":\"{router}\",\"threads\":{threads},\"calls\":{p.Timed.Count},\"prefill_tok_s\":{c.Tokens / (SuiteMath.Median(p.Timed.Select(t => t.WallMs)) / 1e3):F0},\"cpu_ms_median\":{SuiteMath.Median(cpu):F2},\"cpu_ms_best\":{cpu.Min():F2},\"wall_ms_median\":{SuiteMath.Median(p.Timed.Select(t => t.WallMs)):F2},\"alloc_mb_per_call\":{p.Gc.AllocatedBytes / 1e6:F3},\"gen0_per_call\":{p.Gc.Gen0:F3},\"gc_pause_ms_per_call\":{p.Gc.PauseMs:F3}}}"));
        return 0;
    }

    /// <summary>One phase's calls: the warm-up ones, the timed ones (wall and process CPU ms each), and the managed
    /// allocation per timed call.</summary>
    private sealed record Phase(List<(double WallMs, double CpuMs)> Warmup, List<(double WallMs, double CpuMs)> Timed, GcStats Gc);

    private static Phase RunPhase(string name, Action run, PhaseRule rule, bool trace, Process self)
    {
        var warm = Calls(name, "warmup", run, rule.WarmedUp, trace, self);
        var gc0 = GcStats.Now();
        var timed = Calls(name, "timed", run, rule.TimedEnough, trace, self);
        return new Phase(warm, timed, GcStats.Now().Minus(gc0).PerCall(timed.Count));
    }

    /// <summary>Calls <paramref name="run"/> until <paramref name="done"/>(calls, seconds) says so.</summary>
    private static List<(double WallMs, double CpuMs)> Calls(string phase, string part, Action run, Func<int, double, double, bool> done, bool trace, Process self)
    {
        var calls = new List<(double, double)>();
        double total = 0, totalCpu = 0;
        while (!done(calls.Count, total / 1e3, totalCpu / 1e3))
        {
            self.Refresh();
            var cpu0 = self.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            run();
            double wall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            self.Refresh();
            double cpu = (self.TotalProcessorTime - cpu0).TotalMilliseconds;
            calls.Add((wall, cpu));
            total += wall;
            totalCpu += cpu;
            if (trace)
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"e2e\":\"call\",\"phase\":\"{phase}\",\"part\":\"{part}\",\"i\":{calls.Count - 1},\"wall_ms\":{wall:F2},\"cpu_ms\":{cpu:F2}}}"));
        }
        return calls;
    }

    /// <summary>
    /// Loads LibTorch as a plain TorchSharp application does, with OpenMP's wait policy as the environment has it (the
    /// suite leaves it unset: PASSIVE costs LibTorch 13-39% here). PluginMoE's TorchNativeLoader.EnsureLoaded would set
    /// PASSIVE, so only its libstdc++ fix is applied here (the bridge needs GLIBCXX_3.4.32, which Debian 12 lacks).
    /// </summary>
    private static void LoadLibTorch()
    {
        if (OperatingSystem.IsLinux() && TorchNativeLoader.FindLoadedLibStdCxx() is string libstdcxx
            && !ElfVersionTable.Load(libstdcxx).Definitions.Contains(TorchNativeLoader.RequiredGlibcxx)
            && TorchNativeLoader.FindBridge() is string bridge)
            TorchNativeLoader.PatchBridge(bridge, libstdcxx);
        TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
    }
}
