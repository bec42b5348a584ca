// Two routes to the same numbers: softmax over the top-k logits equals softmax-then-top-k-then-renormalise; a frozen
// Nexus router is a linear router whose weight is E (bitwise, same parameter count); multi-head routing with h = 1
// and identity projections is its inner router's MoE.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class RouterEquivalenceTests
{
    private static readonly Tensor X = randn([9, 8], ScalarType.Float64, new Generator(11));

    [Fact]
    public void SoftmaxOverTopKLogits_EqualsSoftmaxThenTopKThenRenormalise()
    {
        var a = RouterKit.Layer(RouterKit.Config(8, 5, 2, "linear", new JsonObject { ["InitStd"] = 1, ["Normalize"] = "topk-softmax" }), seed: 7);
        var b = RouterKit.Layer(RouterKit.Config(8, 5, 2, "linear", new JsonObject { ["InitStd"] = 1, ["Normalize"] = "softmax-topk-renormalise" }), seed: 7);
        var ra = a.Router.Route(X, RoutingContext.Evaluation);
        var rb = b.Router.Route(X, RoutingContext.Evaluation);
        Assert.Equal(ra.Indices.data<long>(), rb.Indices.data<long>());
        RouterKit.Close(ra.Weights.data<double>(), rb.Weights.data<double>(), 1e-15, "gates");
        RouterKit.Close(a.forward(X).Output.data<double>(), b.forward(X).Output.data<double>(), 1e-14, "layer output");
    }

    [Fact]
    public void FrozenNexus_IsALinearRouterWithWeightE_BitwiseWithTheSameParameterCount()
    {
        var nexusOptions = new JsonObject { ["InitStd"] = 0.5, ["DomainEmbeddings"] = RouterKit.Embeddings(4, 6, 12) };
        var nexus = RouterKit.Layer(RouterKit.Config(8, 4, 2, "nexus", nexusOptions, shared: 3), seed: 13);
        nexus.eval();
        var router = (NexusRouter)nexus.Router;
        var form = router.ToInference();
        Assert.Equal("linear", form.Plugin);
        Assert.Equal("softmax-topk", form.Options!["Normalize"]!.GetValue<string>());
        var frozen = Assert.IsType<LinearRouter>(form.Router);
        Assert.Equal([4L, 8], frozen.weight.shape);
        Assert.Equal(router.ExpertEmbeddings().detach().data<double>(), frozen.weight.data<double>());

        // The rewritten checkpoint: a linear-router MoE with the inference form's options loads the swapped state.
        var linear = RouterKit.Layer(RouterKit.Config(8, 4, 2, "linear", form.Options, shared: 3), seed: 99);
        linear.eval();
        var state = nexus.state_dict().Where(kv => !kv.Key.StartsWith("gate.", StringComparison.Ordinal))
            .Concat(frozen.state_dict().Select(kv => KeyValuePair.Create("gate." + kv.Key, kv.Value)))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        linear.load_state_dict(state);

        Assert.Equal(nexus.forward(X).Output.data<double>(), linear.forward(X).Output.data<double>());
        var rn = nexus.Router.Route(X, RoutingContext.Evaluation);
        var rf = frozen.Route(X, RoutingContext.Evaluation);
        Assert.Equal(rn.Indices.data<long>(), rf.Indices.data<long>());
        Assert.Equal(rn.Weights.data<double>(), rf.Weights.data<double>());
        long Count(nn.Module m) => m.parameters().Sum(p => p.numel());
        Assert.Equal(4 * 8, Count(frozen));
        Assert.Equal(Count(linear), Count(nexus) - Count(router) + Count(frozen));
        Assert.Equal(Count(linear) - 4 * 8, Count(nexus) - Count(router)); // experts + shared expert, the same in both
    }

    [Theory]
    [InlineData("xmoe", """{"RoutingDim": 4}""")]
    [InlineData("linear", """{"InitStd": 1}""")]
    [InlineData("nexus", """{"InitStd": 1, "DomainEmbeddings": [[1, 0, 2], [0, 1, -1], [-1, 2, 0], [0.5, -0.5, 1]]}""")]
    public void MultiHead_OneHeadWithIdentityProjections_EqualsItsInnerRoutersMoe(string inner, string innerOptions)
    {
        var options = JsonNode.Parse(innerOptions)!.AsObject();
        var plain = RouterKit.Layer(RouterKit.Config(8, 4, 2, inner, options), seed: 21);
        var wrapped = RouterKit.Layer(RouterKit.Config(8, 4, 2, "multi-head",
            new JsonObject { ["Heads"] = 1, ["Inner"] = inner, ["InnerOptions"] = options.DeepClone() }), seed: 22);
        var state = plain.state_dict().ToDictionary(kv => kv.Key.StartsWith("gate.", StringComparison.Ordinal) ? "gate.inner." + kv.Key[5..] : kv.Key, kv => kv.Value);
        state["gate.head_proj.weight"] = eye(8, ScalarType.Float64);
        state["gate.head_proj.bias"] = zeros([8], ScalarType.Float64);
        state["gate.merge_proj.weight"] = eye(8, ScalarType.Float64);
        state["gate.merge_proj.bias"] = zeros([8], ScalarType.Float64);
        wrapped.load_state_dict(state);

        var a = plain.forward(X);
        var b = wrapped.forward(X);
        Assert.Equal(a.ExpertIndices.data<long>(), b.ExpertIndices.data<long>());
        RouterKit.Close(a.Output.data<double>(), b.Output.data<double>(), 1e-14, "output");
        RouterKit.Close([a.AuxLoss.ToDouble()], [b.AuxLoss.ToDouble()], 1e-15, "aux loss");
    }
}
