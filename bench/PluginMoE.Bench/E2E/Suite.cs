// The whole benchmark suite in one command (--suite): every end-to-end case (config x router x threads) in PluginMoE,
// PyTorch 1.13 and TorchSharp, each measurement in its own process, frameworks interleaved case by case, medians over
// rounds; then the micro-benchmarks with their PyTorch reference; then the summary (ratio lines, markdown table, targets).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace PluginMoE.Bench.E2E;

internal static class Suite
{
    private const string Usage =
        "--suite [--quick] [--rounds R] [--threads-list 1,2] [--models tiny,small] [--routers linear,nexus,multi-head] (with nexus and linear, PluginMoE also runs linear+shared) " +
        "[--frameworks ours,pytorch,torchsharp] [--steps S (minimum timed calls per phase)] [--no-micro] [--peak-gflops G (FP32 peak at the most threads)] [--python PATH] [--timeout SECONDS]";

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick"), micro = true;
        int rounds = quick ? 1 : 2, timeoutS = 600;
        int? steps = null;
        var threads = quick ? new List<int> { 2 } : [1, 2];
        var models = E2eConfig.All.Select(c => c.Name).ToList();
        var routers = E2eConfig.Routers.ToList();
        var frameworks = new List<string> { SuiteReport.Ours, SuiteReport.PyTorch, SuiteReport.TorchSharp };
        double? peakGflops = null;
        string python = "/usr/bin/python3";
        static List<string> List(string s) => [.. s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value; usage: {Usage}");
            switch (args[i])
            {
                case "--suite": case "--quick": break;
                case "--rounds": rounds = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads-list": threads = [.. List(Next()).Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--models": models = List(Next()); break;
                case "--routers": routers = List(Next()); break;
                case "--frameworks": frameworks = List(Next()); break;
                case "--steps": steps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--no-micro": micro = false; break;
                case "--peak-gflops": peakGflops = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--python": python = Next(); break;
                case "--timeout": timeoutS = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option '{args[i]}'; usage: {Usage}");
                    return 2;
            }
        }
        var badModel = models.FirstOrDefault(m => E2eConfig.All.All(c => c.Name != m));
        if (badModel is not null)
        {
            Console.Error.WriteLine($"unknown model '{badModel}'; models: {string.Join(", ", E2eConfig.All.Select(c => c.Name))}");
            return 2;
        }
        var badRouter = routers.FirstOrDefault(r => !E2eConfig.Routers.Contains(r) && r != E2eConfig.LinearShared);
        // The like-for-like nexus line needs linear with nexus's shared expert: PluginMoE only, beside nexus and linear.
        if (routers.Contains("nexus") && routers.Contains("linear") && frameworks.Contains(SuiteReport.Ours) && !routers.Contains(E2eConfig.LinearShared))
            routers.Insert(routers.IndexOf("nexus") + 1, E2eConfig.LinearShared);
        var badFramework = frameworks.FirstOrDefault(f => f is not (SuiteReport.Ours or SuiteReport.PyTorch or SuiteReport.TorchSharp));
        if (badRouter is not null || badFramework is not null || rounds < 1 || threads.Count == 0 || threads.Any(t => t < 1))
        {
            Console.Error.WriteLine($"bad option: router '{badRouter}' (routers: {string.Join(", ", E2eConfig.Routers)}), framework '{badFramework}' " +
                $"(ours, pytorch, torchsharp), rounds {rounds} (>= 1), threads [{string.Join(",", threads)}] (each >= 1); usage: {Usage}");
            return 2;
        }

