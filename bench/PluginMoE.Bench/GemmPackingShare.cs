// Packing share of the GEMM (issue #12): for the square cases and every model-shape product of the GEMM cases, one
// thread's CPU milliseconds per call of the whole float32 product (torch.matmul in a dispose scope, as the GEMM cases
// run it) and of its packing alone (CpuBackend.GemmPackOnly: the same PackA/PackB calls in the Goto loops' order, no
// micro-kernel). 30 warm-up calls, then the best of 5 batches of at least 10 calls and 0.2 s each (process CPU time per
// call: steadier than wall time on a shared machine). Usage: PluginMoE.Bench --gemm-packing [--filter S].
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
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--filter" && i + 1 < args.Length) filter = args[++i];
            else
            {
                Console.Error.WriteLine($"--gemm-packing: unknown option '{args[i]}'; options: --filter S (a substring of the case name)");
                return 2;
            }
        }
        ParallelFor.Threads = 1;
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
            double full = BestCpuMs(() =>
            {
                using var scope = torch.NewDisposeScope();
                torch.matmul(a, b);
            });
            double pack = CpuBackend.GemmPackOnly(a, b) ? BestCpuMs(() => CpuBackend.GemmPackOnly(a, b)) : 0;
            Console.WriteLine($"{{\"case\":\"{name}\",\"shape\":[{m},{k},{n}],\"layout\":\"{layout}\",\"threads\":1," +
                $"\"cpu_ms\":{Json.Num(full)},\"pack_cpu_ms\":{Json.Num(pack)},\"pack_share\":{Json.Num(pack / full)}," +
                $"\"gflops_cpu\":{Json.Num(2.0 * m * k * n / full / 1e6)}}}");
        }
        return 0;
    }

    /// <summary>Best process CPU milliseconds per call over 5 batches, after 30 warm-up calls.</summary>
    private static double BestCpuMs(Action run)
    {
        for (int i = 0; i < 30; i++) run();
        double best = double.MaxValue;
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
            best = Math.Min(best, (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / calls);
        }
        return best;
    }
}
