// MoE block equivalences: a 1-expert top-1 MoE is the dense FFN, k = n is the softmax-weighted sum of all
// experts, and gradients of router + experts + shared expert pass finite-difference checks.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Experts;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class MoeLayerTests
{
    private static ModelConfig Config(int experts, int k, int? shared = null, double alpha = 0.01, double beta = 0) => new()
    {
        HiddenSize = 8, IntermediateSize = 12,
        Moe = new MoeConfig { NumExperts = experts, TopK = k, SharedExpertIntermediateSize = shared, LoadBalanceWeight = alpha, RouterZLossWeight = beta },
    };

    private static nn.Module Module(IExpert e) => (nn.Module)e;

    [Fact]
    public void Forward_OneExpertTopOne_EqualsTheDenseFfnItWasBuiltFrom()
    {
        var dense = new SwiGluExpertFactory().Create(new ExpertSpec(8, 12) { Generator = new Generator(11) });
        var layer = new MoeLayer(Config(1, 1), TestCatalog.Create(), new Generator(2));
        Module(layer.Experts[0]).load_state_dict(Module(dense).state_dict());
        var x = randn([10, 8], generator: new Generator(3));
        var moe = layer.forward(x);
        Assert.Equal(dense.forward(x).data<float>(), moe.Output.data<float>());
        Assert.Equal([10L], moe.ExpertCounts.data<long>());
    }

    [Fact]
    public void Forward_KEqualsN_EqualsSoftmaxWeightedSumOfAllExperts()
    {
        var layer = new MoeLayer(Config(3, 3), TestCatalog.Create(), new Generator(4), ScalarType.Float64);
        var x = randn([7, 8], ScalarType.Float64, new Generator(5));
        var routerWeight = ((nn.Module)layer.Router).state_dict()["weight"];
        var probs = nn.functional.linear(x, routerWeight).softmax(-1); // (7, 3)
        var expected = zeros([7, 8], ScalarType.Float64);
        for (int j = 0; j < 3; j++) expected = expected + probs.narrow(1, j, 1) * layer.Experts[j].forward(x);
        var actual = layer.forward(x).Output;
        Assert.True((actual - expected).abs().max().ToDouble() < 1e-12);
    }

    [Fact]
    public void Forward_SharedExpert_IsAddedWithWeightOne()
    {
        var layer = new MoeLayer(Config(2, 1, shared: 5), TestCatalog.Create(), new Generator(6), ScalarType.Float64);
        Assert.Contains("shared_expert.gate_proj.weight", layer.state_dict().Keys);
        var x = randn([4, 8], ScalarType.Float64, new Generator(7));
        var r = layer.Router.Route(x, RoutingContext.Evaluation);
        var routed = DroplessDispatch.forward(x, r.Indices, r.Weights, layer.Experts);
        var expected = routed + layer.SharedExpert!.forward(x);
        Assert.True((layer.forward(x).Output - expected).abs().max().ToDouble() < 1e-12);
    }

    [Fact]
    public void StateDict_MoeBlock_UsesGateExpertsAndSharedExpertNames()
    {
        var keys = new MoeLayer(Config(2, 1, shared: 4), TestCatalog.Create(), new Generator(1)).state_dict();
        Assert.Equal(
            ["gate.weight", "experts.0.gate_proj.weight", "experts.0.up_proj.weight", "experts.0.down_proj.weight",
             "experts.1.gate_proj.weight", "experts.1.up_proj.weight", "experts.1.down_proj.weight",
             "shared_expert.gate_proj.weight", "shared_expert.up_proj.weight", "shared_expert.down_proj.weight"],
            keys.Keys);
        Assert.Equal([2L, 8], keys["gate.weight"].shape);
        Assert.Equal([4L, 8], keys["shared_expert.up_proj.weight"].shape);
    }

    [Fact]
    public void Backward_RouterExpertsSharedAndInput_MatchFiniteDifferences()
    {
        var config = Config(3, 2, shared: 3, alpha: 0.5, beta: 0.1) with { HiddenSize = 4, IntermediateSize = 3 };
        var layer = new MoeLayer(config, TestCatalog.Create(), new Generator(8), ScalarType.Float64);
        var gate = ((nn.Module)layer.Router).state_dict()["weight"];
        using (no_grad()) gate.copy_(gate * 20); // spread the logits: no near-ties in top-k
        var x = randn([6, 4], ScalarType.Float64, new Generator(9)).requires_grad_();
        var w = randn([6, 4], ScalarType.Float64, new Generator(10));
        var mask = tensor([true, true, false, true, true, true]);
        Tensor Loss()
        {
            var o = layer.forward(x, mask);
            return (o.Output * w).sum() + o.AuxLoss;
        }
        var inputs = layer.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Append(("x", x)).ToList();
        GradCheck.Check(Loss, inputs);
    }

    [Fact]
    public void Forward_MaskedTokens_AreLeftOutOfTheCounts()
    {
        var layer = new MoeLayer(Config(4, 2), TestCatalog.Create(), new Generator(12));
        var x = randn([5, 8], generator: new Generator(13));
        var all = layer.forward(x);
        var masked = layer.forward(x, tensor([true, true, true, false, false]));
        Assert.Equal(10, all.ExpertCounts.sum().ToInt64());
        Assert.Equal(6, masked.ExpertCounts.sum().ToInt64());
        Assert.Equal(all.Output.data<float>(), masked.Output.data<float>()); // padding is still computed
    }

    [Fact]
    public void AuxLoss_OutsideTraining_IsSkippedUnlessAsked_OutputsAndRoutingBitwiseUnchanged()
    {
        var layer = new MoeLayer(Config(4, 2, shared: 3, alpha: 0.5, beta: 0.1), TestCatalog.Create(), new Generator(12), ScalarType.Float64);
        var x = randn([9, 8], ScalarType.Float64, new Generator(13));
        var mask = tensor(new[] { true, true, false, true, true, true, false, true, true });

        // Training: the load-balancing loss and the z-loss of the router's probabilities and logits, masked tokens left out.
        var r = layer.Router.Route(x, RoutingContext.Evaluation with { Mask = mask });
        double expected = MoeLosses.LoadBalancing(r.Probabilities!, r.Indices, mask, 0.5).ToDouble() + MoeLosses.RouterZ(r.Logits!, mask, 0.1).ToDouble();
        layer.train();
        var trained = layer.forward(x, mask);
        Assert.True(expected > 0);
        Assert.Equal(expected, trained.AuxLoss.ToDouble(), 12);

        // Evaluation: 0, not computed; asked for (AuxLossInEval), the training value; everything else bitwise the same.
        layer.eval();
        var skipped = layer.forward(x, mask);
        layer.AuxLossInEval = true;
        var asked = layer.forward(x, mask);
        Assert.Equal(0.0, skipped.AuxLoss.ToDouble());
        Assert.Equal(expected, asked.AuxLoss.ToDouble(), 12);
        Assert.Equal(asked.Output.data<double>(), skipped.Output.data<double>());
        Assert.Equal(trained.Output.data<double>(), skipped.Output.data<double>());
        Assert.Equal(asked.ExpertIndices.data<long>(), skipped.ExpertIndices.data<long>());
        Assert.Equal(asked.ExpertCounts.data<long>(), skipped.ExpertCounts.data<long>());
        Assert.Equal(asked.ExpertWeights!.data<double>(), skipped.ExpertWeights!.data<double>());
    }
}