        var clock = Stopwatch.StartNew();
        var script = FindScript("tools/bench/torch_reference.py");
        var cases = (from m in models from r in routers from t in threads select (Model: m, Router: r, Threads: t)).ToList();
        var rule = quick ? PhaseRule.Quick : PhaseRule.Full;
        if (steps is int st) rule = rule.WithTimedCalls(st);
        Console.WriteLine($"# suite: {cases.Count} end-to-end cases x {frameworks.Count} frameworks x {rounds} round(s), each run in its own process" +
            $"{(routers.Contains(E2eConfig.LinearShared) ? $" ({E2eConfig.LinearShared}: PluginMoE only)" : "")}" +
            $"{(micro ? ", then the micro-benchmarks" : "")}{(quick ? " (quick)" : "")}");
        Console.WriteLine($"# each process: {rule.Describe()}; same rule for every framework");
        var results = new List<E2eResult>();
        for (int round = 0; round < rounds; round++)
        {
            for (int ci = 0; ci < cases.Count; ci++)
            {
                var (model, router, t) = cases[ci];
                foreach (var fw in SuiteMath.Order(frameworks, round, ci))
                {
                    if (router == E2eConfig.LinearShared && fw != SuiteReport.Ours) continue; // PluginMoE-only case
                    var r = RunWorker(fw, model, router, t, rule, timeoutS, python, script) with { Round = round };
                    results.Add(r);
                    Console.WriteLine(r.ToJson());
                }
            }
        }

        // The FP32 peak: --peak-gflops at the most threads of the run, else from /proc/cpuinfo; one core's share of it is
        // what the roofline lines and the targets scale by each case's thread count.
        int mt = threads.Max();
        double? peak = peakGflops;
        string peakWhy = $"--peak-gflops {peakGflops}";
        if (peak is null && CpuPeak(mt) is var (p, why))
        {
            peak = p;
            peakWhy = why;
        }
        double? peakPerCore = peak / mt;
        string peakText = peak is double pk ? $"{pk:F0} GFLOP/s at {mt} thread(s): {peakWhy}" : "unknown: pass --peak-gflops";
        var micros = MicroFigures.None;
        if (micro)
        {
            Console.WriteLine($"# micro-benchmarks at {mt} threads (FP32 peak {peakText})");
            micros = RunMicro(mt, quick, rounds, python, timeoutS) with { PeakGflops = peak };
        }

        var agg = SuiteReport.Aggregate(results);
        Console.WriteLine();
        Console.WriteLine($"# summary: medians over {rounds} round(s); ratios are ours / reference (peak RSS: ours / theirs, lower is leaner), " +
            "the median of the per-round ratios" + (rounds >= 2 ? " with their min-max over rounds in brackets" : ""));
        foreach (var line in SuiteReport.RatioLines(agg)) Console.WriteLine(line);
        foreach (var line in SuiteReport.NexusStepLines(agg)) Console.WriteLine(line);
        Console.WriteLine();
        Console.Write(SuiteReport.Table(agg));
        Console.WriteLine();
        Console.WriteLine("Cold cost of a fresh process (training; not in the table above, which is steady state):");
        Console.WriteLine();
        Console.Write(SuiteReport.ColdTable(agg));
        Console.WriteLine();
        Console.WriteLine($"Roofline: model FLOPs per token (README, Benchmarks: 6 x active MACs + causal attention for training, 2 x for prefill " +
            $"and decode) at the measured tokens/s, against the FP32 peak of the case's threads (one core's share of {peakText}):");
        Console.WriteLine();
        foreach (var line in Roofline.Lines(agg, peakPerCore)) Console.WriteLine(line);
        Console.WriteLine();
        Console.Write(Roofline.Table(agg, peakPerCore));
        var scaling = Roofline.ScalingTable(agg);
        if (scaling.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine("Thread scaling (tokens/s at the most threads over the fewest; ideal = their ratio):");
            Console.WriteLine();
            Console.Write(scaling);
        }
        Console.WriteLine();
        Console.WriteLine($"Targets of issue #12 (this run; a case is judged on its median over {rounds} round(s); \"above the machine's bound\": " +
            "meeting the target would need more model GFLOP/s than the FP32 peak of the case's threads):");
        foreach (var target in SuiteReport.Targets(agg, micros, peakPerCore)) Console.WriteLine(target.Markdown);
        Console.WriteLine();
        Console.WriteLine($"# suite took {clock.Elapsed.TotalMinutes:F1} min ({Environment.ProcessorCount} CPUs, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        return 0;
    }

