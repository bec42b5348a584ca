// The grouped expert path (IGroupedFfnExpert + grouped GEMMs + one counting-sort dispatch plan) against the per-expert
// loop it replaces: the same MoE layer run both ways gives the same outputs and gradients (linear top-2; nexus with
// a shared expert; multi-head over xmoe, whose narrow sub-token experts run as the fused grouped SwiGLU MLP; float64
// and float32), and a layer mixing groupable, other and null experts splits them correctly.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class GroupedExpertsTests
{
    private static MoeLayer Layer(string router, ScalarType dtype)
    {
        var catalog = new ComponentCatalog()
            .AddRouter("linear", new LinearRouterFactory())
            .AddRouter(NexusRouterFactory.Name, new NexusRouterFactory())
            .AddRouter(XMoeRouterFactory.Name, new XMoeRouterFactory())
            .AddRouter(MultiHeadRouterFactory.Name, new MultiHeadRouterFactory())
            .AddExpert("swiglu", new SwiGluExpertFactory());
        var config = new ModelConfig
        {
            // multi-head: sub-token experts of width 16/4 = 4 with hidden 40 (>= 8x): the fused grouped SwiGLU MLP.
            HiddenSize = 16, IntermediateSize = router == "multi-head" ? 40 : 24,
            Moe = new MoeConfig
            {
                NumExperts = 4, TopK = 2, Router = router, LoadBalanceWeight = 0.01,
                SharedExpertIntermediateSize = router == "nexus" ? 20 : null,
                RouterOptions = router == "multi-head" ? new System.Text.Json.Nodes.JsonObject { ["Heads"] = 4, ["Inner"] = "xmoe" } : null,
            },
        };
        var domains = router == "nexus" ? randn([4, 6], dtype, new Generator(3)) : null;
        return new MoeLayer(config, catalog, new Generator(2), dtype, domains);
    }

    [Theory]
    [InlineData("linear", ScalarType.Float64, 1e-12)]
    [InlineData("linear", ScalarType.Float32, 2e-5)]
    [InlineData("nexus", ScalarType.Float64, 1e-12)]
    [InlineData("nexus", ScalarType.Float32, 2e-5)]
    [InlineData("multi-head", ScalarType.Float64, 1e-12)]
    [InlineData("multi-head", ScalarType.Float32, 2e-5)]
    public void GroupedLayer_EqualsLoopedLayer_OutputsAndAllGradients(string router, ScalarType dtype, double tol)
    {
        var layer = Layer(router, dtype);
        var x = randn([57, 16], dtype, new Generator(4)).requires_grad_();
        var w = randn([57, 16], dtype, new Generator(5));

        layer.GroupedExperts = true;
        var grouped = LayerGradients.Run(layer, x, w, withCounts: true);
        layer.GroupedExperts = false;
        var looped = LayerGradients.Run(layer, x, w, withCounts: true);

        Assert.Equal(looped.Select(t => t.Name), grouped.Select(t => t.Name));
        Assert.Contains(grouped, t => t.Name.StartsWith("experts.3.down_proj", StringComparison.Ordinal));
        if (router == "nexus") Assert.Contains(grouped, t => t.Name.StartsWith("shared_expert.", StringComparison.Ordinal));
        LayerGradients.AssertClose(grouped, looped, tol, $"{router} {dtype}");
    }

    [Fact]
    public void MixedExperts_GroupsBySignature_LoopsTheRest_AndEqualsTheLoop()
    {
        var g = new Generator(6);
        ExpertModule SwiGlu(int hidden) => new SwiGluExpertFactory().Create(new ExpertSpec(8, hidden) { Generator = g, DType = ScalarType.Float64 });
        var experts = new List<IExpert>
        {
            SwiGlu(12),
            new GeluExpertFactory().Create(new ExpertSpec(8, 5) { Generator = g, DType = ScalarType.Float64 }), // no grouped form
            SwiGlu(12),
            new NullExpertFactory().Create(new ExpertSpec(8, 4) { DType = ScalarType.Float64 }),
            SwiGlu(6),                                                                                           // another shape: its own group
        };
        var x = randn([30, 8], ScalarType.Float64, g).requires_grad_();
        var indices = randint(0, 5, [30, 2], generator: g);
        var weights = rand([30, 2], ScalarType.Float64, g);

        var plan = DispatchPlan.Create(indices, experts, grouped: true, Device.CPU);
        Assert.Equal([[0, 2], [4], [1], [3]], plan.Segments.Select(s => s.Experts));
        Assert.Equal([true, true, false, false], plan.Segments.Select(s => s.Weights is not null));
        var expectedCounts = indices.reshape(-1).bincount(minlength: 5).data<long>();
        Assert.Equal(expectedCounts, plan.ExpertCounts);
        Assert.Equal(expectedCounts.Where(c => c > 0).Sum(), plan.Segments.Sum(s => s.Rows));

        var grouped = DroplessDispatch.forward(x, indices, weights, experts);
        var gw = randn([30, 8], ScalarType.Float64, new Generator(7));
        (grouped * gw).sum().backward();
        var gx = x.grad!.clone();
        var gGate = ((SwiGluExpert)experts[2]).gate_proj.weight.grad!.clone();
        x.grad = null;
        foreach (var e in experts) ((nn.Module)e).zero_grad();
        var looped = DroplessDispatch.forward(x, indices, weights, experts, grouped: false);
        (looped * gw).sum().backward();

        Assert.True((grouped - looped).abs().max().ToDouble() < 1e-12);
        Assert.True((gx - x.grad!).abs().max().ToDouble() < 1e-12);
        Assert.True((gGate - ((SwiGluExpert)experts[2]).gate_proj.weight.grad!).abs().max().ToDouble() < 1e-12);
    }

    [Fact]
    public void SwiGluExpert_GroupedWeights_AreItsLiveParameters_AndItsForwardIsThatForm()
    {
        var e = (SwiGluExpert)new SwiGluExpertFactory().Create(new ExpertSpec(8, 12) { Generator = new Generator(8), DType = ScalarType.Float64 });
        var w = e.GroupedWeights!;
        Assert.Equal(GroupedFfnKind.SwiGlu, w.Kind);
        Assert.Same(e.gate_proj.weight, w.Gate);
        Assert.Same(e.up_proj.weight, w.Up);
        Assert.Same(e.down_proj.weight, w.Down);
        var x = randn([5, 8], ScalarType.Float64, new Generator(9));
        var form = nn.functional.linear(nn.functional.silu(nn.functional.linear(x, w.Gate!)) * nn.functional.linear(x, w.Up), w.Down);
        Assert.True((e.forward(x) - form).abs().max().ToDouble() < 1e-14);
    }

    [Fact]
    public void GroupedWeightsWithoutGate_AreRejectedNamingTheExpert()
    {
        var experts = new List<IExpert> { new GatelessExpert() };
        var err = Assert.Throws<ArgumentException>(() => DroplessDispatch.forward(zeros(2, 4), zeros([2, 1], ScalarType.Int64), ones(2, 1), experts));
        Assert.Contains("expert 0 (GatelessExpert) reports SwiGlu grouped weights without Gate", err.Message);
    }

    private sealed class GatelessExpert : IGroupedFfnExpert
    {
        public GroupedFfnWeights GroupedWeights => new(GroupedFfnKind.SwiGlu, null, zeros(3, 4), zeros(4, 3));
        public Tensor forward(Tensor x) => x;
        public long MacsPerToken => 0;
    }
}
