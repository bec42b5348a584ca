// Finite differences (float64) through router + MoE layer: the gradients of every parameter and of the input, for
// nexus, every deterministic linear variant, both xmoe forms and multi-head routing around each inner router
// (every router parameter, the input and one expert weight).
using System.Text.Json.Nodes;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class RouterGradientTests
{
    public static TheoryData<string, string, int> Cases => new()
    {
        { "linear", """{"InitStd": 1, "Normalize": "topk-softmax"}""", 2 },
        { "linear", """{"InitStd": 1, "Normalize": "softmax-topk"}""", 2 },
        { "linear", """{"InitStd": 1, "Normalize": "softmax-topk-renormalise"}""", 2 },
        { "linear", """{"InitStd": 1, "Variant": "switch"}""", 1 },
        { "linear", """{"InitStd": 1, "Variant": "soft"}""", 4 },
        { "nexus", """{"InitStd": 1, "HiddenSize": 6, "DomainEmbeddings": [[1, 0, 2], [0, 1, -1], [-1, 2, 0], [0.5, -0.5, 1]]}""", 1 },
        { "nexus", """{"InitStd": 1, "DomainEmbeddings": [[1, 0, 2], [0, 1, -1], [-1, 2, 0], [0.5, -0.5, 1]]}""", 2 },
        { "xmoe", """{"RoutingDim": 4, "Form": "paper"}""", 2 },
        { "xmoe", """{"RoutingDim": 4, "Form": "code"}""", 2 },
        { "multi-head", """{"Heads": 2}""", 2 },
        { "multi-head", """{"Heads": 2, "Inner": "linear", "InnerOptions": {"InitStd": 1}}""", 2 },
        { "multi-head", """{"Heads": 4, "Inner": "nexus", "InnerOptions": {"InitStd": 1, "DomainEmbeddings": [[1, 0], [0, 1], [-1, 2], [0.5, -0.5]]}}""", 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_ThroughRouterAndMoeLayer_MatchFiniteDifferences(string router, string options, int k)
    {
        var config = RouterKit.Config(8, 4, k, router, JsonNode.Parse(options)!.AsObject(), hidden: 3, shared: router == "nexus" ? 2 : null);
        var layer = RouterKit.Layer(config, seed: 3);
        var x = randn([5, 8], ScalarType.Float64, new Generator(4), requires_grad: true);
        var w = randn([5, 8], ScalarType.Float64, new Generator(5));
        Tensor Loss()
        {
            var o = layer.forward(x);
            return (o.Output * w).sum() + o.AuxLoss;
        }
        // Every router parameter and the input; of the experts (checked in the Core tests) one weight, to see the gates reach them.
        var inputs = layer.named_parameters()
            .Where(p => p.name.StartsWith("gate.", StringComparison.Ordinal) || p.name == "experts.0.down_proj.weight")
            .Select(p => (p.name, (Tensor)p.parameter)).Append(("x", x)).ToList();
        Assert.Contains(inputs, p => p.Item1.StartsWith("gate.", StringComparison.Ordinal));
        RouterKit.GradCheck(Loss, inputs);
    }
}