    /// <summary>Runs one worker process; a failure (exit code, timeout, no result line) becomes a result with the reason.</summary>
    private static E2eResult RunWorker(string framework, string model, string router, int threads, PhaseRule rule, int timeoutS, string python, string? script)
    {
        var failed = new E2eResult(framework, model, router, threads);
        ProcessStartInfo psi;
        if (framework == SuiteReport.PyTorch)
        {
            if (script is null) return failed with { Error = "tools/bench/torch_reference.py not found" };
            psi = new ProcessStartInfo(python);
            psi.ArgumentList.Add(script);
            psi.ArgumentList.Add("--e2e");
            ReferenceEnvironment.Apply(psi, threads); // OpenBLAS's best kernel and thread count, sleeping idle OpenMP threads
        }
        else
        {
            psi = SelfStart();
            psi.ArgumentList.Add("--e2e-worker");
            psi.ArgumentList.Add(framework);
            psi.Environment.Remove("OMP_WAIT_POLICY"); // TorchSharp: PASSIVE costs LibTorch 13-39% here; ours uses no OpenMP
        }
        foreach (var a in new[] { "--model", model, "--router", router, "--threads", threads.ToString(CultureInfo.InvariantCulture) }.Concat(rule.Args()))
            psi.ArgumentList.Add(a);
        var (code, stdout, stderr, timedOut) = Exec(psi, timeoutS);
        var result = stdout.Select(E2eResult.TryParse).LastOrDefault(r => r is not null);
        if (result is not null && code == 0) return result;
        string why = timedOut ? $"timed out after {timeoutS} s" : code == 0 ? "no result line" : $"exit code {code}";
        var tail = string.Join(" | ", stderr.Concat(stdout).Where(l => !string.IsNullOrWhiteSpace(l)).TakeLast(3));
        if (framework == SuiteReport.PyTorch && tail.Contains("No module named 'torch'", StringComparison.Ordinal))
            tail += " (install the reference: sh tools/install-reference.sh)";
        return failed with { Error = tail.Length > 0 ? $"{why}: {tail}" : $"{why} (no output)" };
    }

    /// <summary>The micro-benchmarks with their PyTorch reference in a child process (every case but the lm_ ones, which the
    /// end-to-end part covers); echoes its lines and collects what the targets need. Without --quick the GEMM cases then
    /// run <paramref name="rounds"/> - 1 more times (at least once more), each round a fresh child process (ours, then
    /// torch): one process can run every shape at half speed on a shared host, so the GEMM verdict takes per shape the
    /// median of the rounds' ratios, wall time and CPU time.</summary>
    private static MicroFigures RunMicro(int threads, bool quick, int rounds, string python, int timeoutS)
    {
        var first = RunMicroOnce(threads, quick, null, python, timeoutS);
        var gemmRounds = new List<IReadOnlyList<(string, double, double?, double)>> { first.Gemms };
        for (int r = 1; !quick && r < Math.Max(rounds, 2); r++)
        {
            Console.WriteLine($"# GEMM round {r + 1} of {Math.Max(rounds, 2)} (a new process; the verdict takes each shape's median over the rounds)");
            gemmRounds.Add(RunMicroOnce(threads, quick, "\"op\":\"gemm\"", python, timeoutS).Gemms);
        }
        var (ratios, cpu) = MicroFigures.GemmMedians(gemmRounds);
        return first.Figures with { GemmRatios = ratios, GemmCpuRatios = cpu, GemmRounds = gemmRounds.Count(g => g.Count > 0) };
    }

