// What a training step's memory is made of (issue #12): runs the suite's PluginMoE model (E2E/OursModel.cs) for a few
// steps and prints, per step, one JSON line with the fixed part (parameters, AdamW state, gradients), the caching
// allocator's counters (bytes handed out, bytes pooled and free, their high-water mark), the GC heap, the managed bytes
// allocated by the step, and the process's VmRSS / VmHWM; on the last step it also splits the step into forward (what
// the pool holds at the end of forward: activations and forward temporaries) and backward.
// With --profile-ops W it also times the steps after the first W (but the last) per op (Tensors/Autograd/OpProfile.cs)
// and prints their mean per step as one JSON line {"probe":"ops",...} before the last step.
// Usage: dotnet PluginMoE.Bench.dll --memory-probe [--model small] [--router linear] [--threads 1] [--steps 8] [--profile-ops W]
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using PluginMoE.Bench.E2E;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Bench;

/// <summary>The <c>--memory-probe</c> mode: a per-step breakdown of a training step's memory.</summary>
internal static class MemoryProbe
{
    public static int Run(string[] args)
    {
        string model = "small", router = "linear";
        int threads = 1, steps = 8, profileAfter = -1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model": model = args[++i]; break;
                case "--router": router = args[++i]; break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--profile-ops": profileAfter = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"--memory-probe: unknown option '{args[i]}'; options: --model, --router, --threads, --steps, --profile-ops W");
            }
        }
        Tensors.Backends.ParallelFor.Threads = threads;
        var c = E2eConfig.Find(model);
        var m = new OursModel(c, router);
        var lm = Field<TransformerLM>(m, "_model");
        var opt = Field<torch.optim.AdamW>(m, "_opt");
        var x = Field<Tensor>(m, "_x");
        var y = Field<Tensor>(m, "_y");
        var parameters = lm.parameters().ToList();
        long paramBytes = parameters.Sum(p => p.numel() * p.dtype.ElementSize());
        Print(new JsonObject { ["probe"] = "start", ["model"] = model, ["router"] = router, ["threads"] = threads, ["param_mb"] = Mb(paramBytes) }, includeProcess: true);

        if (profileAfter >= 0 && steps - 1 - profileAfter < 1)
            throw new ArgumentException($"--memory-probe: --profile-ops {profileAfter} leaves no step to profile with --steps {steps}; use --steps > W + 1");
        for (int s = 0; s < steps; s++)
        {
            bool last = s == steps - 1;
            if (profileAfter >= 0 && s == profileAfter)
            {
                Tensors.Autograd.OpProfile.Reset();
                Tensors.Autograd.OpProfile.Enabled = true;
                Tensors.Autograd.OpProfile.Mark();
            }
            if (profileAfter >= 0 && last)
            {
                Tensors.Autograd.OpProfile.Enabled = false;
                Console.WriteLine($"{{\"probe\":\"ops\",\"model\":\"{model}\",\"router\":\"{router}\",\"threads\":{threads},\"profile\":{Tensors.Autograd.OpProfile.ToJson(steps - 1 - profileAfter)}}}");
            }
            long alloc0 = GC.GetAllocatedBytesForCurrentThread();
            CachingAllocator.ResetPeak();
            var row = new JsonObject { ["probe"] = "step", ["step"] = s };
            if (!last)
            {
                m.TrainStep();
            }
            else
            {
                // The same step as OursModel.TrainStep, with a look at the pool between forward and backward.
                using var scope = torch.NewDisposeScope();
                opt.zero_grad();
                var before = CachingAllocator.Bytes;
                var output = lm.forward(x);
                var loss = F.cross_entropy(output.Logits.reshape(-1, 256), y) + output.AuxLoss;
                var fwd = CachingAllocator.Bytes;
                row["forward_held_mb"] = Mb(fwd.Outstanding - before.Outstanding);
                row["forward_scope_storages"] = scope.Count;
                row["forward_peak_mb"] = Mb(fwd.Peak);
                loss.backward();
                row["after_backward_outstanding_mb"] = Mb(CachingAllocator.Bytes.Outstanding);
                opt.step();
            }
            var bytes = CachingAllocator.Bytes;
            var (hits, misses, returns, _) = CachingAllocator.Stats;
            row["alloc_mb"] = Mb(GC.GetAllocatedBytesForCurrentThread() - alloc0);
            row["grad_mb"] = Mb(parameters.Where(p => p.grad is not null).Sum(p => p.numel() * p.dtype.ElementSize()));
            row["adamw_state_mb"] = Mb(2 * paramBytes); // exp_avg and exp_avg_sq, once the first step has run
            row["pool_outstanding_mb"] = Mb(bytes.Outstanding);
            row["pool_free_mb"] = Mb(bytes.Pooled);
            row["pool_peak_mb"] = Mb(bytes.Peak);
            row["pool_hits"] = hits;
            row["pool_misses"] = misses;
            row["pool_returns"] = returns;
            Print(row, includeProcess: true);
        }
        return 0;
    }

    private static T Field<T>(object o, string name) =>
        (T)(o.GetType().GetField(name, BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(o)
            ?? throw new InvalidOperationException($"--memory-probe: {o.GetType().Name} has no field {name}"));

    private static double Mb(long bytes) => Math.Round(bytes / 1e6, 1);

    private static void Print(JsonObject row, bool includeProcess)
    {
        if (includeProcess)
        {
            var gc = GC.GetGCMemoryInfo();
            row["gc_heap_mb"] = Mb(gc.HeapSizeBytes);
            row["gc_fragmented_mb"] = Mb(gc.FragmentedBytes);
            row["gc_committed_mb"] = Mb(gc.TotalCommittedBytes);
            row["gc_count"] = GC.CollectionCount(0);
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal) || line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    row[line[..5].ToLowerInvariant() + "_mb"] = Math.Round(long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024 / 1e6, 1);
            }
        }
        Console.WriteLine(row.ToJsonString());
    }
}
