// One end-to-end measurement in its own process: builds one model (config x router) in one framework at a thread count,
// times training steps, then prefill and decode calls, and prints one JSON line (tokens/s medians, peak RSS, allocation).
using System.Diagnostics;
using System.Globalization;
using PluginMoE.Tensors.Torch.Native;

namespace PluginMoE.Bench.E2E;

internal static class Worker
{
    /// <summary>
    /// Runs <c>--e2e-worker FRAMEWORK --model M --router R --threads N --warmup W --steps S</c>: W untimed and S timed
    /// training steps (peak RSS is read right after them, so it is the training peak of this process), then the inference
    /// form, W + S prefills and W + S decode calls. Prints the result line; returns the exit code.
    /// </summary>
    public static int Run(string[] args)
    {
        string framework = args[0], model = "tiny", router = "linear";
        int threads = 2, warmup = 1, steps = 3;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--router": router = args[++i]; break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"--e2e-worker: unknown option '{args[i]}'");
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

        for (int i = 0; i < warmup; i++) m.TrainStep();
        var gc0 = GcStats.Now();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var train = Times(m.TrainStep, steps);
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / steps;
        var gc = GcStats.Now().Minus(gc0).PerCall(steps);
        double peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6;

        m.EnterInference();
        for (int i = 0; i < warmup; i++) m.Prefill();
        var prefill = Times(m.Prefill, steps);
        for (int i = 0; i < warmup; i++) m.DecodeCall();
        var decode = Times(m.DecodeCall, steps);

        var line = new E2eResult(framework, model, router, threads)
        {
            TrainTokS = c.Tokens / (SuiteMath.Median(train) / 1e3),
            PrefillTokS = c.Tokens / (SuiteMath.Median(prefill) / 1e3),
            DecodeTokS = E2eConfig.Decode / (SuiteMath.Median(decode) / 1e3),
            TrainCpuMs = cpuMs,
            PeakRssMb = peakMb,
            AllocMbPerStep = m.ReportsAllocations ? gc.AllocatedBytes / 1e6 : null,
            GcsPerStep = m.ReportsAllocations ? gc.Gen0 : null,
        };
        Console.WriteLine(line.ToJson());
        return 0;
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

    private static List<double> Times(Action run, int n)
    {
        var times = new List<double>(n);
        for (int i = 0; i < n; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return times;
    }
}
