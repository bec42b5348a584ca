// The shared expert summed inside the routed combine (its output is the base the dispatch's index_add sums onto)
// against the unfused path (routed sum, then + shared(x)): same outputs and gradients, float64 and float32, grouped
// and looped experts; the shared expert as one more member of the routed experts' grouped GEMMs (same inner width)
// against its own forward (equal outputs and gradients, float64 and float32; finite differences in float64; a shared
// expert of another width keeps its own forward); and the dispatch's addTo argument checks its shape.
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
    private static MoeLayer NexusLayer(ScalarType dtype, int sharedInner = 20, int hidden = 16, int tokensDim = 6)
    {
        var catalog = new ComponentCatalog()
            .AddRouter(NexusRouterFactory.Name, new NexusRouterFactory())
            .AddExpert("swiglu", new SwiGluExpertFactory());
        var config = new ModelConfig
        {
            HiddenSize = hidden, IntermediateSize = 24,
            Moe = new MoeConfig { NumExperts = 4, TopK = 2, Router = "nexus", LoadBalanceWeight = 0.01, SharedExpertIntermediateSize = sharedInner },
        };
        return new MoeLayer(config, catalog, new Generator(2), dtype, randn([4, tokensDim], dtype, new Generator(3)));
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
        var fused = LayerGradients.Run(layer, x, w);
        layer.SharedExpertInCombine = false;
        var separate = LayerGradients.Run(layer, x, w);

        Assert.Equal(separate.Select(t => t.Name), fused.Select(t => t.Name));
        Assert.Contains(fused, t => t.Name == "shared_expert.down_proj.weight.grad");
        Assert.True(fused.Single(t => t.Name == "shared_expert.gate_proj.weight.grad").Value.abs().max().ToDouble() > 0);
        LayerGradients.AssertClose(fused, separate, tol, $"{dtype} grouped={grouped}");
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12)]
    [InlineData(ScalarType.Float32, 2e-6)]
    public void SharedInGroup_EqualsItsOwnForward_OutputsAndAllGradients(ScalarType dtype, double tol)
    {
        var layer = NexusLayer(dtype, sharedInner: 24); // the routed experts' inner width: the shared expert joins their group
        var x = randn([57, 16], dtype, new Generator(4)).requires_grad_();
        var w = randn([57, 16], dtype, new Generator(5));

        layer.SharedExpertGrouped = true;
        var joined = LayerGradients.Run(layer, x, w);
        layer.SharedExpertGrouped = false;
        var own = LayerGradients.Run(layer, x, w);

        Assert.Equal(own.Select(t => t.Name), joined.Select(t => t.Name));
        Assert.True(joined.Single(t => t.Name == "shared_expert.up_proj.weight.grad").Value.abs().max().ToDouble() > 0);
        LayerGradients.AssertClose(joined, own, tol, $"{dtype}");
    }

    [Fact]
    public void SharedInGroup_PlanPutsEveryTokenFirstInTheGroup_OnlyWhenTheFormMatches()
    {
        var x = randn([5, 16], ScalarType.Float64, new Generator(8));
        var indices = tensor(new long[] { 0, 1, 2, 3, 1, 2, 0, 3, 3, 2 }, [5, 2]);
        var same = NexusLayer(ScalarType.Float64, sharedInner: 24);
        var shared = ((Abstractions.Experts.IGroupedFfnExpert)same.SharedExpert!).GroupedWeights;
        var plan = DispatchPlan.Create(indices, same.Experts, grouped: true, x.device, shared);
        Assert.True(plan.SharedJoined);
        var seg = Assert.Single(plan.Segments);
        Assert.Equal([-1, 0, 1, 2, 3], seg.Experts);
        Assert.Equal([5L, 2, 2, 3, 3], seg.Counts);
        Assert.Equal([0L, 1, 2, 3, 4, 0, 3, 0, 2, 1, 2, 4, 1, 3, 4], plan.Token.data<long>());
        Assert.Equal([10L, 10, 10, 10, 10], plan.Slot.data<long>().Take(5));
        Assert.Equal([2L, 2, 3, 3], plan.ExpertCounts); // routed slots only

        Assert.False(DispatchPlan.Create(indices, same.Experts, grouped: false, x.device, shared).SharedJoined);
        var other = NexusLayer(ScalarType.Float64, sharedInner: 20); // another inner width: its own forward
        var otherShared = ((Abstractions.Experts.IGroupedFfnExpert)other.SharedExpert!).GroupedWeights;
        var separate = DispatchPlan.Create(indices, other.Experts, grouped: true, x.device, otherShared);
        Assert.False(separate.SharedJoined);
        Assert.Equal(10, separate.Token.numel());
    }

    [Fact]
    public void SharedInGroup_GradientsMatchFiniteDifferences()
    {
        var layer = NexusLayer(ScalarType.Float64, sharedInner: 24, hidden: 4, tokensDim: 3);
        var x = randn([5, 4], ScalarType.Float64, new Generator(9)).requires_grad_();
        var w = randn([5, 4], ScalarType.Float64, new Generator(10));
        var context = new Abstractions.Routing.RoutingContext { Training = true };
        Tensor Loss()
        {
            var o = layer.forward(x, context);
            return (o.Output * w).sum() + o.AuxLoss;
        }
        var inputs = layer.named_parameters().Where(p => p.name.StartsWith("shared_expert.", StringComparison.Ordinal) || p.name.StartsWith("experts.0.", StringComparison.Ordinal))
            .Select(p => (p.name, (Tensor)p.parameter)).Append(("x", x)).ToList();
        GradCheck.Check(Loss, inputs);
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
