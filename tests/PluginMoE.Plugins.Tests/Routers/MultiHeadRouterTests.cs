// The multi-head router: impossible configurations fail at start saying why; initialisation as in MH-MoE; the inner
// router is built by name at width d/h; split/merge shapes; the inference form wraps the inner router's.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Routing;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Plugins.Tests.Routers;

public class MultiHeadRouterTests
{
    private static JsonObject Options(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Create_HeadsNotDividingTheWidth_SaysWhyAndWhatWouldWork()
    {
        var e = Assert.Throws<ArgumentException>(() => RouterKit.Layer(RouterKit.Config(12, 4, 2, "multi-head", Options("""{"Heads": 5}"""))));
        Assert.Contains("router 'multi-head': Heads = 5 does not divide the model width 12; every token is split into h sub-tokens of width d/h, so h must be a divisor of 12 (1, 2, 3, 4, 6, 12)", e.Message);
    }

    [Fact]
    public void Create_WrappingItself_SaysWhy()
    {
        var e = Assert.Throws<ArgumentException>(() => RouterKit.Layer(RouterKit.Config(8, 4, 2, "multi-head", Options("""{"Inner": "multi-head"}"""))));
        Assert.Contains("Inner = 'multi-head' cannot work", e.Message);
    }

    [Fact]
    public void Create_WithoutAResolver_SaysWhoSuppliesIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new MultiHeadRouterFactory().Create(new RouterSpec(8, 4, 2)));
        Assert.Contains("building the inner router 'xmoe' by name needs RouterSpec.Routers", e.Message);
    }

    [Fact]
    public void Create_BuildsTheInnerRouterAtSubTokenWidth_AndExpertsFollow()
    {
        var layer = RouterKit.Layer(RouterKit.Config(16, 4, 2, "multi-head", Options("""{"Heads": 4, "InnerOptions": {"RoutingDim": 3}}""")));
        var router = Assert.IsType<MultiHeadRouter>(layer.Router);
        var inner = Assert.IsType<XMoeRouter>(router.Inner);
        Assert.Equal(4, router.SubTokenDim);
        Assert.Equal([3L, 4], inner.WReduction.weight.shape);
        Assert.Equal(4, layer.ExpertDim);
        Assert.Equal(
            ["head_proj.weight", "head_proj.bias", "merge_proj.weight", "merge_proj.bias", "inner.wg", "inner.temperature", "inner.wg_reduction.weight"],
            router.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void Init_HeadIsXavierUniformWithGainOneOverSqrtTwo_MergeBiasIsZero()
    {
        var layer = RouterKit.Layer(RouterKit.Config(64, 4, 2, "multi-head", Options("""{"Heads": 4}""")));
        var router = (MultiHeadRouter)layer.Router;
        double bound = Math.Sqrt(6.0 / (64 + 64)) / Math.Sqrt(2);
        var head = router.HeadProjection.weight.abs();
        Assert.True(head.max().ToDouble() <= bound);
        Assert.InRange(head.max().ToDouble(), 0.95 * bound, bound);
        Assert.InRange(router.HeadProjection.weight.pow(2).mean().ToDouble(), 0.9 * bound * bound / 3, 1.1 * bound * bound / 3); // U(-b, b): var b^2/3
        Assert.True(router.MergeProjection.weight.abs().max().ToDouble() <= Math.Sqrt(6.0 / 128));
        Assert.Equal(new double[64], router.MergeProjection.bias!.data<double>());
    }

    [Fact]
    public void SplitAndMerge_AreRowMajorSubTokens()
    {
        var layer = RouterKit.Layer(RouterKit.Config(8, 4, 2, "multi-head", Options("""{"Heads": 2}""")));
        var router = (MultiHeadRouter)layer.Router;
        var x = randn([3, 8], ScalarType.Float64, new Generator(91));
        var sub = router.Split(x);
        Assert.Equal([6L, 4], sub.shape);
        var projected = router.HeadProjection.forward(x);
        Assert.Equal(projected[1].narrow(0, 4, 4).data<double>(), sub[3].data<double>()); // token 1, head 1
        Assert.Equal(router.MergeProjection.forward(projected).data<double>(), router.Merge(sub, 3).data<double>());
    }

    [Fact]
    public void ToInference_AroundNexus_FreezesTheInnerRouterIntoLinear_Bitwise()
    {
        var options = Options("""{"Heads": 2, "Inner": "nexus", "InnerOptions": {"InitStd": 1, "DomainEmbeddings": [[1, 0], [0, 1], [-1, 2], [0.5, -0.5]]}}""");
        var layer = RouterKit.Layer(RouterKit.Config(8, 4, 1, "multi-head", options));
        layer.eval();
        var x = randn([5, 8], ScalarType.Float64, new Generator(92));
        var before = layer.forward(x).Output.data<double>();
        var form = layer.Router.ToInference();
        Assert.Equal("multi-head", form.Plugin);
        Assert.Equal("linear", form.Options!["Inner"]!.GetValue<string>());
        Assert.Equal("softmax-topk", form.Options["InnerOptions"]!["Normalize"]!.GetValue<string>());
        var frozen = Assert.IsType<MultiHeadRouter>(form.Router);
        Assert.IsType<LinearRouter>(frozen.Inner);

        var rebuilt = RouterKit.Layer(RouterKit.Config(8, 4, 1, "multi-head", form.Options), seed: 93);
        rebuilt.eval();
        rebuilt.load_state_dict(layer.state_dict().Where(kv => !kv.Key.StartsWith("gate.", StringComparison.Ordinal))
            .Concat(frozen.state_dict().Select(kv => KeyValuePair.Create("gate." + kv.Key, kv.Value))).ToDictionary(kv => kv.Key, kv => kv.Value));
        Assert.Equal(before, rebuilt.forward(x).Output.data<double>());
    }

    [Fact]
    public void ToInference_AroundXMoe_IsUnchanged()
    {
        var layer = RouterKit.Layer(RouterKit.Config(8, 4, 2, "multi-head", Options("""{"Heads": 2}""")));
        var form = layer.Router.ToInference();
        Assert.True(form.IsUnchanged);
        Assert.Same(layer.Router, form.Router);
    }

    [Fact]
    public void Route_CountsSubTokensInTheBalancingStatistics()
    {
        var layer = RouterKit.Layer(RouterKit.Config(8, 4, 2, "multi-head", Options("""{"Heads": 4}""")));
        var o = layer.forward(randn([3, 8], ScalarType.Float64, new Generator(94)));
        Assert.Equal([12L, 2], o.ExpertIndices.shape);
        Assert.Equal(24, o.ExpertCounts.sum().ToInt64());
    }
}
