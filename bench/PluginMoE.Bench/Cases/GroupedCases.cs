// Grouped expert computation: (1) "grouped_gemm", the up projection of every expert of one MoE layer over its
// expert-sorted rows (tokens x top-2 slots, uneven counts from a random top-2 routing) as one grouped GEMM
// (F.grouped_linear) and as the per-expert loop of F.linear it replaces, at the tiny and small model shapes;
// (2) "moe_experts", one MoE layer forward+backward (RouterCases' linear layer: 4096 tokens, d=256, 8 SwiGLU experts
// of inner 512, top-2) with grouped experts and with the per-expert loop. Each "grouped" case also prints its time
// over the "loop"/"looped" variant of the same run. The PyTorch reference of both is the per-expert loop (Mixtral style).
using PluginMoE.Abstractions.Routing;
using PluginMoE.Tensors;
using F = PluginMoE.Tensors.torch.nn.functional;

namespace PluginMoE.Bench.Cases;

internal static class GroupedCases
{
    public static IEnumerable<BenchCase> Create()
    {
        // (rows = tokens * k, in = d, out = 4d, experts): tiny (8 x 128 tokens, d 128, 4 experts), small (8 x 256, d 256, 8).
        foreach (var (rows, inF, outF, experts) in new[] { (2048, 128, 512, 4), (4096, 256, 1024, 8) })
        {
            var counts = Counts(rows, experts);
            foreach (var impl in new[] { "grouped", "loop" })
            {
                var tags = new Dictionary<string, string>
                {
                    ["variant"] = impl, ["dtype"] = "float32", ["counts"] = string.Join(',', counts),
                };
                if (impl == "grouped") tags["baseline"] = "loop";
                yield return new BenchCase("grouped_gemm", [rows, inF, outF, experts], "gflops", 2.0 * rows * inF * outF, () =>
                {
                    var g = new Generator(1);
                    var x = torch.randn([rows, inF], ScalarType.Float32, g);
                    var w = Enumerable.Range(0, experts).Select(_ => torch.randn([outF, inF], ScalarType.Float32, g)).ToArray();
                    // In a dispose scope, as the trainer runs: outputs go back to the caching allocator after each call.
                    if (impl == "grouped") return () =>
                    {
                        using var scope = torch.NewDisposeScope();
                        F.grouped_linear(x, w, counts);
                    };
                    return () =>
                    {
                        using var scope = torch.NewDisposeScope();
                        long start = 0;
                        for (int e = 0; e < experts; e++)
                        {
                            if (counts[e] > 0) F.linear(x.narrow(0, start, counts[e]), w[e]);
                            start += counts[e];
                        }
                    };
                }, tags);
            }
        }

        foreach (var impl in new[] { "grouped", "looped" })
        {
            var tags = new Dictionary<string, string> { ["router"] = "linear", ["variant"] = impl, ["pass"] = "fwd+bwd", ["dtype"] = "float32" };
            if (impl == "grouped") tags["baseline"] = "looped";
            yield return new BenchCase("moe_experts", [RouterCases.Tokens, RouterCases.Width, RouterCases.Experts, RouterCases.TopK], "elems", RouterCases.Tokens, () =>
            {
                var layer = RouterCases.Layer("linear");
                layer.GroupedExperts = impl == "grouped";
                var g = new Generator(3);
                var x = torch.randn([RouterCases.Tokens, RouterCases.Width], ScalarType.Float32, g).requires_grad_();
                var w = torch.randn([RouterCases.Tokens, RouterCases.Width], ScalarType.Float32, g);
                var context = new RoutingContext { Training = true, Generator = new Generator(4) };
                var parameters = layer.parameters().ToList();
                return () =>
                {
                    using var scope = torch.NewDisposeScope();
                    foreach (var p in parameters) p.grad = null;
                    x.grad = null;
                    var o = layer.forward(x, context);
                    ((o.Output * w).sum() + o.AuxLoss).backward();
                };
            }, tags);
        }
    }

    /// <summary>Rows per expert of a random top-2 routing of rows/2 tokens (distinct experts per token), seed 5.</summary>
    private static long[] Counts(int rows, int experts)
    {
        var rng = new Random(5);
        var counts = new long[experts];
        for (int t = 0; t < rows / 2; t++)
        {
            int a = rng.Next(experts), b = (a + 1 + rng.Next(experts - 1)) % experts;
            counts[a]++;
            counts[b]++;
        }
        return counts;
    }
}
