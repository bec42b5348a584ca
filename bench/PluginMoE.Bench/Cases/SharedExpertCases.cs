// The always-on shared expert (Nexus's seed FFN) on its own and in its MoE layer, at the small model's shapes: (1)
// "shared_expert", one SwiGLU FFN (d=256, inner 4d) forward+backward over the 2048 tokens of a small training step
// (work = FLOPs: 3 GEMMs forward, 6 backward); (2) "moe_layer_shared", the small model's MoE layer (8 SwiGLU experts of
// inner 4d, top-2, linear router) forward+backward with the shared expert as one more member of the routed experts'
// grouped GEMMs ("in-group", the default), through its own forward summed inside the routed combine ("in-combine"),
// added after the routed sum, and without it (the baseline each prints its time over). No reference: the PyTorch and
// TorchSharp end-to-end models build the same shared expert.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;

namespace PluginMoE.Bench.Cases;

internal static class SharedExpertCases
{
    private const int Tokens = 2048, Width = 256, Inner = 1024, Experts = 8;

    public static IEnumerable<BenchCase> Create()
    {
        var tags = new Dictionary<string, string> { ["pass"] = "fwd+bwd", ["dtype"] = "float32" };
        yield return new BenchCase("shared_expert", [Tokens, Width, Inner], "gflops", 2.0 * 9 * Tokens * Width * Inner, () =>
        {
            var g = new Generator(1);
            var expert = new SwiGluExpert(new ExpertSpec(Width, Inner) { Generator = g, DType = ScalarType.Float32 }, 0.02);
            var x = torch.randn([Tokens, Width], ScalarType.Float32, g).requires_grad_();
            var w = torch.randn([Tokens, Width], ScalarType.Float32, g);
            var parameters = expert.parameters().ToList();
            return () =>
            {
                using var scope = torch.NewDisposeScope();
                foreach (var p in parameters) p.grad = null;
                x.grad = null;
                (expert.forward(x) * w).sum().backward();
            };
        }, tags);

        foreach (var variant in new[] { "in-group", "in-combine", "added-after", "none" })
        {
            var t = new Dictionary<string, string> { ["variant"] = variant, ["pass"] = "fwd+bwd", ["dtype"] = "float32" };
            if (variant != "none") t["baseline"] = "none";
            yield return new BenchCase("moe_layer_shared", [Tokens, Width, Experts, 2], "elems", Tokens, () => Setup(variant), t);
        }
    }

    private static Action Setup(string variant)
    {
        var catalog = new ComponentCatalog().AddRouter(LinearRouterFactory.Name, new LinearRouterFactory()).AddExpert("swiglu", new SwiGluExpertFactory());
        var config = new ModelConfig
        {
            HiddenSize = Width, IntermediateSize = Inner,
            Moe = new MoeConfig { NumExperts = Experts, TopK = 2, Router = "linear", SharedExpertIntermediateSize = variant == "none" ? null : Inner },
        };
        var layer = new MoeLayer(config, catalog, new Generator(1)) { SharedExpertInCombine = variant is "in-group" or "in-combine", SharedExpertGrouped = variant == "in-group" };
        var g = new Generator(3);
        var x = torch.randn([Tokens, Width], ScalarType.Float32, g).requires_grad_();
        var w = torch.randn([Tokens, Width], ScalarType.Float32, g);
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
    }
}
