// Packing share of the GEMM (issue #12): for the square cases and every model-shape product of the GEMM cases, one
// thread's CPU milliseconds per call of the whole float32 product (torch.matmul in a dispose scope, as the GEMM cases
// run it) and of its packing alone (CpuBackend.GemmPackOnly: the same PackA/PackB calls in the Goto loops' order, no
// micro-kernel). 30 warm-up calls, then the best of 5 batches of at least 10 calls and 0.2 s each (process CPU time per
// call: steadier than wall time on a shared machine). Usage: PluginMoE.Bench --gemm-packing [--filter S] [--threads N].
// With --threads N the whole call runs on N threads (CPU ms of all threads, and wall ms); the packing is still one
// thread's (the packed path packs each operand once in total on any thread count: the shared operand once by all
// threads, the split one in shares), so pack_share is the packing's part of the N-thread call's CPU time. pack_cpu_ms
// counts the separate packing passes only: full panels of a row-major A are packed inside the first column panel's
// micro-kernels (CpuBackend.ReadsAInPlace), so they are not in it. --compare-read-a instead times each product with A
// packed by the kernels and by a separate pass (PLUGINMOE_GEMM_READ_A=0), alternating batches of calls in one process
// (9 batches each, best and median CPU ms per call): one process sees the same load for both, unlike two runs.
// --independent also runs two copies of the one-thread product at once on two threads of their own (no split, no shared
// packing, no fork-join): its CPU ms per call against the one-thread figure is what running two cores at once costs
// the hardware (shared L3 and memory, clock), against the 2-thread split's is what the split itself costs.
using System.Diagnostics;
using PluginMoE.Bench.Cases;
using PluginMoE.Tensors;
using PluginMoE.Tensors.Backends;

namespace PluginMoE.Bench;

internal static class GemmPackingShare
{
    public static int Run(string[] args)
    {
        string? filter = null;
        int threads = 1;
        bool compareReadA = false, independent = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--filter" && i + 1 < args.Length) filter = args[++i];
            else if (args[i] == "--compare-read-a") compareReadA = true;
            else if (args[i] == "--independent") independent = true;
            else if (args[i] == "--threads" && i + 1 < args.Length && int.TryParse(args[i + 1], out threads) && threads >= 1) i++;
            else
            {
                Console.Error.WriteLine($"--gemm-packing: unknown or bad option '{args[i]}'; options: --filter S (a substring of the case name), --threads N (N >= 1), --compare-read-a, --independent");
                return 2;
            }
        }
        var cases = new List<(string Name, long M, long K, long N, string Layout)>
        {
            ("square", 1024, 1024, 1024, "nn"), ("square", 1024, 1024, 1024, "nt"), ("square", 1024, 1024, 1024, "tn"),
        };
        cases.AddRange(GemmCases.ModelProducts().Select(p => ($"{p.Model}_{p.Rows}_{p.Role}", p.M, p.K, p.N, p.Layout)));
        foreach (var (name, m, k, n, layout) in cases)
        {
            string label = $"{name} [{m},{k},{n}] {layout}";
            if (filter is not null && !label.Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
            var (a, b) = GemmCases.Operands(m, k, n, layout);
            if (compareReadA)
            {
                CompareReadA(name, m, k, n, layout, threads, a, b);
                continue;
            }
            ParallelFor.Threads = threads;
            var (full, wall) = BestCpuMs(() =>
            {
                using var scope = torch.NewDisposeScope();
                torch.matmul(a, b);
            });
            ParallelFor.Threads = 1;
            string indep = "";
            if (independent)
            {
                var (a2, b2) = GemmCases.Operands(m, k, n, layout);
                double one = BestCpuMs(() =>
                {
                    using var scope = torch.NewDisposeScope();
                    torch.matmul(a, b);
                }).Cpu;
                indep = $"\"one_thread_cpu_ms\":{Json.Num(one)},\"two_independent_cpu_ms\":{Json.Num(TwoIndependentCpuMs((a, b), (a2, b2)))},";
            }
            double pack = CpuBackend.GemmPackOnly(a, b) ? BestCpuMs(() => CpuBackend.GemmPackOnly(a, b)).Cpu : 0;
            Console.WriteLine($"{{\"case\":\"{name}\",\"shape\":[{m},{k},{n}],\"layout\":\"{layout}\",\"threads\":{threads}," +
                $"\"cpu_ms\":{Json.Num(full)},{indep}\"wall_ms\":{Json.Num(wall)},\"pack_cpu_ms\":{Json.Num(pack)},\"pack_share\":{Json.Num(pack / full)}," +
                $"\"gflops_cpu\":{Json.Num(2.0 * m * k * n / full / 1e6)}}}");
        }
        return 0;
    }

