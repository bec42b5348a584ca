// extend: n -> n + 1 experts, the new FFN appended unchanged, non-FFN parameters mixed exactly with lambda,
// router tensors passed through (nexus: no new router parameters), and a model whose new expert is never
// chosen equals the old model with the mixed non-FFN parameters.
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Core.Composition;
using PluginMoE.Plugins.Experts;
using PluginMoE.Plugins.Mergers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Mergers.Tests;

public sealed class ExtendStrategyTests
{
    private static ModelCheckpoint BtxMoe(ComponentCatalog? catalog = null, string router = "linear")
    {
        var request = new MergeRequest(Tiny.Dense(1), [new("code", Tiny.Dense(2), null), new("law", Tiny.Dense(3), null)], Tiny.Moe(2, router));
        return Tiny.WithRouters(new BtxStrategy().Merge(request), catalog);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0.25)]
    public void Extend_AppendsTheNewFfnAndMixesNonFfnParametersWithLambda(double? lambda)
    {
        var moe = BtxMoe();
        var added = Tiny.Dense(9);
        var result = new ExtendStrategy().Extend(new ExtendRequest(moe, new ExpertSource("math", added, null)) { Options = new ExtendOptions { Lambda = lambda } });
        double l = lambda ?? 1.0 / 3;                                                          // default 1/(n+1), n = 2
        Assert.Equal(3, result.Config.Moe!.NumExperts);
        Assert.Equal(["code", "law", "math"], result.Config.Moe.Domains);
        for (int i = 0; i < 2; i++)
        {
            Assert.True(Tiny.Same(added.Tensors[CanonicalNames.Mlp(i) + "down_proj.weight"], result.Tensors[CanonicalNames.Expert(i, 2) + "down_proj.weight"]));
            for (int j = 0; j < 2; j++)
                Assert.True(Tiny.Same(moe.Tensors[CanonicalNames.Expert(i, j) + "up_proj.weight"], result.Tensors[CanonicalNames.Expert(i, j) + "up_proj.weight"]));
            Assert.True(Tiny.Same(moe.Tensors[CanonicalNames.Router(i) + "weight"], result.Tensors[CanonicalNames.Router(i) + "weight"])); // the host's AddExperts grows it
        }
        foreach (var name in new[] { "model.embed_tokens.weight", "model.layers.0.self_attn.o_proj.weight", "model.layers.1.post_attention_layernorm.weight", "lm_head.weight" })
        {
            var hand = moe.Tensors[name].to(ScalarType.Float64) * (1 - l) + added.Tensors[name].to(ScalarType.Float64) * l;
            Assert.True(Tiny.MaxAbsDiff(hand, result.Tensors[name]) <= 1e-7, name);
        }
    }

    [Fact]
    public void Extend_NexusMoe_AppendsTheEmbeddingAndAddsNoRouterTensors()
    {
        var (_, _, embeddings, merged) = NexusStrategyTests.Merge();
        var moe = Tiny.WithRouters(merged);
        var fresh = randn([8], generator: new Generator(13));
        var result = new NexusStrategy().Extend(new ExtendRequest(moe, new ExpertSource("math", Tiny.Dense(9), fresh)));
        var stored = result.Tensors[CanonicalNames.DomainEmbeddings];
        Assert.Equal([3L, 8L], stored.shape);
        Assert.True(Tiny.Same(embeddings[1], stored.select(0, 1)));
        Assert.True(Tiny.Same(fresh, stored.select(0, 2)));
        var routerBefore = moe.Tensors.Where(kv => kv.Key.Contains(".mlp.gate.", StringComparison.Ordinal)).ToList();
        var routerAfter = result.Tensors.Where(kv => kv.Key.Contains(".mlp.gate.", StringComparison.Ordinal)).ToList();
        Assert.Equal(routerBefore.Select(kv => kv.Key), routerAfter.Select(kv => kv.Key));
        Assert.Equal(routerBefore.Sum(kv => kv.Value.numel()), routerAfter.Sum(kv => kv.Value.numel()));
        // The shared expert stays the seed's FFN.
        Assert.True(Tiny.Same(moe.Tensors[CanonicalNames.SharedExpert(0) + "up_proj.weight"], result.Tensors[CanonicalNames.SharedExpert(0) + "up_proj.weight"]));
    }

    [Fact]
    public void Extend_NewExpertNeverChosen_MatchesTheOldModelWithTheMixedNonFfnParameters()
    {
        var catalog = new ComponentCatalog().AddRouter("masked", new MaskedRouterFactory(maskFrom: 2)).AddExpert("swiglu", new SwiGluExpertFactory());
        var moe = BtxMoe(catalog, "masked");
        var result = new ExtendStrategy().Extend(new ExtendRequest(moe, new ExpertSource("math", Tiny.Dense(9), null)));
        // The router grows as its plugin says (here: a zero row, masked out anyway).
        var grown = new Dictionary<string, Tensor>(result.Tensors);
        for (int i = 0; i < 2; i++)
            grown[CanonicalNames.Router(i) + "weight"] = cat([result.Tensors[CanonicalNames.Router(i) + "weight"], zeros([1, 16])], 0);
        var extended = Tiny.Model(result with { Tensors = grown }, catalog);

        // The old model with the extension's mixed non-FFN parameters.
        var oldMixed = new Dictionary<string, Tensor>(moe.Tensors);
        foreach (var name in moe.Tensors.Keys.Where(k => !k.Contains(".mlp.", StringComparison.Ordinal))) oldMixed[name] = result.Tensors[name];
        var reference = Tiny.Model(moe with { Tensors = oldMixed }, catalog);

        Assert.True(Tiny.MaxAbsDiff(Tiny.Logits(reference), Tiny.Logits(extended)) <= 1e-6);
        // ... and differs from the unmixed old model (the mix is real).
        Assert.True(Tiny.MaxAbsDiff(Tiny.Logits(Tiny.Model(moe, catalog)), Tiny.Logits(extended)) > 1e-3);
    }

    [Fact]
    public void Extend_DenseMoeOrWrongWidth_FailsNamingTheTensorAndBothShapes()
    {
        var moe = BtxMoe();
        var narrow = Tiny.Dense(9, Tiny.Config with { IntermediateSize = 20 });
        var e = Assert.Throws<ArgumentException>(() => new ExtendStrategy().Extend(new ExtendRequest(moe, new ExpertSource("math", narrow, null))));
        Assert.Contains("new expert 'math': tensor 'model.layers.0.mlp.up_proj.weight' has shape (20, 16) but the MoE's routed experts have (24, 16) ('model.layers.0.mlp.experts.0.up_proj.weight' in MoE)", e.Message);

        var dup = Assert.Throws<ArgumentException>(() => new ExtendStrategy().Extend(new ExtendRequest(moe, new ExpertSource("law", Tiny.Dense(9), null))));
        Assert.Contains("domain 'law' is given twice (experts 1 and 2); domain names must be distinct", dup.Message);

        var dense = Assert.Throws<ArgumentException>(() => new ExtendStrategy().Extend(new ExtendRequest(Tiny.Dense(1), new ExpertSource("math", Tiny.Dense(9), null))));
        Assert.Contains("MoE: is a dense checkpoint; extension appends an expert to an MoE", dense.Message);
    }
}
