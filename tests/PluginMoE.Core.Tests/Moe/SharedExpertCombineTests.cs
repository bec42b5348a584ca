// The shared expert summed inside the routed combine (its output is the base the dispatch's index_add sums onto)
// against the unfused path (routed sum, then + shared(x)): same outputs and gradients, float64 and float32, grouped
// and looped experts; and the dispatch's addTo argument checks its shape.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class SharedExpertCombineTests
{
    private static MoeLayer NexusLayer(ScalarType dtype)
    {
        var catalog = new ComponentCatalog()
            .AddRouter(NexusRouterFactory.Name, new NexusRouterFactory())
            .AddExpert("swiglu", new SwiGluExpertFactory());
        var config = new ModelConfig
        {
            HiddenSize = 16, IntermediateSize = 24,
            Moe = new MoeConfig { NumExperts = 4, TopK = 2, Router = "nexus", LoadBalanceWeight = 0.01, SharedExpertIntermediateSize = 20 },
        };
        return new MoeLayer(config, catalog, new Generator(2), dtype, randn([4, 6], dtype, new Generator(3)));
    }

    private static List<(string Name, Tensor Value)> Run(MoeLayer layer, Tensor x, Tensor w)
    {
        layer.zero_grad();
        x.grad = null;
        var r = layer.forward(x);
        ((r.Output * w).sum() + r.AuxLoss).backward();
        var result = new List<(string, Tensor)> { ("output", r.Output.detach().clone()), ("x.grad", x.grad!.clone()) };
        foreach (var (name, p) in layer.named_parameters())
            result.Add((name + ".grad", p.grad?.clone() ?? zeros_like(p)));
        return result;
    }

    [Theory]
    [InlineData(ScalarType.Float64, true, 1e-12)]
    [InlineData(ScalarType.Float64, false, 1e-12)]
    [InlineData(ScalarType.Float32, true, 2e-6)]
    public void SharedInCombine_EqualsSharedAddedAfterwards_OutputsAndAllGradients(ScalarType dtype, bool grouped, double tol)
    {
        var layer = NexusLayer(dtype);
        layer.GroupedExperts = grouped;
        var x = randn([57, 16], dtype, new Generator(4)).requires_grad_();
        var w = randn([57, 16], dtype, new Generator(5));

        layer.SharedExpertInCombine = true;
        var fused = Run(layer, x, w);
        layer.SharedExpertInCombine = false;
        var separate = Run(layer, x, w);

        Assert.Equal(separate.Select(t => t.Name), fused.Select(t => t.Name));
        Assert.Contains(fused, t => t.Name == "shared_expert.down_proj.weight.grad");
        Assert.True(fused.Single(t => t.Name == "shared_expert.gate_proj.weight.grad").Value.abs().max().ToDouble() > 0);
        for (int i = 0; i < fused.Count; i++)
        {
            var (name, a) = fused[i];
            var b = separate[i].Value;
            double scale = Math.Max(1, b.abs().max().ToDouble());
            double diff = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().ToDouble();
            Assert.True(diff <= tol * scale, $"{dtype} grouped={grouped}: {name} differs by {diff:G3} (scale {scale:G3})");
        }
    }

    [Fact]
    public void SharedInCombine_OutputIsSharedPlusRoutedSum()
    {
        var layer = NexusLayer(ScalarType.Float64);
        var x = randn([9, 16], ScalarType.Float64, new Generator(6));
        using var noGrad = no_grad();
        var r = layer.forward(x);
        var routed = DroplessDispatch.forward(x, r.ExpertIndices, r.ExpertWeights!, layer.Experts);
        var expected = routed + layer.SharedExpert!.forward(x);
        Assert.True((r.Output - expected).abs().max().ToDouble() < 1e-12);
    }

    [Fact]
    public void Dispatch_AddToOfAnotherShape_FailsNamingBothShapes()
    {
        var layer = NexusLayer(ScalarType.Float64);
        var x = randn([5, 16], ScalarType.Float64, new Generator(7));
        var indices = zeros([5, 2], ScalarType.Int64);
        var e = Assert.Throws<ArgumentException>(() =>
            DroplessDispatch.Run(x, indices, ones([5, 2], ScalarType.Float64), layer.Experts, grouped: true, addTo: zeros([4, 16], ScalarType.Float64)));
        Assert.Contains("dispatch: addTo has shape [4, 16], expected the tokens' [5, 16]", e.Message);
    }
}