    /// <summary>
    /// Process CPU ms per product while two threads of their own each run one-thread products on their own operands at the
    /// same time (best of 5 batches of 0.3 s, after 30 warm-up calls each): total process CPU over both threads' calls.
    /// </summary>
    private static double TwoIndependentCpuMs((Tensor A, Tensor B) x, (Tensor A, Tensor B) y)
    {
        double best = double.MaxValue;
        for (int batch = -1; batch < 5; batch++)
        {
            using var start = new Barrier(3);
            int calls = 0;
            bool warm = batch < 0;
            var threads = new[] { x, y }.Select(ab => new Thread(() =>
            {
                for (int i = 0; i < 30 && warm; i++) Run(ab);
                start.SignalAndWait();
                var sw = Stopwatch.StartNew();
                int n = 0;
                while (!warm && (n < 10 || sw.Elapsed.TotalSeconds < 0.3))
                {
                    Run(ab);
                    n++;
                }
                Interlocked.Add(ref calls, n);
            })).ToList();
            threads.ForEach(t => t.Start());
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            start.SignalAndWait();
            threads.ForEach(t => t.Join());
            if (!warm) best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / calls);
        }
        return best;

        static void Run((Tensor A, Tensor B) ab)
        {
            using var scope = torch.NewDisposeScope();
            torch.matmul(ab.A, ab.B);
        }
    }

    /// <summary>The product with A packed by the kernels (on) and by PackA (off), batches alternating; best and median CPU ms.</summary>
    private static void CompareReadA(string name, long m, long k, long n, string layout, int threads, Tensor a, Tensor b)
    {
        var old = CpuBackend.GemmBlocksOverride;
        var on = new List<double>();
        var off = new List<double>();
        ParallelFor.Threads = threads;
        try
        {
            void Run()
            {
                using var scope = torch.NewDisposeScope();
                torch.matmul(a, b);
            }
            foreach (bool readA in new[] { true, false })
            {
                CpuBackend.GemmBlocksOverride = (old ?? GemmBlocks.FromEnvironment) with { ReadsA = readA };
                for (int i = 0; i < 30; i++) Run();
            }
            for (int batch = 0; batch < 18; batch++)
            {
                bool readA = batch % 4 is 0 or 3; // on off off on: neither side always goes first
                CpuBackend.GemmBlocksOverride = (old ?? GemmBlocks.FromEnvironment) with { ReadsA = readA };
                var sw = Stopwatch.StartNew();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                int calls = 0;
                while (calls < 10 || sw.Elapsed.TotalSeconds < 0.1)
                {
                    Run();
                    calls++;
                }
                (readA ? on : off).Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / calls);
            }
        }
        finally
        {
            CpuBackend.GemmBlocksOverride = old;
            ParallelFor.Threads = 1;
        }
        static double Median(List<double> v) { var s = v.Order().ToArray(); return (s[(s.Length - 1) / 2] + s[s.Length / 2]) / 2; }
        Console.WriteLine($"{{\"case\":\"{name}\",\"shape\":[{m},{k},{n}],\"layout\":\"{layout}\",\"threads\":{threads}," +
            $"\"read_a_cpu_ms\":{Json.Num(on.Min())},\"pack_a_cpu_ms\":{Json.Num(off.Min())},\"ratio_best\":{Json.Num(on.Min() / off.Min())}," +
            $"\"ratio_median\":{Json.Num(Median(on) / Median(off))}}}");
    }

    /// <summary>Best process CPU milliseconds per call over 5 batches, after 30 warm-up calls, and that batch's wall milliseconds per call.</summary>
    private static (double Cpu, double Wall) BestCpuMs(Action run)
    {
        for (int i = 0; i < 30; i++) run();
        double best = double.MaxValue, bestWall = 0;
        for (int batch = 0; batch < 5; batch++)
        {
            var sw = Stopwatch.StartNew();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            int calls = 0;
            while (calls < 10 || sw.Elapsed.TotalSeconds < 0.2)
            {
                run();
                calls++;
            }
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / calls;
            if (cpu < best) (best, bestWall) = (cpu, sw.Elapsed.TotalMilliseconds / calls);
        }
        return (best, bestWall);
    }
}
