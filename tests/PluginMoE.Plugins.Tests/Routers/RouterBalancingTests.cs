// The Switch balancing loss drives expert loads towards uniform: only the router is trained, only on that loss, on
// random tokens that share an offset (so every router starts out sending most tokens to a few experts). Imbalance is
// n * sum_i f_i^2 over the routed slots (1 when uniform, n when every token goes to one expert).
using System.Text.Json.Nodes;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class RouterBalancingTests
{
    [Theory]
    [InlineData("linear", """{"InitStd": 0.5}""")]
    [InlineData("nexus", """{"InitStd": 0.5, "DomainEmbeddings": [[1, 0, 2], [0, 1, -1], [-1, 2, 0], [0.5, -0.5, 1]]}""")]
    [InlineData("xmoe", """{"RoutingDim": 4}""")]
    [InlineData("multi-head", """{"Heads": 2}""")]
    public void TrainingOnlyTheRouterWithTheBalancingLoss_DrivesLoadsTowardsUniform(string router, string options)
    {
        const int steps = 100, window = 20;
        var layer = RouterKit.Layer(RouterKit.Config(8, 4, 1, router, JsonNode.Parse(options)!.AsObject(), hidden: 2, alpha: 1, beta: 0), seed: 51);
        var offset = randn([1, 8], ScalarType.Float64, new Generator(52)) * 3;
        var g = new Generator(53);
        var optimizer = new optim.AdamW(layer.Router.parameters(), lr: 0.05, weight_decay: 0);
        var imbalance = new List<double>();
        for (int step = 0; step < steps; step++)
        {
            optimizer.zero_grad();
            var o = layer.forward(randn([64, 8], ScalarType.Float64, g) * 0.5 + offset);
            var f = o.ExpertCounts.to(ScalarType.Float64) / o.ExpertCounts.sum().ToDouble();
            imbalance.Add(4 * f.square().sum().ToDouble());
            o.AuxLoss.backward();
            optimizer.step();
        }
        double before = imbalance[0], after = imbalance.TakeLast(window).Average();
        Assert.True(before > 1.5, $"{router}: the start should be imbalanced, n * sum f^2 = {before:F3}");
        Assert.True(after - 1 < 0.4 * (before - 1),
            $"{router}: imbalance n * sum f^2 was {before:F3} at the start and {after:F3} over the last {window} steps (uniform: 1)");
    }
}
