// nexus: btx plus the seed's FFN as every layer's shared expert and the experts' domain embeddings stored (n, m).
using PluginMoE.Abstractions.Checkpoints;
using PluginMoE.Abstractions.Merging;
using PluginMoE.Plugins.Mergers;
using PluginMoE.Tensors;
using static PluginMoE.Tensors.torch;

namespace PluginMoE.Mergers.Tests;

public sealed class NexusStrategyTests
{
    internal static (ModelCheckpoint Seed, ModelCheckpoint[] Experts, Tensor[] Embeddings, ModelCheckpoint Merged) Merge(string router = "linear")
    {
        var seed = Tiny.Dense(1);
        var experts = new[] { Tiny.Dense(2), Tiny.Dense(3) };
        var embeddings = new[] { randn([8], generator: new Generator(11)), randn([8], generator: new Generator(12)) };
        var request = new MergeRequest(seed, [new("code", experts[0], embeddings[0]), new("law", experts[1], embeddings[1])], Tiny.Moe(1, router));
        return (seed, experts, embeddings, new NexusStrategy().Merge(request));
    }

    [Fact]
    public void Merge_SharedExpertOfEveryLayer_EqualsTheSeedFfn()
    {
        var (seed, experts, _, merged) = Merge();
        Assert.Equal(Tiny.Config.IntermediateSize, merged.Config.Moe!.SharedExpertIntermediateSize);
        for (int i = 0; i < Tiny.Config.NumHiddenLayers; i++)
            foreach (var p in new[] { "gate_proj.weight", "up_proj.weight", "down_proj.weight" })
            {
                Assert.True(Tiny.Same(seed.Tensors[CanonicalNames.Mlp(i) + p], merged.Tensors[CanonicalNames.SharedExpert(i) + p]), $"shared {i} {p}");
                for (int j = 0; j < 2; j++)
                    Assert.True(Tiny.Same(experts[j].Tensors[CanonicalNames.Mlp(i) + p], merged.Tensors[CanonicalNames.Expert(i, j) + p]), $"expert {i} {j} {p}");
            }
        // The non-FFN parameters are the experts' average (not the seed's).
        var hand = (experts[0].Tensors["model.embed_tokens.weight"].to(ScalarType.Float64) + experts[1].Tensors["model.embed_tokens.weight"].to(ScalarType.Float64)) / 2.0;
        Assert.True(Tiny.MaxAbsDiff(hand, merged.Tensors["model.embed_tokens.weight"]) <= 1e-7);
    }

    [Fact]
    public void Merge_DomainEmbeddings_AreStoredInExpertOrder()
    {
        var (_, _, embeddings, merged) = Merge();
        var stored = merged.Tensors[CanonicalNames.DomainEmbeddings];
        Assert.Equal([2L, 8L], stored.shape);
        Assert.True(Tiny.Same(embeddings[0], stored.select(0, 0)));
        Assert.True(Tiny.Same(embeddings[1], stored.select(0, 1)));
    }

    [Fact]
    public void Merge_WithoutEmbeddings_FailsNamingTheExpert()
    {
        var request = new MergeRequest(Tiny.Dense(1), [new("code", Tiny.Dense(2), null)], Tiny.Moe(1));
        var e = Assert.Throws<ArgumentException>(() => new NexusStrategy().Merge(request));
        Assert.Contains("merge strategy 'nexus': a problem with the inputs (nothing was merged)", e.Message);
        Assert.Contains("expert 'code': has no domain embedding; the nexus router routes by domain embeddings", e.Message);
    }

    [Fact]
    public void Merge_WithSharedExpert_LoadsAndRuns()
    {
        var (_, _, _, merged) = Merge();
        var model = Tiny.Model(Tiny.WithRouters(merged));
        Assert.Equal([2L, 12L, 32L], Tiny.Logits(model).shape);
        Assert.NotNull(model.MoeLayers[0].Block.SharedExpert);
    }
}
