// The MoE block's small-token inference path (TokenDispatch, F.swiglu_expert_sum) against the expert-sorted dispatch:
// bitwise the same outputs and counts for the linear and Nexus (shared expert) routers, within float32 rounding for
// multi-head (whose narrow experts the dispatch runs as the fused grouped MLP), not taken when gradients are needed,
// and the same greedy tokens from KV-cache decoding with every router.
using System.Text.Json.Nodes;
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Core.Composition;
using PluginMoE.Core.Model;
using PluginMoE.Core.Moe;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Routers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Core.Tests.Moe;

public class TokenDispatchTests
{
    private const int D = 32;

    private static ComponentCatalog Catalog() => new ComponentCatalog()
        .AddRouter(LinearRouterFactory.Name, new LinearRouterFactory())
        .AddRouter(NexusRouterFactory.Name, new NexusRouterFactory())
        .AddRouter(XMoeRouterFactory.Name, new XMoeRouterFactory())
        .AddRouter(MultiHeadRouterFactory.Name, new MultiHeadRouterFactory())
        .AddExpert("swiglu", new SwiGluExpertFactory());

    private static MoeConfig Moe(string router) => router switch
    {
        "nexus" => new MoeConfig
        {
            NumExperts = 4, TopK = 2, Router = "nexus", SharedExpertIntermediateSize = 40,
            RouterOptions = new JsonObject { ["DomainEmbeddings"] = new JsonArray([.. Enumerable.Range(0, 4).Select(i =>
                (JsonNode)new JsonArray([.. randn([8], ScalarType.Float32, new Generator(50 + i)).data<float>().Select(v => (JsonNode)JsonValue.Create(v))]))]) },
        },
        "multi-head" => new MoeConfig { NumExperts = 4, TopK = 2, Router = "multi-head", RouterOptions = new JsonObject { ["Heads"] = 4, ["Inner"] = "xmoe" } },
        _ => new MoeConfig { NumExperts = 4, TopK = 2, Router = router },
    };

    private static ModelConfig Config(string router) => new()
    {
        VocabSize = 256, HiddenSize = D, IntermediateSize = 4 * D, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4,
        MaxPositionEmbeddings = 32, Moe = Moe(router),
    };

    private static MoeLayer Layer(string router, ScalarType dtype)
    {
        var layer = new MoeLayer(Config(router), Catalog(), new Generator(2), dtype);
        layer.eval();
        return layer;
    }

    [Theory]
    [InlineData("linear", ScalarType.Float32)]
    [InlineData("linear", ScalarType.Float64)]
    [InlineData("nexus", ScalarType.Float32)]
    [InlineData("nexus", ScalarType.Float64)]
    [InlineData("xmoe", ScalarType.Float32)]
    public void TokenPath_EqualsTheDispatch_Bitwise(string router, ScalarType dtype)
    {
        var layer = Layer(router, dtype);
        using var noGrad = no_grad();
        for (int n = 1; n <= 4; n++)
        {
            var x = randn([n, D], dtype, new Generator(10 + n));
            layer.TokenPathMaxTokens = 4;
            var fast = layer.forward(x);
            layer.TokenPathMaxTokens = 0;
            var reference = layer.forward(x);
            Assert.Equal(reference.Output.to(ScalarType.Float64).data<double>(), fast.Output.to(ScalarType.Float64).data<double>());
            Assert.Equal(reference.ExpertCounts.data<long>(), fast.ExpertCounts.data<long>());
            Assert.Equal(reference.ExpertIndices.data<long>(), fast.ExpertIndices.data<long>());
        }
    }

    [Fact]
    public void TokenPath_MultiHead_EqualsTheDispatchWithinRounding()
    {
        var layer = Layer("multi-head", ScalarType.Float32);
        using var noGrad = no_grad();
        var x = randn([1, D], ScalarType.Float32, new Generator(3)); // 4 sub-tokens: the path's limit
        layer.TokenPathMaxTokens = 4;
        var fast = layer.forward(x).Output;
        layer.TokenPathMaxTokens = 0;
        var reference = layer.forward(x).Output;
        double scale = reference.abs().max().ToDouble();
        double diff = (fast - reference).abs().max().ToDouble();
        Assert.True(scale > 1e-5 && diff <= 2e-6 * scale, $"multi-head: max |difference| {diff:G3} at output scale {scale:G3}");
    }

    [Fact]
    public void TokenPath_IsNotTakenWhenGradientsAreNeeded()
    {
        var layer = Layer("nexus", ScalarType.Float64);
        layer.train();
        var x = randn([2, D], ScalarType.Float64, new Generator(4)).requires_grad_();
        var y = layer.forward(x);
        Assert.True(y.Output.requires_grad);
        y.Output.sum().backward();
        Assert.NotNull(x.grad);
        Assert.True(layer.SharedExpert!.parameters().All(p => p.grad is not null));
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("nexus")]
    [InlineData("xmoe")]
    [InlineData("multi-head")]
    public void GreedyKvCacheDecoding_IsUnchanged(string router)
    {
        var model = new TransformerLM(Config(router), Catalog(), new Generator(5)).ToInference();
        model.eval();
        var prompt = randint(0, 256, [1, 6], generator: new Generator(6));
        (long[] Tokens, double[] Logits) Decode(int maxTokens)
        {
            foreach (var (_, block) in model.MoeLayers) block.TokenPathMaxTokens = maxTokens;
            using var noGrad = no_grad();
            var cache = model.CreateKvCache(1, 24);
            var last = model.forward(prompt, cache).Logits.narrow(1, 5, 1); // (1, 1, V)
            var tokens = new List<long>();
            var logits = new List<double>();
            for (int i = 0; i < 16; i++)
            {
                logits.AddRange(last.to(ScalarType.Float64).data<double>());
                long t = last.reshape(-1).argmax().item<long>();
                tokens.Add(t);
                last = model.forward(tensor(new[] { t }, [1, 1]), cache).Logits;
            }
            return ([.. tokens], [.. logits]);
        }
        var (fastTokens, fastLogits) = Decode(4);
        var (refTokens, refLogits) = Decode(0);
        Assert.Equal(refTokens, fastTokens);
        for (int i = 0; i < refLogits.Length; i++)
            Assert.True(Math.Abs(fastLogits[i] - refLogits[i]) <= 1e-5 * Math.Max(1, Math.Abs(refLogits[i])), $"{router}: logit {i} {fastLogits[i]} vs {refLogits[i]}");
        if (router is "linear" or "nexus") Assert.Equal(refLogits, fastLogits); // bitwise: the products are the one-row GEMM's
    }
}
