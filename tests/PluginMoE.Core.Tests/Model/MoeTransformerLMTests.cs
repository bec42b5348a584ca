// TransformerLM with MoE layers: names, routing output, padding, parameter counts, checkpoint round trip.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Model;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Model;

public class MoeTransformerLMTests
{
    private static readonly ModelConfig Moe = TransformerLMTests.Tiny with
    {
        NumHiddenLayers = 3,
        Moe = new MoeConfig { NumExperts = 4, TopK = 2, MoeLayers = [1, 2], SharedExpertIntermediateSize = 8, RouterZLossWeight = 0.001 },
    };

    private static TransformerLM Build(ModelConfig config) => new(config, TestCatalog.Create(), new Generator(21));

    [Fact]
    public void Forward_MoeLayers_ReportRoutingPerLayerAndAPositiveAuxLoss()
    {
        var output = Build(Moe).forward(randint(0, 32, [2, 5], generator: new Generator(1)));
        Assert.Equal([2L, 5, 32], output.Logits.shape);
        Assert.Equal([1, 2], output.Routing.Select(r => r.Layer));
        Assert.All(output.Routing, r => Assert.Equal([10L, 2], r.ExpertIndices.shape));
        Assert.All(output.Routing, r => Assert.Equal(20, r.ExpertCounts.sum().ToInt64()));
        Assert.True(output.AuxLoss.ToDouble() > 0);
    }

    [Fact]
    public void Forward_MoeLayers_ReportTheGatesOfTheChosenExperts()
    {
        var output = Build(Moe).forward(randint(0, 32, [2, 5], generator: new Generator(1)));
        Assert.All(output.Routing, r =>
        {
            Assert.NotNull(r.Gates);
            Assert.Equal(r.ExpertIndices.shape, r.Gates!.shape);
            Assert.All(r.Gates.to(ScalarType.Float64).data<double>(), g => Assert.True(g > 0 && g <= 1 + 1e-6, $"gate {g} is not in (0, 1]"));
        });
    }

    [Fact]
    public void Forward_AttentionMask_LeavesPaddingOutOfRoutingCounts()
    {
        var ids = randint(0, 32, [2, 4], generator: new Generator(2));
        var mask = tensor([true, true, true, true, true, true, false, false], [2, 4]);
        var output = Build(Moe).forward(ids, mask);
        Assert.All(output.Routing, r => Assert.Equal(12, r.ExpertCounts.sum().ToInt64()));
    }

    [Fact]
    public void StateDict_MoeLayer_UsesCanonicalMoeNames()
    {
        var keys = Build(Moe).state_dict().Keys.ToHashSet();
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", keys); // layer 0 stays dense
        Assert.Contains(CanonicalNames.Router(1) + "weight", keys);
        Assert.Contains(CanonicalNames.Expert(2, 3) + "down_proj.weight", keys);
        Assert.Contains(CanonicalNames.SharedExpert(1) + "up_proj.weight", keys);
        Assert.DoesNotContain("model.layers.0.mlp.gate.weight", keys);
    }

    [Fact]
    public void CountParameters_MoeModel_CountsKRoutedExpertsAsActive()
    {
        const int d = 16, v = 32, h = 24, shared = 8;
        long attention = 2 * d + 16 * 16 + 2 * 8 * 16 + 16 * 16;     // norms + q, k, v, o
        long expert = 3 * d * h, sharedExpert = 3 * d * shared, router = 4 * d;
        long dense = attention + expert;
        long moeLayer = attention + router + 4 * expert + sharedExpert;
        long total = v * d + dense + 2 * moeLayer + d + v * d;
        long active = total - 2 * (4 - 2) * expert;                // 2 of 4 experts per token in each MoE layer
        Assert.Equal(new ParameterCounts(total, active, active), Build(Moe).CountParameters());
    }

    [Fact]
    public void Checkpoint_MoeRoundTrip_IsBitwise()
    {
        var model = Build(Moe);
        var checkpoint = model.ToCheckpoint();
        var copy = TransformerLM.FromCheckpoint(checkpoint, TestCatalog.Create());
        foreach (var (name, t) in copy.ToCheckpoint().Tensors) Assert.Equal(checkpoint.Tensors[name].data<float>(), t.data<float>());
        var ids = randint(0, 32, [1, 6], generator: new Generator(3));
        Assert.Equal(model.forward(ids).Logits.data<float>(), copy.forward(ids).Logits.data<float>());
    }

    [Fact]
    public void Constructor_UnknownRouter_NamesTheClosestPlugin()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => Build(Moe with { Moe = Moe.Moe! with { Router = "linaer" } }));
        Assert.Contains("unknown router plugin 'linaer' (available: linear); did you mean 'linear'?", e.Message);
    }

    [Fact]
    public void Constructor_BadRouterOption_NamesTheConfigKeyAndAllowedValues()
    {
        var options = new System.Text.Json.Nodes.JsonObject { ["Normalize"] = "softmax" };
        var e = Assert.Throws<ArgumentException>(() => Build(Moe with { Moe = Moe.Moe! with { RouterOptions = options } }));
        Assert.Contains("Moe:RouterOptions:Normalize: value \"softmax\" is invalid", e.Message);
        Assert.Contains("allowed: topk-softmax, softmax-topk", e.Message);
    }
}