    /// <summary>One child process of <see cref="RunMicro"/> (<paramref name="filter"/>: only the cases whose key contains it).</summary>
    private static (MicroFigures Figures, List<(string, double, double?, double)> Gemms) RunMicroOnce(int threads, bool quick, string? filter,
        string python, int timeoutS)
    {
        var psi = SelfStart();
        foreach (var a in new[] { "--reference", "--threads", threads.ToString(CultureInfo.InvariantCulture), "--exclude", "lm_", "--python", python })
            psi.ArgumentList.Add(a);
        if (filter is not null)
        {
            psi.ArgumentList.Add("--filter");
            psi.ArgumentList.Add(filter);
        }
        else if (quick)
        {
            // A check, not a measurement: one GEMM shape, the router layers and the grouped GEMM.
            psi.ArgumentList.Add("--quick");
            psi.ArgumentList.Add("--filter-any");
            psi.ArgumentList.Add("[1024,256,1024],moe_layer,grouped_gemm");
        }
        var (code, stdout, stderr, timedOut) = Exec(psi, Math.Max(timeoutS, 900), echo: true);
        if (code != 0 || timedOut)
            Console.WriteLine($"# micro-benchmarks failed ({(timedOut ? "timeout" : $"exit code {code}")}): {string.Join(" | ", stderr.TakeLast(3))}");
        var gemms = new List<(string, double, double?, double)>();
        double? nexusTrain = null, nexusFrozen = null, nexusTrainShared = null;
        foreach (var line in stdout.Where(l => l.StartsWith('{')))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var o = doc.RootElement;
                string op = o.TryGetProperty("op", out var opv) ? opv.GetString() ?? "" : "";
                if (op == "gemm" && o.TryGetProperty("ratio", out var ratio) && ratio.ValueKind == JsonValueKind.Number
                    && (!o.TryGetProperty("dtype", out var dt) || dt.GetString() == "float32"))
                {
                    string shape = o.GetProperty("shape").GetRawText() + (o.TryGetProperty("layout", out var lay) ? " " + lay.GetString() : "");
                    double? cpuRatio = o.TryGetProperty("ratio_cpu", out var rc) && rc.ValueKind == JsonValueKind.Number ? rc.GetDouble() : null;
                    gemms.Add((shape, ratio.GetDouble(), cpuRatio, o.GetProperty("ours").GetDouble()));
                }
                if (op == "moe_layer" && o.TryGetProperty("time_ratio", out var tr) && tr.ValueKind == JsonValueKind.Number)
                {
                    string router = o.GetProperty("router").GetString() ?? "";
                    if (router == "nexus-train") nexusTrain = tr.GetDouble();
                    if (router == "nexus-frozen") nexusFrozen = tr.GetDouble();
                    if (router == "nexus-train+shared") nexusTrainShared = tr.GetDouble();
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
        return (new MicroFigures(gemms.Select(g => (g.Item1, g.Item2, g.Item4)).ToList(), nexusTrain, nexusFrozen, null, nexusTrainShared), gemms);
    }

    /// <summary>This machine's FP32 peak from /proc/cpuinfo (clock of the first CPU, AVX-512 or not), and how it was derived.</summary>
    private static (double Peak, string Why)? CpuPeak(int cores)
    {
        try
        {
            var lines = File.ReadAllLines("/proc/cpuinfo");
            var mhzLine = lines.FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
            var flags = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "";
            if (mhzLine is null) return null;
            double ghz = double.Parse(mhzLine.Split(':')[1].Trim(), CultureInfo.InvariantCulture) / 1000;
            bool avx512 = flags.Split(' ').Contains("avx512f");
            double peak = SuiteMath.PeakGflops(cores, ghz, avx512);
            return (peak, $"{cores} cores x {ghz:F2} GHz (/proc/cpuinfo) x {(avx512 ? "64 FLOP/cycle (AVX-512: two 512-bit FMA units)" : "32 FLOP/cycle (AVX2: two 256-bit FMA units)")}");
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>A start of this same benchmark program (its apphost, or dotnet with its dll).</summary>
    private static ProcessStartInfo SelfStart()
    {
        var exe = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(exe);
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") psi.ArgumentList.Add(typeof(Suite).Assembly.Location);
        return psi;
    }

    private static (int Code, List<string> Stdout, List<string> Stderr, bool TimedOut) Exec(ProcessStartInfo psi, int timeoutS, bool echo = false)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        var stdout = new List<string>();
        var stderr = new List<string>();
        Process p;
        try { p = Process.Start(psi) ?? throw new InvalidOperationException("Process.Start returned null"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return (-1, stdout, [$"could not start {psi.FileName}: {e.Message}"], false);
        }
        using (p)
        {
            p.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (stdout) stdout.Add(e.Data);
                if (echo) Console.WriteLine(e.Data);
            };
            p.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (stderr) stderr.Add(e.Data);
            };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutS)))
            {
                p.Kill(entireProcessTree: true); // our own child, by its handle
                p.WaitForExit();
                return (-1, stdout, stderr, true);
            }
            p.WaitForExit(); // drains the redirected streams
            return (p.ExitCode, stdout, stderr, false);
        }
    }

    internal static string? FindScript(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, relative);
            if (File.Exists(path)) return path;
        }
        var cwd = Path.Combine(Environment.CurrentDirectory, relative);
        return File.Exists(cwd) ? cwd : null;
    }
}
